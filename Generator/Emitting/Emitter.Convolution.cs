using System.Collections.Generic;
using System.Linq;
using InceptionGen.Generator.Model;
using InceptionGen.Generator.Planning;

namespace InceptionGen.Generator.Emitting;

/// <summary>
/// Convolutions: per layer, a driver that walks (image, output-block group, output row) items with
/// constant shapes, and shared register-tile micro-kernels, fully unrolled: R output-channel blocks ×
/// P pixels of accumulators, each step one broadcast input value times R weight vectors (the MLAS
/// scheme). Bias starts the accumulators and ReLU ends them. Kernels are generic over the block type,
/// so one text serves AVX-512, AVX2 and NEON.
/// </summary>
internal sealed partial class Emitter
{
    /// <summary>The shared register tile, in the compilation's tile class.</summary>
    private string TileName((int Blocks, int Pixels, SizePair Kernel, SizePair Stride) tile)
        => $"{_tilesClass}.{RegisterTileEmitter.ConvolutionName(new RegisterTile(tile.Blocks, tile.Pixels, tile.Kernel, tile.Stride))}";

    internal void WriteConvolutionBody(OpPlan op, TensorPlan source, TensorPlan target)
    {
        if (op.Winograd is not null)
        {
            WriteWinogradBody(op, source, target);
            return;
        }

        var w = _writer;
        var tiling = op.Tiling!;
        var generic = ConvolveName(op);
        w.Line($"// Register tiles: {tiling.WideBlocks} block(s) x {tiling.WidePixels} pixels with Vector512; 1 block x {tiling.NarrowPixels} pixels with Vector256 and Vector128.");
        w.Line($"if ({Vector512Accelerated}) {generic}<global::InceptionGen.Kernels.Block512>(begin, end, batch, memory, inputBase, outputBase);");
        w.Line($"else if ({Vector256Accelerated}) {generic}<global::InceptionGen.Kernels.Block256>(begin, end, batch, memory, inputBase, outputBase);");
        w.Line($"else if ({Vector128Accelerated}) {generic}<global::InceptionGen.Kernels.Block128>(begin, end, batch, memory, inputBase, outputBase);");
        using (w.Block("else"))
        {
            w.Line("var parameters = __parameters.ReadOnlySpan;");
            using (ImageLoop())
            {
                var slice = op.OutputChannelOffset * target.Height * target.Width;
                w.Line($"{Kernels}.Conv2d({InputSlice(source)}, {ChannelMap(source)}, {OutputSlice(target, Add(slice, null), RoundUp(op.OutChannels) * target.Height * target.Width)},");
                if (op.BatchNorm is { FoldedOffset: >= 0 })
                {
                    w.Line($"    __packedFolded ? {FoldedWeights(op, "__packedWeights.Span")} : {ParameterSpan(op.Weights)}, __packedFolded ? {FoldedBias(op, "__packedWeights.Span")} : {ParameterSpan(op.Bias)},");
                }
                else
                {
                    w.Line($"    {ParameterSpan(op.Weights)}, {ParameterSpan(op.Bias)},");
                }

                w.Line($"    new global::InceptionGen.Kernels.ConvGeometry(InChannels: {source.Channels}, InHeight: {source.Height}, InWidth: {source.Width}, OutChannels: {op.OutChannels}, OutHeight: {op.OutHeight}, OutWidth: {op.OutWidth}, {GeometryArguments(op, padding: 0)}, Relu: {FoldedRelu(op) ?? Bool(op.Relu)}));");
            }
        }

        // The generic driver, closed after this method.
        _pendingConvolutions.Add(op);
    }

    private readonly List<OpPlan> _pendingConvolutions = new();

    internal static string ConvolveName(OpPlan op) => "__Convolve_" + op.Schedule!.Stem;

    /// <summary>Writes the drivers of the convolution just written, right after its op method.</summary>
    private void WriteConvolutionDrivers()
    {
        foreach (var op in _pendingConvolutions)
        {
            WriteConvolutionDriver(op);
        }

        _pendingConvolutions.Clear();
    }

    private void WriteConvolutionDriver(OpPlan op)
    {
        var w = _writer;
        var source = _plan.Tensors[op.Input];
        var target = _plan.Tensors[op.Output];
        var tiling = op.Tiling!;
        var outBlocks = (op.OutChannels + 15) / 16;
        var weightBlock = op.LoopChannels * op.Kernel.Area * 16;
        var outputPlane = target.Height * target.Width * 16;
        var slice = op.OutputChannelOffset * target.Height * target.Width;
        w.Line($"// {op.QualifiedName}: {outBlocks} output blocks x {op.OutHeight} rows of {op.OutWidth} pixels, reading {source.Name} {source.ShapeText}.");
        w.Line(GeneratedCode);
        using (w.Block($"private void {ConvolveName(op)}<TBlock>(int begin, int end, int batch, global::System.Span<float> memory, int inputBase, int outputBase) where TBlock : struct, global::InceptionGen.Kernels.IChannelBlock<TBlock>"))
        {
            w.Line("ref var activations = ref global::System.Runtime.InteropServices.MemoryMarshal.GetReference(memory);");
            w.Line("ref var packed = ref __packedWeights.First;");
            using (w.Block("if (TBlock.RegistersPerBlock == 1)"))
            {
                WriteConvolutionRows(op, source, tiling.WideBlocks, tiling.WidePixels, outBlocks, weightBlock, outputPlane, slice);
            }

            using (w.Block("else"))
            {
                WriteConvolutionRows(op, source, 1, tiling.NarrowPixels, outBlocks, weightBlock, outputPlane, slice);
            }
        }

        w.Line();
    }

    private void WriteConvolutionRows(OpPlan op, TensorPlan source, int blocks, int pixels, int outBlocks, int weightBlock, int outputPlane, int slice)
    {
        var w = _writer;
        var target = _plan.Tensors[op.Output];
        var groups = outBlocks / blocks;
        var inputRow = source.Width * 16;
        using (w.Block("for (var item = begin; item < end; item++)"))
        {
            w.Line($"var image = item / {groups * op.OutHeight};");
            w.Line($"var group = item / {op.OutHeight} % {groups};");
            w.Line($"var row = item % {op.OutHeight};");
            w.Line($"ref var input = ref {Unsafe}.Add(ref activations, inputBase + image * {source.Length} + row * {op.Stride.Height * inputRow});");
            w.Line($"ref var output = ref {Unsafe}.Add(ref activations, outputBase + image * {target.Length} + {(slice > 0 ? slice + " + " : "")}group * {blocks * outputPlane} + row * {op.OutWidth * 16});");
            w.Line($"ref var weights = ref {Unsafe}.Add(ref packed, {op.PackedOffset} + group * {blocks * weightBlock});");
            w.Line($"ref var bias = ref {Unsafe}.Add(ref packed, {op.PackedBiasOffset} + group * {blocks * 16});");
            WriteTileCalls(new TileSweep(op.Kernel, op.Stride, blocks, pixels, op.OutWidth, op.LoopChannels, source.Height * source.Width * 16, inputRow, weightBlock, outputPlane, op.Relu, Accumulate: false, ReluExpression: FoldedRelu(op)));
        }
    }

    /// <summary>One output row of register tiles: the refs <c>input</c>, <c>output</c>, <c>weights</c> and <c>bias</c> point at the row's start.</summary>
    private sealed record TileSweep(SizePair Kernel, SizePair Stride, int Blocks, int Pixels, int OutWidth, int LoopChannels, int InputPlane, int InputRow, int WeightBlock, int OutputPlane, bool Relu, bool Accumulate, string? ReluExpression = null);

    private void WriteTileCalls(TileSweep sweep)
    {
        var w = _writer;
        var fullTiles = sweep.OutWidth / sweep.Pixels;
        var remainder = sweep.OutWidth % sweep.Pixels;
        var arguments = $"{sweep.LoopChannels}, {sweep.InputPlane}, {sweep.InputRow}, {sweep.WeightBlock}, {sweep.OutputPlane}, relu: {sweep.ReluExpression ?? Bool(sweep.Relu)}, accumulate: {Bool(sweep.Accumulate)}";
        var tile = (sweep.Blocks, sweep.Pixels, sweep.Kernel, sweep.Stride);
        if (fullTiles == 1)
        {
            w.Line($"{TileName(tile)}<TBlock>(ref input, ref weights, ref bias, ref output, {arguments});");
        }
        else if (fullTiles > 1)
        {
            using (w.Block($"for (var tile = 0; tile < {fullTiles}; tile++)"))
            {
                w.Line($"{TileName(tile)}<TBlock>(ref {Unsafe}.Add(ref input, tile * {sweep.Pixels * sweep.Stride.Width * 16}), ref weights, ref bias, ref {Unsafe}.Add(ref output, tile * {sweep.Pixels * 16}), {arguments});");
            }
        }

        if (remainder > 0)
        {
            var last = (sweep.Blocks, remainder, sweep.Kernel, sweep.Stride);
            w.Line($"{TileName(last)}<TBlock>(ref {Unsafe}.Add(ref input, {fullTiles * sweep.Pixels * sweep.Stride.Width * 16}), ref weights, ref bias, ref {Unsafe}.Add(ref output, {fullTiles * sweep.Pixels * 16}), {arguments});");
        }
    }
}
