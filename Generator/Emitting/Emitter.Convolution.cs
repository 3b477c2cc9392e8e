using System.Collections.Generic;
using System.Linq;
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
    private readonly SortedSet<(int Blocks, int Pixels, int Kernel, int Stride)> _tiles = new();

    internal static string TileName((int Blocks, int Pixels, int Kernel, int Stride) tile)
        => $"__ConvolutionTile{tile.Blocks}x{tile.Pixels}Kernel{tile.Kernel}Stride{tile.Stride}";

    internal void WriteConvolutionBody(OpPlan op, TensorPlan source, TensorPlan target)
    {
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
                w.Line($"    {ParameterSpan(op.Weights)}, {ParameterSpan(op.Bias)},");
                w.Line($"    new global::InceptionGen.Kernels.ConvGeometry(InChannels: {source.Channels}, InHeight: {source.Height}, InWidth: {source.Width}, OutChannels: {op.OutChannels}, OutHeight: {op.OutHeight}, OutWidth: {op.OutWidth}, Kernel: {op.Kernel}, Stride: {op.Stride}, Padding: 0, Relu: {Bool(op.Relu)}));");
            }
        }

        // The generic driver, closed after this method.
        _pendingConvolutions.Add(op);
    }

    private readonly List<OpPlan> _pendingConvolutions = new();

    internal static string ConvolveName(OpPlan op) => "__Convolve_" + op.Schedule!.Stem;

    /// <summary>Writes the per-layer drivers collected while writing ops, then the shared micro-kernels.</summary>
    private void WriteConvolutionTiles()
    {
        foreach (var op in _pendingConvolutions)
        {
            WriteConvolutionDriver(op);
        }

        foreach (var tile in _tiles)
        {
            WriteTile(tile);
        }
    }

    private void WriteConvolutionDriver(OpPlan op)
    {
        var w = _writer;
        var source = _plan.Tensors[op.Input];
        var target = _plan.Tensors[op.Output];
        var tiling = op.Tiling!;
        var outBlocks = (op.OutChannels + 15) / 16;
        var weightBlock = op.LoopChannels * op.Kernel * op.Kernel * 16;
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
            w.Line($"ref var input = ref {Unsafe}.Add(ref activations, inputBase + image * {source.Length} + row * {op.Stride * inputRow});");
            w.Line($"ref var output = ref {Unsafe}.Add(ref activations, outputBase + image * {target.Length} + {(slice > 0 ? slice + " + " : "")}group * {blocks * outputPlane} + row * {op.OutWidth * 16});");
            w.Line($"ref var weights = ref {Unsafe}.Add(ref packed, {op.PackedOffset} + group * {blocks * weightBlock});");
            w.Line($"ref var bias = ref {Unsafe}.Add(ref packed, {op.PackedBiasOffset} + group * {blocks * 16});");
            WriteTileCalls(new TileSweep(op.Kernel, op.Stride, blocks, pixels, op.OutWidth, op.LoopChannels, source.Height * source.Width * 16, inputRow, weightBlock, outputPlane, op.Relu, Accumulate: false));
        }
    }

    /// <summary>One output row of register tiles: the refs <c>input</c>, <c>output</c>, <c>weights</c> and <c>bias</c> point at the row's start.</summary>
    private sealed record TileSweep(int Kernel, int Stride, int Blocks, int Pixels, int OutWidth, int LoopChannels, int InputPlane, int InputRow, int WeightBlock, int OutputPlane, bool Relu, bool Accumulate);

    private void WriteTileCalls(TileSweep sweep)
    {
        var w = _writer;
        var fullTiles = sweep.OutWidth / sweep.Pixels;
        var remainder = sweep.OutWidth % sweep.Pixels;
        var arguments = $"{sweep.LoopChannels}, {sweep.InputPlane}, {sweep.InputRow}, {sweep.WeightBlock}, {sweep.OutputPlane}, relu: {Bool(sweep.Relu)}, accumulate: {Bool(sweep.Accumulate)}";
        var tile = (sweep.Blocks, sweep.Pixels, sweep.Kernel, sweep.Stride);
        _tiles.Add(tile);
        if (fullTiles == 1)
        {
            w.Line($"{TileName(tile)}<TBlock>(ref input, ref weights, ref bias, ref output, {arguments});");
        }
        else if (fullTiles > 1)
        {
            using (w.Block($"for (var tile = 0; tile < {fullTiles}; tile++)"))
            {
                w.Line($"{TileName(tile)}<TBlock>(ref {Unsafe}.Add(ref input, tile * {sweep.Pixels * sweep.Stride * 16}), ref weights, ref bias, ref {Unsafe}.Add(ref output, tile * {sweep.Pixels * 16}), {arguments});");
            }
        }

        if (remainder > 0)
        {
            var last = (sweep.Blocks, remainder, sweep.Kernel, sweep.Stride);
            _tiles.Add(last);
            w.Line($"{TileName(last)}<TBlock>(ref {Unsafe}.Add(ref input, {fullTiles * sweep.Pixels * sweep.Stride * 16}), ref weights, ref bias, ref {Unsafe}.Add(ref output, {fullTiles * sweep.Pixels * 16}), {arguments});");
        }
    }

    /// <summary>
    /// One register tile: accumulators a{r}_{p} for output block r and pixel p. Per input channel and
    /// kernel tap: R weight loads, then for each pixel one broadcast and R fused multiply-adds.
    /// </summary>
    private void WriteTile((int Blocks, int Pixels, int Kernel, int Stride) tile)
    {
        var w = _writer;
        var (blocks, pixels, kernel, stride) = tile;
        w.Line($"// Register tile: {blocks} output block(s) x {pixels} pixels, {kernel}x{kernel} kernel, stride {stride}; {blocks * pixels} accumulators.");
        w.Line(GeneratedCode);
        using (w.Block($"private static void {TileName(tile)}<TBlock>(ref float input, ref float weights, ref float bias, ref float output, int channels, int inputPlane, int inputRow, int weightBlock, int outputPlane, bool relu, bool accumulate) where TBlock : struct, global::InceptionGen.Kernels.IChannelBlock<TBlock>"))
        {
            w.Line(string.Join(" ", Enumerable.Range(0, blocks).Select(r => $"TBlock {string.Join(", ", Enumerable.Range(0, pixels).Select(p => $"a{r}_{p}"))};")));
            w.Line("// Accumulate: add to what the output holds (gradients from several consumers); else start from the bias.");
            using (w.Block("if (accumulate)"))
            {
                for (var r = 0; r < blocks; r++)
                {
                    w.Line(string.Join(" ", Enumerable.Range(0, pixels).Select(p => $"a{r}_{p} = TBlock.Load(ref {Unsafe}.Add(ref output, {(r == 0 ? "" : $"{r} * outputPlane + ")}{p * 16}));")));
                }
            }

            using (w.Block("else"))
            {
                for (var r = 0; r < blocks; r++)
                {
                    w.Line($"a{r}_0 = TBlock.Load(ref {Unsafe}.Add(ref bias, {r * 16}));");
                    if (pixels > 1)
                    {
                        w.Line(string.Join(" ", Enumerable.Range(1, pixels - 1).Select(p => $"a{r}_{p} = a{r}_0;")));
                    }
                }
            }

            using (w.Block("for (var channel = 0; channel < channels; channel++)"))
            {
                w.Line($"ref var inputChannel = ref {Unsafe}.Add(ref input, (channel >> 4) * inputPlane + (channel & 15));");
                w.Line($"ref var weightChannel = ref {Unsafe}.Add(ref weights, channel * {kernel * kernel * 16});");
                if (kernel == 1)
                {
                    WriteTileStep(blocks, pixels, stride, "inputChannel", "weightChannel");
                }
                else
                {
                    using (w.Block($"for (var ky = 0; ky < {kernel}; ky++)"))
                    using (w.Block($"for (var kx = 0; kx < {kernel}; kx++)"))
                    {
                        w.Line($"ref var x = ref {Unsafe}.Add(ref inputChannel, ky * inputRow + kx * 16);");
                        w.Line($"ref var w = ref {Unsafe}.Add(ref weightChannel, (ky * {kernel} + kx) * 16);");
                        WriteTileStep(blocks, pixels, stride, "x", "w");
                    }
                }
            }

            using (w.Block("if (relu)"))
            {
                w.Line("var zero = TBlock.Zero;");
                for (var r = 0; r < blocks; r++)
                {
                    w.Line(string.Join(" ", Enumerable.Range(0, pixels).Select(p => $"a{r}_{p} = TBlock.Max(a{r}_{p}, zero);")));
                }
            }

            for (var r = 0; r < blocks; r++)
            {
                for (var p = 0; p < pixels; p++)
                {
                    var offset = r == 0 ? $"{p * 16}" : $"{r} * outputPlane + {p * 16}";
                    w.Line(p == 0 && r == 0 ? $"TBlock.Store(a0_0, ref output);" : $"TBlock.Store(a{r}_{p}, ref {Unsafe}.Add(ref output, {offset}));");
                }
            }
        }

        w.Line();
    }

    private void WriteTileStep(int blocks, int pixels, int stride, string input, string weights)
    {
        var w = _writer;
        for (var r = 0; r < blocks; r++)
        {
            w.Line(r == 0 ? $"var w0 = TBlock.Load(ref {weights});" : $"var w{r} = TBlock.Load(ref {Unsafe}.Add(ref {weights}, {r} * weightBlock));");
        }

        for (var p = 0; p < pixels; p++)
        {
            var x = p == 0 ? input : $"{Unsafe}.Add(ref {input}, {p * stride * 16})";
            w.Line($"var x{p} = {x};");
            w.Line(string.Join(" ", Enumerable.Range(0, blocks).Select(r => $"a{r}_{p} = TBlock.MultiplyAdd(x{p}, w{r}, a{r}_{p});")));
        }
    }
}
