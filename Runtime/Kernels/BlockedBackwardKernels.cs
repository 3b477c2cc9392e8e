using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace InceptionGen.Kernels;

/// <summary>
/// Vectorized backward kernels on NCHW16c for everything but convolutions, each matching its
/// <see cref="ReferenceBackward"/> counterpart and following its conventions: gradients are <b>added</b>
/// (<c>+=</c>) into their buffers. Like <see cref="BlockedKernels"/>, each works on one block plane or one row
/// so that a layer splits into many items, and the public entry points pick Vector512, then Vector256, then
/// Vector128 (JIT-time constants). A call always does its work: callers skip the call when a gradient is not
/// needed (the reference's empty-span convention is the generated code's job here).
/// <para>
/// Pools, padding and the global average pool round exactly as the reference does (same operations in the same
/// order per lane), so they match it bit for bit. LRN differs only in <c>s^-β</c> (square roots or exp/log
/// instead of <see cref="MathF.Pow(float, float)"/>), the linear kernels only in summation order.
/// </para>
/// </summary>
public static class BlockedBackwardKernels
{
    private const int Block = BlockedLayout.BlockSize;

    /// <summary>
    /// Gradient of max pooling for one block plane (<see cref="PoolGeometry.Channels"/> is 16): each output's gradient
    /// goes, per lane, to the first cell of its window in row-major order whose input equals the output, as
    /// <see cref="ReferenceBackward.MaxPool2d"/> routes it. <paramref name="output"/> is the forward's output.
    /// </summary>
    public static void MaxPoolBlock(ReadOnlySpan<float> input, ReadOnlySpan<float> output, ReadOnlySpan<float> outputGradient, Span<float> inputGradient,
        in PoolGeometry g)
    {
        if (Vector512.IsHardwareAccelerated) MaxPool<Block512>(input, output, outputGradient, inputGradient, g);
        else if (Vector256.IsHardwareAccelerated) MaxPool<Block256>(input, output, outputGradient, inputGradient, g);
        else MaxPool<Block128>(input, output, outputGradient, inputGradient, g);
    }

    /// <summary>
    /// Gradient of average pooling for one block plane: each output's gradient divided by Caffe's divisor
    /// (<see cref="ReferenceKernels.AverageDivisor"/>) is added to every input cell of its window.
    /// </summary>
    public static void AvgPoolBlock(ReadOnlySpan<float> outputGradient, Span<float> inputGradient, in PoolGeometry g)
    {
        if (Vector512.IsHardwareAccelerated) AvgPool<Block512>(outputGradient, inputGradient, g);
        else if (Vector256.IsHardwareAccelerated) AvgPool<Block256>(outputGradient, inputGradient, g);
        else AvgPool<Block128>(outputGradient, inputGradient, g);
    }

    /// <summary>Gradient of the global average pool for one block plane: 16 output gradients, each times 1 / (height × width), added to every pixel.</summary>
    public static void GlobalAveragePoolBlock(ReadOnlySpan<float> outputGradient, Span<float> inputGradient, int height, int width)
    {
        if (Vector512.IsHardwareAccelerated) GlobalAverage<Block512>(outputGradient, inputGradient, height * width);
        else if (Vector256.IsHardwareAccelerated) GlobalAverage<Block256>(outputGradient, inputGradient, height * width);
        else GlobalAverage<Block128>(outputGradient, inputGradient, height * width);
    }

    /// <summary>Gradient of <see cref="BlockedKernels.PadBlock(ReadOnlySpan{float}, Span{float}, int, int, int)"/>: adds the interior of one padded plane's gradient to one plane; the border's gradient goes nowhere.</summary>
    public static void PadBlock(ReadOnlySpan<float> paddedGradient, Span<float> inputGradient, int height, int width, int padding)
        => PadBlock(paddedGradient, inputGradient, height, width, padding, padding);

    /// <summary>As the square overload, with <paramref name="paddingHeight"/> rows above and below and <paramref name="paddingWidth"/> columns left and right.</summary>
    public static void PadBlock(ReadOnlySpan<float> paddedGradient, Span<float> inputGradient, int height, int width, int paddingHeight, int paddingWidth)
    {
        var paddedWidth = width + 2 * paddingWidth;
        var rowLength = width * Block;
        _ = paddedGradient[(height + 2 * paddingHeight) * paddedWidth * Block - 1];
        _ = inputGradient[height * rowLength - 1];
        for (var y = 0; y < height; y++)
        {
            var row = inputGradient.Slice(y * rowLength, rowLength);
            TensorPrimitives.Add(row, paddedGradient.Slice(((y + paddingHeight) * paddedWidth + paddingWidth) * Block, rowLength), row);
        }
    }

    /// <summary>
    /// Gradient of <see cref="BlockedKernels.LocalResponseNormRow"/> for one row of one image (all blocks):
    /// <c>dx_i += dy_i · s_i^-β − (2αβ/n) · x_i · Σ_{j : i ∈ window(j)} dy_j · y_j / s_j</c> with <c>s = k + α/n · Σ_window x²</c>.
    /// <paramref name="channels"/> counts physical channels and the maps must have no channel gaps; padding channels
    /// are taken as channels, so they must be zero in the input (as the forward needs) and in the output gradient: then
    /// their ratio dy·y/s is 0 and their input gradient gets +0. (The reference never reads them; here a NaN in a padding
    /// channel of dy would reach the logical channels whose window covers it.)
    /// </summary>
    public static void LocalResponseNormRow(ReadOnlySpan<float> input, ReadOnlySpan<float> output, ReadOnlySpan<float> outputGradient, Span<float> inputGradient,
        int channels, int height, int width, int y, int size, float alpha, float beta, float k)
    {
        if (beta == 0.75f) LrnRow<ThreeQuartersPower>(input, output, outputGradient, inputGradient, channels, height, width, y, size, alpha, beta, k);
        else LrnRow<AnyPower>(input, output, outputGradient, inputGradient, channels, height, width, y, size, alpha, beta, k);
    }

    private static void LrnRow<TPower>(ReadOnlySpan<float> input, ReadOnlySpan<float> output, ReadOnlySpan<float> outputGradient, Span<float> inputGradient,
        int channels, int height, int width, int y, int size, float alpha, float beta, float k)
        where TPower : struct, ILrnPower
    {
        if (Vector512.IsHardwareAccelerated) LrnRow<Block512, TPower>(input, output, outputGradient, inputGradient, channels, height, width, y, size, alpha, beta, k);
        else if (Vector256.IsHardwareAccelerated) LrnRow<Block256, TPower>(input, output, outputGradient, inputGradient, channels, height, width, y, size, alpha, beta, k);
        else LrnRow<Block128, TPower>(input, output, outputGradient, inputGradient, channels, height, width, y, size, alpha, beta, k);
    }

    /// <summary>
    /// Input gradient of a fully connected layer (W as [out, in], plain vectors): <c>dx += Wᵀ dy</c>, one
    /// multiply-add of a weight row per output; outputs whose gradient is 0 (a ReLU cut them) are skipped.
    /// </summary>
    public static void LinearData(ReadOnlySpan<float> outputGradient, ReadOnlySpan<float> weights, Span<float> inputGradient, int inFeatures, int outFeatures)
    {
        var dx = inputGradient[..inFeatures];
        for (var o = 0; o < outFeatures; o++)
        {
            var gradient = outputGradient[o];
            if (gradient != 0f)
            {
                TensorPrimitives.MultiplyAdd(weights.Slice(o * inFeatures, inFeatures), gradient, dx, dx);
            }
        }
    }

    /// <summary>
    /// Weight and bias gradients of a fully connected layer for output rows [<paramref name="rowBegin"/>, <paramref name="rowEnd"/>):
    /// <c>dW[o] += dy[o] · x</c> and <c>db[o] += dy[o]</c> (<paramref name="biasGradient"/> empty: no bias). Other rows are not touched.
    /// </summary>
    public static void LinearWeights(ReadOnlySpan<float> input, ReadOnlySpan<float> outputGradient, Span<float> weightGradient, Span<float> biasGradient,
        int inFeatures, int rowBegin, int rowEnd)
    {
        var x = input[..inFeatures];
        for (var o = rowBegin; o < rowEnd; o++)
        {
            var gradient = outputGradient[o];
            var row = weightGradient.Slice(o * inFeatures, inFeatures);
            TensorPrimitives.MultiplyAdd(x, gradient, row, row);
            if (!biasGradient.IsEmpty)
            {
                biasGradient[o] += gradient;
            }
        }
    }

    // ---- generic bodies ------------------------------------------------------------------------

    private static void MaxPool<TBlock>(ReadOnlySpan<float> input, ReadOnlySpan<float> output, ReadOnlySpan<float> outputGradient, Span<float> inputGradient,
        in PoolGeometry g)
        where TBlock : struct, IChannelBlock<TBlock>
    {
        var inPlane = g.InHeight * g.InWidth * Block;
        var outPlane = g.OutHeight * g.OutWidth * Block;
        _ = input[inPlane - 1];
        _ = inputGradient[inPlane - 1];
        _ = output[outPlane - 1];
        _ = outputGradient[outPlane - 1];
        ref var x = ref MemoryMarshal.GetReference(input);
        ref var dx = ref MemoryMarshal.GetReference(inputGradient);
        ref var y = ref MemoryMarshal.GetReference(output);
        ref var dy = ref MemoryMarshal.GetReference(outputGradient);
        for (var oy = 0; oy < g.OutHeight; oy++)
        {
            var (y0, y1) = ReferenceKernels.Window(oy, g.StrideHeight, g.PaddingHeight, g.KernelHeight, g.InHeight);
            for (var ox = 0; ox < g.OutWidth; ox++)
            {
                var (x0, x1) = ReferenceKernels.Window(ox, g.StrideWidth, g.PaddingWidth, g.KernelWidth, g.InWidth);
                var outputIndex = (oy * g.OutWidth + ox) * Block;
                var max = TBlock.Load(ref Unsafe.Add(ref y, outputIndex));
                var gradient = TBlock.Load(ref Unsafe.Add(ref dy, outputIndex));
                // Lanes whose winner is already behind us: a later equal cell must not take the gradient again.
                var found = TBlock.Zero;
                for (var iy = y0; iy < y1; iy++)
                {
                    for (var ix = x0; ix < x1; ix++)
                    {
                        var index = (iy * g.InWidth + ix) * Block;
                        var equal = TBlock.Equal(TBlock.Load(ref Unsafe.Add(ref x, index)), max);
                        var first = TBlock.AndNot(equal, found);
                        found = TBlock.Or(found, equal);
                        // Select rather than adding a masked gradient: other lanes keep their value bit for bit (dx + 0 would turn -0 into +0).
                        ref var cell = ref Unsafe.Add(ref dx, index);
                        var current = TBlock.Load(ref cell);
                        TBlock.Store(TBlock.Select(first, TBlock.Add(current, gradient), current), ref cell);
                    }
                }
            }
        }
    }

    private static void AvgPool<TBlock>(ReadOnlySpan<float> outputGradient, Span<float> inputGradient, in PoolGeometry g)
        where TBlock : struct, IChannelBlock<TBlock>
    {
        _ = inputGradient[g.InHeight * g.InWidth * Block - 1];
        _ = outputGradient[g.OutHeight * g.OutWidth * Block - 1];
        ref var dx = ref MemoryMarshal.GetReference(inputGradient);
        ref var dy = ref MemoryMarshal.GetReference(outputGradient);
        for (var oy = 0; oy < g.OutHeight; oy++)
        {
            var (y0, y1) = ReferenceKernels.Window(oy, g.StrideHeight, g.PaddingHeight, g.KernelHeight, g.InHeight);
            for (var ox = 0; ox < g.OutWidth; ox++)
            {
                var (x0, x1) = ReferenceKernels.Window(ox, g.StrideWidth, g.PaddingWidth, g.KernelWidth, g.InWidth);
                // Divide, as the reference does: multiplying by a rounded 1/count is 1 ulp off for many values.
                var share = TBlock.Divide(TBlock.Load(ref Unsafe.Add(ref dy, (oy * g.OutWidth + ox) * Block)),
                    TBlock.Broadcast(ReferenceKernels.AverageDivisor(oy, ox, g)));
                for (var iy = y0; iy < y1; iy++)
                {
                    for (var ix = x0; ix < x1; ix++)
                    {
                        ref var cell = ref Unsafe.Add(ref dx, (iy * g.InWidth + ix) * Block);
                        TBlock.Store(TBlock.Add(TBlock.Load(ref cell), share), ref cell);
                    }
                }
            }
        }
    }

    private static void GlobalAverage<TBlock>(ReadOnlySpan<float> outputGradient, Span<float> inputGradient, int pixels)
        where TBlock : struct, IChannelBlock<TBlock>
    {
        _ = outputGradient[Block - 1];
        _ = inputGradient[pixels * Block - 1];
        ref var dx = ref MemoryMarshal.GetReference(inputGradient);
        var share = TBlock.Multiply(TBlock.Load(ref MemoryMarshal.GetReference(outputGradient)), TBlock.Broadcast(1f / pixels));
        for (var pixel = 0; pixel < pixels; pixel++)
        {
            ref var cell = ref Unsafe.Add(ref dx, pixel * Block);
            TBlock.Store(TBlock.Add(TBlock.Load(ref cell), share), ref cell);
        }
    }

    // The scratch is cleared once below; zeroing it on entry as well would double the work for short rows.
    [SkipLocalsInit]
    private static void LrnRow<TBlock, TPower>(ReadOnlySpan<float> input, ReadOnlySpan<float> output, ReadOnlySpan<float> outputGradient, Span<float> inputGradient,
        int channels, int height, int width, int y, int size, float alpha, float beta, float k)
        where TBlock : struct, IChannelBlock<TBlock>
        where TPower : struct, ILrnPower
    {
        var half = (size - 1) / 2;
        var blocks = channels / Block;
        var plane = height * width * Block;
        _ = input[blocks * plane - 1];
        _ = output[blocks * plane - 1];
        _ = outputGradient[blocks * plane - 1];
        _ = inputGradient[blocks * plane - 1];
        // Per pixel of a chunk, three lines: the squares x² and the ratios dy·y/s, each zero-padded (`half` zeros on each
        // side, so a window never leaves them), and s itself. Windows clipped at the ends add zeros, which changes no sum.
        var lineLength = channels + 2 * half + Block;
        var chunk = LrnWindow.ChunkPixels(lineLength, 3, width);
        Span<float> scratch = stackalloc float[3 * chunk * lineLength];
        scratch.Clear();
        ref var squares = ref MemoryMarshal.GetReference(scratch);
        ref var ratios = ref Unsafe.Add(ref squares, chunk * lineLength);
        ref var scales = ref Unsafe.Add(ref squares, 2 * chunk * lineLength);
        ref var x = ref MemoryMarshal.GetReference(input);
        ref var yOut = ref MemoryMarshal.GetReference(output);
        ref var dy = ref MemoryMarshal.GetReference(outputGradient);
        ref var dx = ref MemoryMarshal.GetReference(inputGradient);
        // The same constants, rounded the same way, as ReferenceBackward.LocalResponseNorm; the coefficient negated
        // (exactly) so that dy·s^-β − c·x·Σ is an add of the same rounded product.
        var scaleValue = alpha / size;
        var scale = TBlock.Broadcast(scaleValue);
        var negativeCoefficient = TBlock.Broadcast(-(2f * scaleValue * beta));
        var bias = TBlock.Broadcast(k);
        var exponent = TBlock.Broadcast(-beta);
        for (var first = 0; first < width; first += chunk)
        {
            var count = Math.Min(chunk, width - first);
            var pixel = (y * width + first) * Block;
            LrnWindow.SquarePixels<TBlock>(ref x, plane, pixel, count, blocks, half, ref squares, lineLength);
            for (var b = 0; b < blocks; b++)
            {
                for (var c = 0; c < count; c++)
                {
                    var sum = LrnWindow.WindowSum<TBlock>(ref Unsafe.Add(ref squares, c * lineLength), b, size);
                    var s = TBlock.Add(bias, TBlock.Multiply(scale, sum));
                    TBlock.Store(s, ref Unsafe.Add(ref scales, c * lineLength + b * Block));
                    var index = b * plane + pixel + c * Block;
                    var ratio = TBlock.Divide(TBlock.Multiply(TBlock.Load(ref Unsafe.Add(ref dy, index)), TBlock.Load(ref Unsafe.Add(ref yOut, index))), s);
                    TBlock.Store(ratio, ref Unsafe.Add(ref ratios, c * lineLength + half + b * Block));
                }
            }

            for (var b = 0; b < blocks; b++)
            {
                for (var c = 0; c < count; c++)
                {
                    var sum = LrnWindow.WindowSum<TBlock>(ref Unsafe.Add(ref ratios, c * lineLength), b, size);
                    var power = TPower.PowerMinusBeta(TBlock.Load(ref Unsafe.Add(ref scales, c * lineLength + b * Block)), exponent);
                    var index = b * plane + pixel + c * Block;
                    ref var cell = ref Unsafe.Add(ref dx, index);
                    var direct = TBlock.Multiply(TBlock.Load(ref Unsafe.Add(ref dy, index)), power);
                    var through = TBlock.Multiply(TBlock.Multiply(negativeCoefficient, TBlock.Load(ref Unsafe.Add(ref x, index))), sum);
                    TBlock.Store(TBlock.Add(TBlock.Load(ref cell), TBlock.Add(direct, through)), ref cell);
                }
            }
        }
    }

    /// <summary>
    /// Gradient of <see cref="BlockedKernels.AdaptiveAvgPoolBlock"/> for one block plane: as <see cref="ReferenceBackward.AdaptiveAvgPool2d"/>,
    /// each output's gradient divided by its window's size is added to every cell of the window, outputs row-major.
    /// </summary>
    public static void AdaptiveAvgPoolBlock(ReadOnlySpan<float> outputGradient, Span<float> inputGradient, int inHeight, int inWidth, int outHeight, int outWidth)
    {
        if (Vector512.IsHardwareAccelerated) AdaptiveAverage<Block512>(outputGradient, inputGradient, inHeight, inWidth, outHeight, outWidth);
        else if (Vector256.IsHardwareAccelerated) AdaptiveAverage<Block256>(outputGradient, inputGradient, inHeight, inWidth, outHeight, outWidth);
        else AdaptiveAverage<Block128>(outputGradient, inputGradient, inHeight, inWidth, outHeight, outWidth);
    }

    private static void AdaptiveAverage<TBlock>(ReadOnlySpan<float> outputGradient, Span<float> inputGradient, int inHeight, int inWidth, int outHeight, int outWidth)
        where TBlock : struct, IChannelBlock<TBlock>
    {
        _ = inputGradient[inHeight * inWidth * Block - 1];
        _ = outputGradient[outHeight * outWidth * Block - 1];
        ref var dx = ref MemoryMarshal.GetReference(inputGradient);
        ref var dy = ref MemoryMarshal.GetReference(outputGradient);
        for (var oy = 0; oy < outHeight; oy++)
        {
            var (y0, y1) = ReferenceKernels.AdaptiveWindow(oy, inHeight, outHeight);
            for (var ox = 0; ox < outWidth; ox++)
            {
                var (x0, x1) = ReferenceKernels.AdaptiveWindow(ox, inWidth, outWidth);
                var share = TBlock.Divide(TBlock.Load(ref Unsafe.Add(ref dy, (oy * outWidth + ox) * Block)), TBlock.Broadcast((y1 - y0) * (x1 - x0)));
                for (var y = y0; y < y1; y++)
                {
                    for (var x = x0; x < x1; x++)
                    {
                        ref var cell = ref Unsafe.Add(ref dx, (y * inWidth + x) * Block);
                        TBlock.Store(TBlock.Add(TBlock.Load(ref cell), share), ref cell);
                    }
                }
            }
        }
    }

    /// <summary>
    /// Backward of <see cref="BlockedKernels.ResidualAddBlock"/> on one block plane: the output gradient, zeroed where the
    /// ReLU clipped the output, is added to the input's gradient and, times <paramref name="scale"/>, to the branches'.
    /// Bit for bit <see cref="ReferenceBackward.ResidualAdd"/>'s.
    /// </summary>
    public static void ResidualAddBlock(ReadOnlySpan<float> output, ReadOnlySpan<float> outputGradient, Span<float> inputGradient, Span<float> branchesGradient, float scale, bool relu)
    {
        if (Vector512.IsHardwareAccelerated) ResidualAdd<Block512>(output, outputGradient, inputGradient, branchesGradient, scale, relu);
        else if (Vector256.IsHardwareAccelerated) ResidualAdd<Block256>(output, outputGradient, inputGradient, branchesGradient, scale, relu);
        else ResidualAdd<Block128>(output, outputGradient, inputGradient, branchesGradient, scale, relu);
    }

    private static void ResidualAdd<TBlock>(ReadOnlySpan<float> output, ReadOnlySpan<float> outputGradient, Span<float> inputGradient, Span<float> branchesGradient, float scale, bool relu)
        where TBlock : struct, IChannelBlock<TBlock>
    {
        _ = outputGradient[output.Length - 1];
        _ = inputGradient[output.Length - 1];
        _ = branchesGradient[output.Length - 1];
        ref var y = ref MemoryMarshal.GetReference(output);
        ref var dy = ref MemoryMarshal.GetReference(outputGradient);
        ref var dx = ref MemoryMarshal.GetReference(inputGradient);
        ref var db = ref MemoryMarshal.GetReference(branchesGradient);
        var factor = TBlock.Broadcast(scale);
        for (var i = 0; i < output.Length; i += Block)
        {
            var gradient = TBlock.Load(ref Unsafe.Add(ref dy, i));
            if (relu)
            {
                gradient = TBlock.Select(TBlock.GreaterThanZero(TBlock.Load(ref Unsafe.Add(ref y, i))), gradient, TBlock.Zero);
            }

            TBlock.Store(TBlock.Add(TBlock.Load(ref Unsafe.Add(ref dx, i)), gradient), ref Unsafe.Add(ref dx, i));
            TBlock.Store(TBlock.Add(TBlock.Load(ref Unsafe.Add(ref db, i)), TBlock.Multiply(factor, gradient)), ref Unsafe.Add(ref db, i));
        }
    }
}
