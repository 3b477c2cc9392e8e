using System.Diagnostics;
using System.Globalization;
using InceptionGen.Diagnostics;
using InceptionGen.Kernels;
using InceptionGen.Threading;

namespace InceptionGen.Cli;

/// <summary>
/// Times the forward pass like trtexec: warm-up first, then the median of enough runs, against this
/// machine's measured FMA peak. The last line is machine-readable.
/// </summary>
internal static class BenchCommand
{
    public static int Run(Arguments arguments, TextWriter output)
    {
        var entry = arguments.Network("bench");
        var batch = arguments.Int("batch", 1, 1, 4096);
        var threads = arguments.Int("threads", Environment.ProcessorCount, 1, 1024);
        var warmup = arguments.Int("warmup", 3, 0, 1000);
        var minimumRuns = arguments.Int("runs", 20, 1, 100_000);
        var seconds = arguments.Int("seconds", 3, 1, 3600);

        using var pool = new WorkerPool(threads);
        var network = entry.Create(batch, 1, pool);
        var input = new float[batch * network.InputLength];
        var random = new SplitMix64(42);
        foreach (ref var value in input.AsSpan())
        {
            value = 2f * random.NextSingle() - 1f;
        }

        var logits = new float[batch * network.OutputLength];
        for (var i = 0; i < warmup; i++)
        {
            network.Forward(input, logits, batch);
        }

        var times = new List<double>();
        var total = Stopwatch.StartNew();
        while (times.Count < minimumRuns || total.Elapsed.TotalSeconds < seconds)
        {
            var clock = Stopwatch.StartNew();
            network.Forward(input, logits, batch);
            times.Add(clock.Elapsed.TotalMilliseconds);
        }

        times.Sort();
        var median = times[times.Count / 2];
        var flops = 2.0 * entry.Summary.MultiplyAdds * batch;
        var gflops = flops / (median / 1000) / 1e9;
        var peak = FmaPeak.Measure(threads);
        var culture = CultureInfo.InvariantCulture;
        output.WriteLine($"{entry.Summary.NetworkName} forward, batch {batch}, {threads} thread(s), {Isa.Current}");
        output.WriteLine(string.Create(culture, $"runs {times.Count}, min {times[0]:F3} ms, median {median:F3} ms, max {times[^1]:F3} ms"));
        output.WriteLine(string.Create(culture, $"{flops / 1e9:F3} GFLOP per batch (2 x {entry.Summary.MultiplyAdds:N0} multiply-adds x {batch})"));
        output.WriteLine(string.Create(culture, $"median_ms={median:F3} images_per_s={batch * 1000 / median:F1} gflops={gflops:F1} peak_gflops={peak:F1} peak_fraction={gflops / peak:F3}"));
        return 0;
    }
}
