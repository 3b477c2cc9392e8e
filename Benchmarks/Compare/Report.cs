using System.Globalization;
using System.Text;

namespace InceptionGen.Benchmarks.Compare;

/// <summary>One implementation's outcome in one configuration.</summary>
internal sealed class PeerResult(string key, string title)
{
    public string Key { get; } = key;

    public string Title { get; } = title;

    public string Version { get; set; } = "";

    /// <summary>Why there is no speed figure (failed to start, disagreed with ours, …), or null.</summary>
    public string? Failure { get; set; }

    /// <summary>How far its check was from ours, e.g. "max |Δ| = 2.1e-6 of max |ours|".</summary>
    public string Agreement { get; set; } = "";

    /// <summary>Milliseconds of each measured run, one array per round.</summary>
    public List<double[]> Rounds { get; } = [];

    /// <summary>Managed bytes allocated per run in steady state (-1: not measurable, e.g. Python).</summary>
    public long AllocatedPerRun { get; set; } = -1;

    /// <summary>VmHWM of the worker process, KiB.</summary>
    public long PeakKilobytes { get; set; }

    public IEnumerable<double> AllTimes => Rounds.SelectMany(round => round);
}

/// <summary>The figures of one configuration and their markdown table.</summary>
internal sealed class ConfigurationResult(CompareConfiguration configuration, long multiplyAddsPerImage, double peakGflops)
{
    public CompareConfiguration Configuration { get; } = configuration;

    public List<PeerResult> Peers { get; } = [];

    public double? MedianMilliseconds(PeerResult peer) => peer.Failure is null && peer.Rounds.Count > 0 ? Statistics.Median(peer.AllTimes) : null;

    /// <summary>Median over rounds of (peer's round median ÷ our round median): above 1, ours is faster.</summary>
    public double? TimeRatioToOurs(PeerResult peer)
    {
        var ours = Peers.FirstOrDefault(candidate => candidate.Key == "ours");
        if (ours is null || ours.Failure is not null || peer.Failure is not null || ours.Rounds.Count != peer.Rounds.Count || peer.Rounds.Count == 0)
        {
            return null;
        }

        return Statistics.Median(peer.Rounds.Zip(ours.Rounds, (theirs, our) => Statistics.Median(theirs) / Statistics.Median(our)));
    }

    public string ToMarkdown()
    {
        var culture = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        var batch = Configuration.Batch;
        text.AppendLine(culture, $"### {Configuration.Title}");
        text.AppendLine();
        text.AppendLine(culture, $"{2.0 * multiplyAddsPerImage * batch / 1e9:F1} GFLOP per {(Configuration.Mode == "train" ? "step" : "batch")}; {Peers.FirstOrDefault()?.Rounds.Count ?? 0} rounds × {Configuration.RunsPerRound} run(s) after at least {Configuration.Warmup} warm-up run(s) and {WorkerClient.MinimumWarmUp.TotalSeconds:0} s.");
        text.AppendLine();
        text.AppendLine("| implementation | median | min–max | images/s | GFLOP/s | of peak | peak memory | allocated/run | time ÷ ours | agreement |");
        text.AppendLine("|---|---|---|---|---|---|---|---|---|---|");
        foreach (var peer in Peers)
        {
            var name = peer.Version.Length > 0 ? $"{peer.Title} ({peer.Version})" : peer.Title;
            if (MedianMilliseconds(peer) is not { } median)
            {
                text.AppendLine(culture, $"| {name} | – | – | – | – | – | – | – | – | {Escape(peer.Failure ?? "no runs")} |");
                continue;
            }

            var times = peer.AllTimes.ToArray();
            var gflops = 2.0 * multiplyAddsPerImage * batch / (median / 1000) / 1e9;
            var ratio = peer.Key == "ours" ? "1" : TimeRatioToOurs(peer) is { } value ? value.ToString("F2", culture) + "×" : "–";
            var allocated = peer.AllocatedPerRun < 0 ? "n/a" : Bytes(peer.AllocatedPerRun);
            var memory = peer.PeakKilobytes > 0 ? (peer.PeakKilobytes / 1024.0).ToString("N0", culture) + " MiB" : "–";
            text.AppendLine(culture, $"| {name} | {Milliseconds(median)} | {Milliseconds(times.Min())}–{Milliseconds(times.Max())} | {batch * 1000 / median:F1} | {gflops:F0} | {100 * gflops / peakGflops:F0}% | {memory} | {allocated} | {ratio} | {Escape(peer.Agreement)} |");
        }

        text.AppendLine();
        text.AppendLine("time ÷ ours: the peer's time over ours, per round (so machine drift cancels), then the median over rounds; above 1, ours is faster.");
        return text.ToString();
    }

    public static string Milliseconds(double ms) =>
        ms >= 1000 ? (ms / 1000).ToString("F2", CultureInfo.InvariantCulture) + " s" : ms.ToString(ms >= 100 ? "F0" : "F2", CultureInfo.InvariantCulture) + " ms";

    private static string Bytes(long bytes) => bytes < 1024 ? bytes.ToString(CultureInfo.InvariantCulture) + " B" : (bytes / 1024.0).ToString("F1", CultureInfo.InvariantCulture) + " KiB";

    private static string Escape(string text) => text.Replace("|", "\\|", StringComparison.Ordinal);
}

internal static class Statistics
{
    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0)
        {
            throw new ArgumentException("no values", nameof(values));
        }

        var middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }
}
