using System;
using System.Collections.Generic;
using System.Linq;
using InceptionGen.Generator.Model;
using InceptionGen.Generator.Planning;

namespace InceptionGen.Generator.Emitting;

/// <summary>
/// The vectorized backward pass of a convolution (see <see cref="ConvBackwardPlan"/>): the input gradient of
/// a stride-1 convolution is a transposed convolution run by the forward micro-kernels, adding into the
/// input's gradient; the weight gradient is a second kind of register tile that sums, over every pixel of
/// every image, one output-gradient vector (16 output channels) times one broadcast input value.
/// </summary>
internal sealed partial class Emitter
{
    /// <summary>The shared weight-gradient tile, in the compilation's tile class.</summary>
    private string WeightTileName((int Blocks, int Channels, SizePair Kernel, SizePair Stride) tile)
        => $"{_tilesClass}.{RegisterTileEmitter.WeightGradientName(new RegisterTile(tile.Blocks, tile.Channels, tile.Kernel, tile.Stride))}";

    internal static string TransposedConvolveName(OpPlan op) => "__TransposedConvolve_" + op.Schedule!.Stem;

    internal static string WeightGradientName(OpPlan op) => "__WeightGradient_" + op.Schedule!.Stem;

    /// <summary>
    /// The input-gradient half: ReLU mask, then the transposed convolution (stride 1) or, for a strided convolution,
    /// <c>StridedConvolutionBackward.InputGradient</c> on the forward's packed weights; the scalar kernel without SIMD.
    /// </summary>
    internal void WriteConvolutionDataBackward(OpPlan op, TensorPlan source, TensorPlan target, string outputSlice, string outputGradientSlice, string inputGradient, string reference, string wanted)
    {
        var w = _writer;
        using (w.Block($"if ({Vector128Accelerated})"))
        {
            using (ImageLoop())
            {
                if (op.Relu)
                {
                    w.Line("// The fused ReLU: no gradient where the output was clipped to 0. Weight gradients run after this.");
                    w.Line($"{Blocked}.ReluMask({outputSlice}, {outputGradientSlice});");
                }

                if (op.Stride != SizePair.Square(1))
                {
                    // Training packs the plain weights (not BatchNorm-folded), so the forward's packing is this step's weights.
                    w.Line($"{wanted}global::InceptionGen.Kernels.StridedConvolutionBackward.InputGradient({outputGradientSlice}, __packedWeights.Span.Slice({op.PackedOffset}, {op.Schedule!.PackedLength}), {inputGradient}, {op.LoopChannels}, {ConvGeometryText(op, source)});");
                }
                else if (op.Backward?.InputGradientWinograd is not null)
                {
                    w.Line($"{wanted}{WinogradInputGradientName(op)}(image, batch);");
                    _pendingTransposed.Add(op);
                }
                else
                {
                    var generic = TransposedConvolveName(op);
                    w.Line($"{wanted}{{");
                    w.Line($"    if ({Vector512Accelerated}) {generic}<global::InceptionGen.Kernels.Block512>(image, batch);");
                    w.Line($"    else if ({Vector256Accelerated}) {generic}<global::InceptionGen.Kernels.Block256>(image, batch);");
                    w.Line($"    else {generic}<global::InceptionGen.Kernels.Block128>(image, batch);");
                    w.Line("}");
                    _pendingTransposed.Add(op);
                }
            }
        }

        using (w.Block("else"))
        using (ImageLoop())
        {
            if (op.Relu)
            {
                w.Line($"{Backward}.ReluMask({outputSlice}, {outputGradientSlice});");
            }

            w.Line($"{wanted}{reference}");
        }
    }

    private readonly List<OpPlan> _pendingTransposed = new();

    private readonly List<OpPlan> _pendingWeightGradients = new();

    /// <summary>The weight-gradient half, vectorized: it adds into the packed gradient, unpacked once per step.</summary>
    internal void WriteConvolutionWeightBackward(OpPlan op)
    {
        var w = _writer;
        var generic = WeightGradientName(op);
        w.Line($"if ({Vector512Accelerated}) {generic}<global::InceptionGen.Kernels.Block512>(begin, end, batch);");
        w.Line($"else if ({Vector256Accelerated}) {generic}<global::InceptionGen.Kernels.Block256>(begin, end, batch);");
        w.Line($"else {generic}<global::InceptionGen.Kernels.Block128>(begin, end, batch);");
        _pendingWeightGradients.Add(op);
    }

    /// <summary>Writes the drivers of the backward op just written, right after its method.</summary>
    private void WriteConvolutionBackwardDrivers()
    {
        foreach (var op in _pendingTransposed)
        {
            if (op.Backward!.InputGradientWinograd is not null)
            {
                WriteWinogradInputGradientDriver(op);
            }
            else
            {
                WriteTransposedDriver(op);
            }
        }

        foreach (var op in _pendingWeightGradients)
        {
            WriteWeightGradientDriver(op);
        }

        _pendingTransposed.Clear();
        _pendingWeightGradients.Clear();
    }

    private void WriteTransposedDriver(OpPlan op)
    {
        var w = _writer;
        var plan = op.Backward!;
        var source = _plan.Tensors[op.Input];
        var target = _plan.Tensors[op.Output];
        var tiling = plan.TransposedTiling!;
        var outBlocks = source.PhysicalChannels / 16;
        var slice = op.OutputChannelOffset * target.Height * target.Width;
        var padding = new SizePair(op.Kernel.Height - 1, op.Kernel.Width - 1);
        var paddedHeight = op.OutHeight + 2 * padding.Height;
        var paddedWidth = op.OutWidth + 2 * padding.Width;
        var inputPlane = paddedHeight * paddedWidth * 16;
        var outputGradientPlane = op.OutHeight * op.OutWidth * 16;
        var weightBlock = op.OutChannels * op.Kernel.Area * 16;
        var outputPlane = source.Height * source.Width * 16;
        w.Line($"// {op.QualifiedName}: input gradient as a transposed convolution over the output gradient{(padding.Height > 0 || padding.Width > 0 ? $" padded by {padding.ShortText}" : "")}, adding into the gradient of {source.Name}.");
        w.Line(GeneratedCode);
        using (w.Block($"private void {TransposedConvolveName(op)}<TBlock>(int image, int batch) where TBlock : struct, global::InceptionGen.Kernels.IChannelBlock<TBlock>"))
        {
            w.Line("var activations = __trainingActivations!.Span;");
            w.Line("var gradients = __activationGradients!.Span;");
            w.Line("ref var packed = ref __transposedWeights!.First;");
            string inputStart;
            if (padding.Height > 0 || padding.Width > 0)
            {
                var scratchLength = (op.OutChannels + 15) / 16 * inputPlane;
                w.Line($"var scratch = activations.Slice({plan.ScratchOffset} * batch + image * {scratchLength}, {scratchLength});");
                using (w.Block($"for (var block = 0; block < {(op.OutChannels + 15) / 16}; block++)"))
                {
                    w.Line($"{Blocked}.PadBlock(gradients.Slice({target.TrainingOffset} * batch + image * {target.Length} + {(slice > 0 ? slice + " + " : "")}block * {outputGradientPlane}, {outputGradientPlane}), scratch.Slice(block * {inputPlane}, {inputPlane}), {op.OutHeight}, {op.OutWidth}, {PaddingValues(padding)});");
                }

                inputStart = "ref global::System.Runtime.InteropServices.MemoryMarshal.GetReference(scratch)";
            }
            else
            {
                inputStart = $"ref {Unsafe}.Add(ref global::System.Runtime.InteropServices.MemoryMarshal.GetReference(gradients), {target.TrainingOffset} * batch + image * {target.Length}{(slice > 0 ? " + " + slice : "")})";
            }

            w.Line($"ref var start = {inputStart};");
            w.Line($"ref var inputGradient = ref {Unsafe}.Add(ref global::System.Runtime.InteropServices.MemoryMarshal.GetReference(gradients), {source.TrainingOffset} * batch + image * {source.Length});");
            foreach (var (blocks, pixels, label) in new[] { (tiling.WideBlocks, tiling.WidePixels, "wide"), (1, tiling.NarrowPixels, "narrow") })
            {
                using (w.Block(label == "wide" ? "if (TBlock.RegistersPerBlock == 1)" : "else"))
                using (w.Block($"for (var group = 0; group < {outBlocks / blocks}; group++)"))
                using (w.Block($"for (var row = 0; row < {source.Height}; row++)"))
                {
                    w.Line($"ref var input = ref {Unsafe}.Add(ref start, row * {paddedWidth * 16});");
                    w.Line($"ref var output = ref {Unsafe}.Add(ref inputGradient, group * {blocks * outputPlane} + row * {source.Width * 16});");
                    w.Line($"ref var weights = ref {Unsafe}.Add(ref packed, {plan.TransposedOffset} + group * {blocks * weightBlock});");
                    w.Line("ref var bias = ref weights; // unused: the tile adds to the gradient already there");
                    WriteTileCalls(new TileSweep(op.Kernel, SizePair.Square(1), blocks, pixels, source.Width, op.OutChannels, inputPlane, paddedWidth * 16, weightBlock, outputPlane, Relu: false, Accumulate: true));
                }
            }
        }

        w.Line();
    }

    private void WriteWeightGradientDriver(OpPlan op)
    {
        var w = _writer;
        var plan = op.Backward!;
        var source = _plan.Tensors[op.Input];
        var target = _plan.Tensors[op.Output];
        var outBlocks = (op.OutChannels + 15) / 16;
        var groups = outBlocks / plan.WeightBlocks;
        var chunks = (op.LoopChannels + plan.WeightChannels - 1) / plan.WeightChannels;
        var lastChannels = op.LoopChannels - (chunks - 1) * plan.WeightChannels;
        var taps = op.Kernel.Area;
        var weightBlock = op.LoopChannels * taps * 16;
        var outputPlane = target.Height * target.Width * 16;
        var inputPlane = source.Height * source.Width * 16;
        var inputRow = source.Width * 16;
        var slice = op.OutputChannelOffset * target.Height * target.Width;
        var tile = (plan.WeightBlocks, plan.WeightChannels, op.Kernel, op.Stride);
        var last = (plan.WeightBlocks, lastChannels, op.Kernel, op.Stride);
        w.Line($"// {op.QualifiedName}: weight gradients in tiles of {plan.WeightBlocks} output block(s) x {plan.WeightChannels} input channel(s) x one kernel row; items are (group, channel chunk), each running every kernel row over bands of {op.Schedule!.BandRows} output rows{(op.Bias is null ? "" : "; then one item per output block for the bias")}.");
        w.Line(GeneratedCode);
        using (w.Block($"private void {WeightGradientName(op)}<TBlock>(int begin, int end, int batch) where TBlock : struct, global::InceptionGen.Kernels.IChannelBlock<TBlock>"))
        {
            w.Line("var gradients = __activationGradients!.Span;");
            w.Line("ref var activations = ref global::System.Runtime.InteropServices.MemoryMarshal.GetReference(__trainingActivations!.Span);");
            w.Line("ref var outputGradients = ref global::System.Runtime.InteropServices.MemoryMarshal.GetReference(gradients);");
            w.Line("ref var packedGradient = ref __packedGradients!.First;");
            using (w.Block("for (var item = begin; item < end; item++)"))
            {
                if (op.Bias is not null)
                {
                    using (w.Block($"if (item >= {groups * chunks})"))
                    {
                        w.Line($"var block = item - {groups * chunks};");
                        using (w.Block("for (var image = 0; image < batch; image++)"))
                        {
                            w.Line($"{Blocked}.AddBiasGradientBlock(gradients.Slice({target.TrainingOffset} * batch + image * {target.Length} + {(slice > 0 ? slice + " + " : "")}block * {outputPlane}, {outputPlane}), __packedGradients!.Span.Slice({op.PackedBiasOffset} + block * 16, 16), {target.Height * target.Width});");
                        }

                        w.Line("continue;");
                    }
                }

                w.Line($"var group = item / {chunks};");
                w.Line($"var chunk = item % {chunks};");
                w.Line($"var channel = chunk * {plan.WeightChannels};");
                w.Line($"ref var accumulators = ref {Unsafe}.Add(ref packedGradient, {op.PackedOffset} + group * {plan.WeightBlocks * weightBlock} + channel * {taps * 16});");
                using (w.Block("for (var image = 0; image < batch; image++)"))
                {
                    w.Line($"ref var outputGradient = ref {Unsafe}.Add(ref outputGradients, {target.TrainingOffset} * batch + image * {target.Length} + {(slice > 0 ? slice + " + " : "")}group * {plan.WeightBlocks * outputPlane});");
                    w.Line($"ref var input = ref {Unsafe}.Add(ref activations, {source.TrainingOffset} * batch + image * {source.Length} + (channel >> 4) * {inputPlane} + (channel & 15));");
                    var bandRows = op.Schedule!.BandRows;
                    // Each accumulator still sums image by image, row by row: the same order, so the same result, as without bands.
                    using (w.Block($"for (var band = 0; band < {op.OutHeight}; band += {bandRows})"))
                    {
                        w.Line($"var rows = global::System.Math.Min({bandRows}, {op.OutHeight} - band);");
                        w.Line($"ref var gradientBand = ref {Unsafe}.Add(ref outputGradient, band * {op.OutWidth * 16});");
                        w.Line($"ref var inputBand = ref {Unsafe}.Add(ref input, band * {op.Stride.Height * inputRow});");
                        using (w.Block($"for (var ky = 0; ky < {op.Kernel.Height}; ky++)"))
                        {
                            w.Line($"ref var accumulator = ref {Unsafe}.Add(ref accumulators, ky * {op.Kernel.Width * 16});");
                            w.Line($"ref var inputRows = ref {Unsafe}.Add(ref inputBand, ky * {inputRow});");
                            var arguments = $"ref gradientBand, ref inputRows, ref accumulator, rows, {op.OutWidth}, {outputPlane}, {inputRow}, {weightBlock}";
                            if (lastChannels == plan.WeightChannels)
                            {
                                w.Line($"{WeightTileName(tile)}<TBlock>({arguments});");
                            }
                            else
                            {
                                w.Line($"if (chunk < {chunks - 1}) {WeightTileName(tile)}<TBlock>({arguments});");
                                w.Line($"else {WeightTileName(last)}<TBlock>({arguments});");
                            }
                        }
                    }
                }
            }
        }

        w.Line();
    }
}
