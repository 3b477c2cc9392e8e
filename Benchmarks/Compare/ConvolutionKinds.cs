using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using InceptionGen.Interop;

namespace InceptionGen.Benchmarks.Compare;

/// <summary>
/// <c>--layers</c>' second table: our convolutions grouped by kernel and stride (1x1, 3x3, 3x3/2, 5x5, and the
/// rectangular 1x7, 7x1, 1x3, 3x1 of Inception-v3), each kind's time, GFLOP/s and fraction of the measured FMA peak,
/// forward and (in training) backward, so a kernel shape that falls behind the others shows.
/// </summary>
internal static partial class ConvolutionKinds
{
    private const string Forward = "forward:";
    private const string Backward = "backward:";

    /// <summary>
    /// The table from our per-op times (<paramref name="ours"/>: "forward:NAME" / "backward:NAME" milliseconds per run,
    /// NAME = <see cref="PyTorchNames.From"/> of the op's name). An op's time includes its zero-border op (same name).
    /// Backward FLOPs are 2 × the forward's (input and weight gradients), 1 × for the first convolution, which needs no
    /// input gradient, as <see cref="NetworkSummary.TrainingMultiplyAdds"/> counts.
    /// </summary>
    public static string Table(ComparedNetwork network, IReadOnlyDictionary<string, double> ours, int batch, bool training, double peakGflops)
    {
        var culture = CultureInfo.InvariantCulture;
        var kinds = new Dictionary<string, Kind>(StringComparer.Ordinal);
        var first = true;
        foreach (var group in network.Operations.Where(op => KernelPattern().IsMatch(op.Description) && (training || !op.TrainingOnly))
                     .GroupBy(op => PyTorchNames.From(op.Name)))
        {
            var match = KernelPattern().Match(group.First().Description);
            var (height, width, stride) = (match.Groups[1].Value, match.Groups[2].Value, match.Groups[3].Value);
            var name = $"{height}x{width}{(stride == "1" ? "" : "/" + stride)}";
            var multiplyAdds = (double)group.Sum(op => op.MultiplyAdds) * batch;
            var kind = kinds.TryGetValue(name, out var existing) ? existing : kinds[name] = new Kind(name, height != width);
            kind.Count++;
            kind.ForwardFlops += 2 * multiplyAdds;
            kind.BackwardFlops += (first ? 2 : 4) * multiplyAdds;
            kind.ForwardMs += ours.GetValueOrDefault(Forward + group.Key);
            kind.BackwardMs += ours.GetValueOrDefault(Backward + group.Key);
            first = false;
        }

        string Rate(double flops, double ms) => ms > 0 ? (flops / (ms / 1000) / 1e9).ToString("F0", culture) : "–";
        string Share(double flops, double ms) => ms > 0 ? (100 * flops / (ms / 1000) / 1e9 / peakGflops).ToString("F0", culture) + "%" : "–";
        var text = new StringBuilder();
        text.AppendLine(culture, $"#### Our convolutions by kernel: {network.Title}, batch {batch}{(training ? ", training" : "")}");
        text.AppendLine();
        text.AppendLine(culture, $"Fraction of the FMA peak ({peakGflops:F0} GFLOP/s) per kernel shape; rectangular kernels (1xk, kx1) marked *. Time includes each convolution's zero-border copy.");
        text.AppendLine();
        text.AppendLine(training
            ? "| kernel | convolutions | forward ms | forward GFLOP/s | of peak | backward ms | backward GFLOP/s | of peak |"
            : "| kernel | convolutions | ms | GFLOP/s | of peak |");
        text.AppendLine(training ? "|---|---|---|---|---|---|---|---|" : "|---|---|---|---|---|");
        foreach (var kind in kinds.Values.OrderByDescending(kind => kind.ForwardFlops))
        {
            var label = kind.Rectangular ? kind.Name + " *" : kind.Name;
            text.AppendLine(training
                ? $"| {label} | {kind.Count} | {kind.ForwardMs.ToString("F2", culture)} | {Rate(kind.ForwardFlops, kind.ForwardMs)} | {Share(kind.ForwardFlops, kind.ForwardMs)} | {kind.BackwardMs.ToString("F2", culture)} | {Rate(kind.BackwardFlops, kind.BackwardMs)} | {Share(kind.BackwardFlops, kind.BackwardMs)} |"
                : $"| {label} | {kind.Count} | {kind.ForwardMs.ToString("F2", culture)} | {Rate(kind.ForwardFlops, kind.ForwardMs)} | {Share(kind.ForwardFlops, kind.ForwardMs)} |");
        }

        return text.ToString();
    }

    /// <summary>A convolution op's description starts "conv HxW/S" (ConvolutionOp.Text).</summary>
    [GeneratedRegex(@"^conv (\d+)x(\d+)/(\d+(?:x\d+)?)")]
    private static partial Regex KernelPattern();

    private sealed class Kind(string name, bool rectangular)
    {
        public string Name { get; } = name;
        public bool Rectangular { get; } = rectangular;
        public int Count { get; set; }
        public double ForwardFlops { get; set; }
        public double BackwardFlops { get; set; }
        public double ForwardMs { get; set; }
        public double BackwardMs { get; set; }
    }
}
