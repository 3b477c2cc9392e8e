using InceptionGen.Generator.Planning;

namespace InceptionGen.Generator.Emitting;

/// <summary>
/// A convolution the planner gave to Winograd (<see cref="WinogradPlan"/>): items are ranges of one image's output tiles,
/// each one call of the runtime's <c>WinogradKernels.ConvolveTiles</c>, which picks Vector512, Vector256, Vector128 or
/// the scalar Winograd reference and keeps its scratch on the stack.
/// </summary>
internal sealed partial class Emitter
{
    internal void WriteWinogradBody(OpPlan op, TensorPlan source, TensorPlan target)
    {
        var w = _writer;
        var winograd = op.Winograd!;
        var slice = op.OutputChannelOffset * target.Height * target.Width;
        w.Line($"// Winograd F({winograd.TileSize}x{winograd.TileSize},3x3): {winograd.Tiles} tiles per image in items of {winograd.TilesPerItem}. The planner's cost per image (multiply-add equivalents):");
        w.Line($"// direct {winograd.DirectCost}, F(2,3) {Cost(winograd.WinogradF2Cost)}, F(4,3) {Cost(winograd.WinogradF4Cost)}.");
        w.Line("var packed = __packedWeights.Span;");
        using (ItemLoop(winograd.ItemsPerImage, "range"))
        {
            w.Line($"var firstTile = range * {winograd.TilesPerItem};");
            w.Line($"global::InceptionGen.Kernels.WinogradKernels.ConvolveTiles({InputSlice(source)},");
            w.Line($"    {OutputSlice(target, Add(slice, null), RoundUp(op.OutChannels) * target.Height * target.Width)},");
            w.Line($"    packed.Slice({winograd.PackedOffset}, {winograd.PackedLength}), packed.Slice({op.PackedBiasOffset}, {RoundUp(op.OutChannels)}),");
            w.Line($"    new global::InceptionGen.Kernels.WinogradGeometry(Channels: {op.LoopChannels}, InHeight: {source.Height}, InWidth: {source.Width}, OutChannels: {op.OutChannels}, TileSize: {winograd.TileSize}, Relu: {FoldedRelu(op) ?? Bool(op.Relu)}),");
            w.Line($"    firstTile, global::System.Math.Min(firstTile + {winograd.TilesPerItem}, {winograd.Tiles}));");
        }
    }

    /// <summary>The Winograd weight transform of a convolution, run with the direct packing.</summary>
    internal string WinogradPackStatement(OpPlan op, TensorPlan source, string weights)
        => $"global::InceptionGen.Kernels.WinogradPacking.PackWeights({weights}, packed.Slice({op.Winograd!.PackedOffset}, {op.Winograd.PackedLength}), {op.OutChannels}, {source.Channels}, {op.Winograd.TileSize}, {ChannelMap(source)}, {op.LoopChannels});";

    private static string Cost(long cost) => cost == long.MaxValue ? "none (scratch too large)" : cost.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
