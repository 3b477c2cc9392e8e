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

    internal static string WinogradInputGradientName(OpPlan op) => "__WinogradInputGradient_" + op.Schedule!.Stem;

    /// <summary>
    /// The input gradient of a convolution whose backward plan chose Winograd: one image's output gradient bordered by 2
    /// into the scratch slot, then its tiles in ranges, each one call of <c>WinogradKernels.AccumulateTiles</c>, which
    /// adds into the input's gradient.
    /// </summary>
    private void WriteWinogradInputGradientDriver(OpPlan op)
    {
        var w = _writer;
        var plan = op.Backward!;
        var winograd = plan.InputGradientWinograd!;
        var source = _plan.Tensors[op.Input];
        var target = _plan.Tensors[op.Output];
        var slice = op.OutputChannelOffset * target.Height * target.Width;
        var outBlocks = (op.OutChannels + 15) / 16;
        var paddedHeight = op.OutHeight + 4;
        var paddedWidth = op.OutWidth + 4;
        var paddedPlane = paddedHeight * paddedWidth * 16;
        var outputGradientPlane = op.OutHeight * op.OutWidth * 16;
        var scratchLength = outBlocks * paddedPlane;
        w.Line($"// {op.QualifiedName}: input gradient by Winograd F({winograd.TileSize}x{winograd.TileSize},3x3), the flipped, transposed weights over the output gradient padded by 2, adding into the gradient of {source.Name};");
        w.Line($"// {winograd.Tiles} tiles per image in ranges of {winograd.TilesPerItem}. The planner's cost per image (multiply-add equivalents): direct {winograd.DirectCost}, F(2,3) {Cost(winograd.WinogradF2Cost)}, F(4,3) {Cost(winograd.WinogradF4Cost)}.");
        w.Line(GeneratedCode);
        using (w.Block($"private void {WinogradInputGradientName(op)}(int image, int batch)"))
        {
            w.Line("var activations = __trainingActivations!.Span;");
            w.Line("var gradients = __activationGradients!.Span;");
            w.Line($"var scratch = activations.Slice({plan.ScratchOffset} * batch + image * {scratchLength}, {scratchLength});");
            using (w.Block($"for (var block = 0; block < {outBlocks}; block++)"))
            {
                w.Line($"{Blocked}.PadBlock(gradients.Slice({target.TrainingOffset} * batch + image * {target.Length} + {(slice > 0 ? slice + " + " : "")}block * {outputGradientPlane}, {outputGradientPlane}), scratch.Slice(block * {paddedPlane}, {paddedPlane}), {op.OutHeight}, {op.OutWidth}, 2);");
            }

            w.Line($"var inputGradient = gradients.Slice({source.TrainingOffset} * batch + image * {source.Length}, {source.Length});");
            w.Line($"var transformedWeights = __transposedWeights!.Span.Slice({winograd.PackedOffset}, {winograd.PackedLength});");
            using (w.Block($"for (var range = 0; range < {winograd.ItemsPerImage}; range++)"))
            {
                w.Line($"var firstTile = range * {winograd.TilesPerItem};");
                w.Line($"global::InceptionGen.Kernels.WinogradKernels.AccumulateTiles(scratch, inputGradient, transformedWeights,");
                w.Line($"    global::InceptionGen.Kernels.WinogradGeometry.ForInputGradient({op.OutChannels}, {op.OutHeight}, {op.OutWidth}, {source.PhysicalChannels}, {winograd.TileSize}),");
                w.Line($"    firstTile, global::System.Math.Min(firstTile + {winograd.TilesPerItem}, {winograd.Tiles}));");
            }
        }

        w.Line();
    }

    /// <summary>The Winograd transform of a convolution's flipped, transposed weights, for its input gradient, in the transposed-weight packing.</summary>
    internal static string WinogradTransposedPackStatement(OpPlan op, TensorPlan source, string weights)
    {
        var winograd = op.Backward!.InputGradientWinograd!;
        return $"global::InceptionGen.Kernels.WinogradPacking.PackTransposedWeights({weights}, packed.Slice({winograd.PackedOffset}, {winograd.PackedLength}), {op.OutChannels}, {source.Channels}, {winograd.TileSize}, {ChannelMap(source)}, {source.PhysicalChannels});";
    }

    /// <summary>The Winograd weight transform of a convolution, run with the direct packing.</summary>
    internal string WinogradPackStatement(OpPlan op, TensorPlan source, string weights)
        => $"global::InceptionGen.Kernels.WinogradPacking.PackWeights({weights}, packed.Slice({op.Winograd!.PackedOffset}, {op.Winograd.PackedLength}), {op.OutChannels}, {source.Channels}, {op.Winograd.TileSize}, {ChannelMap(source)}, {op.LoopChannels});";

    private static string Cost(long cost) => cost == long.MaxValue ? "none (scratch too large)" : cost.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
