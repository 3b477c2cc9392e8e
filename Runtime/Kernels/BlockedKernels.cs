using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace InceptionGen.Kernels;

/// <summary>
/// Vectorized kernels on NCHW16c for everything but convolutions (which the generator emits per layer).
/// Each works on one block plane (16 channels × height × width of one image) or one row, so that a
/// layer splits into many items for the worker pool. The public entry points pick Vector512, then
/// Vector256, then Vector128 (JIT-time constants); callers use <see cref="ReferenceKernels"/> when
/// <see cref="Vector128.IsHardwareAccelerated"/> is false.
/// </summary>
public static class BlockedKernels
{
    private const int Block = BlockedLayout.BlockSize;

    /// <summary>Max pooling of one block plane; padded cells never win.</summary>
    public static void MaxPoolBlock(ReadOnlySpan<float> input, Span<float> output, in PoolGeometry g)
    {
        if (Vector512.IsHardwareAccelerated) PoolBlock<Block512, MaxReduction>(input, output, g);
        else if (Vector256.IsHardwareAccelerated) PoolBlock<Block256, MaxReduction>(input, output, g);
        else PoolBlock<Block128, MaxReduction>(input, output, g);
    }

    /// <summary>Average pooling of one block plane with Caffe's divisor (window clipped to the padded input).</summary>
    public static void AvgPoolBlock(ReadOnlySpan<float> input, Span<float> output, in PoolGeometry g)
    {
        if (Vector512.IsHardwareAccelerated) PoolBlock<Block512, AverageReduction>(input, output, g);
        else if (Vector256.IsHardwareAccelerated) PoolBlock<Block256, AverageReduction>(input, output, g);
        else PoolBlock<Block128, AverageReduction>(input, output, g);
    }

    /// <summary>Mean over height × width of one block plane into 16 floats.</summary>
    public static void GlobalAveragePoolBlock(ReadOnlySpan<float> input, Span<float> output, int height, int width)
    {
        if (Vector512.IsHardwareAccelerated) GlobalAverage<Block512>(input, output, height * width);
        else if (Vector256.IsHardwareAccelerated) GlobalAverage<Block256>(input, output, height * width);
        else GlobalAverage<Block128>(input, output, height * width);
    }

    /// <summary>
    /// Copies one block plane into the interior of a plane with a zero border of <paramref name="padding"/>
    /// pixels, so that a padded convolution reads it with no bounds checks.
    /// </summary>
    public static void PadBlock(ReadOnlySpan<float> input, Span<float> output, int height, int width, int padding)
        => PadBlock(input, output, height, width, padding, padding);

    /// <summary>As the square overload, with <paramref name="paddingHeight"/> rows above and below and <paramref name="paddingWidth"/> columns left and right.</summary>
    public static void PadBlock(ReadOnlySpan<float> input, Span<float> output, int height, int width, int paddingHeight, int paddingWidth)
    {
        var paddedWidth = width + 2 * paddingWidth;
        var rowLength = width * Block;
        output[..(paddingHeight * paddedWidth * Block)].Clear();
        for (var y = 0; y < height; y++)
        {
            var row = output.Slice(((y + paddingHeight) * paddedWidth) * Block, paddedWidth * Block);
            row[..(paddingWidth * Block)].Clear();
            input.Slice(y * rowLength, rowLength).CopyTo(row.Slice(paddingWidth * Block));
            row.Slice((paddingWidth + width) * Block).Clear();
        }

        output.Slice((height + paddingHeight) * paddedWidth * Block, paddingHeight * paddedWidth * Block).Clear();
    }

    /// <summary>
    /// Caffe's across-channel LRN for one row of one image (all blocks): the squares of a pixel's
    /// channels go to a zero-padded scratch line, and each block's window sum is a few unaligned loads. The row
    /// runs in chunks of pixels, block by block, so every block plane is read in contiguous runs.
    /// <paramref name="channels"/> counts physical channels; the input must have no channel gaps.
    /// </summary>
    public static void LocalResponseNormRow(ReadOnlySpan<float> input, Span<float> output, int channels, int height, int width, int y,
        int size, float alpha, float beta, float k)
    {
        if (beta == 0.75f) LrnRow<ThreeQuartersPower>(input, output, channels, height, width, y, size, alpha, beta, k);
        else LrnRow<AnyPower>(input, output, channels, height, width, y, size, alpha, beta, k);
    }

    private static void LrnRow<TPower>(ReadOnlySpan<float> input, Span<float> output, int channels, int height, int width, int y,
        int size, float alpha, float beta, float k)
        where TPower : struct, ILrnPower
    {
        if (Vector512.IsHardwareAccelerated) LrnRow<Block512, TPower>(input, output, channels, height, width, y, size, alpha, beta, k);
        else if (Vector256.IsHardwareAccelerated) LrnRow<Block256, TPower>(input, output, channels, height, width, y, size, alpha, beta, k);
        else LrnRow<Block128, TPower>(input, output, channels, height, width, y, size, alpha, beta, k);
    }

    /// <summary>Output rows [begin, end) of a fully connected layer on a plain input vector: <c>y = W x + b</c>.</summary>
    public static void LinearRows(ReadOnlySpan<float> input, Span<float> output, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias,
        int inFeatures, int begin, int end, bool relu)
    {
        var x = input[..inFeatures];
        for (var o = begin; o < end; o++)
        {
            var sum = TensorPrimitives.Dot(weights.Slice(o * inFeatures, inFeatures), x) + (bias.IsEmpty ? 0f : bias[o]);
            output[o] = relu ? MathF.Max(sum, 0f) : sum;
        }
    }

    /// <summary>
    /// One image from NCHW to NCHW16c, as <see cref="ReferenceKernels.PlainToBlocked(ReadOnlySpan{float}, Span{float}, int, int, int)"/>, in one sequential sweep over
    /// the output: each pixel's lanes are stored once as a vector (zero in padding channels), then its channels written.
    /// The reference clears the output and then writes it again channel by channel.
    /// </summary>
    public static void PlainToBlocked(ReadOnlySpan<float> input, Span<float> output, int channels, int height, int width)
        => PlainToBlocked(input, output, channels, height, width, padding: 0);

    /// <summary>
    /// As <see cref="ReferenceKernels.PlainToBlocked(ReadOnlySpan{float}, Span{float}, int, int, int, int)"/>: into a map
    /// with a zero border, so that the first convolution reads it without a separate padding pass.
    /// </summary>
    public static void PlainToBlocked(ReadOnlySpan<float> input, Span<float> output, int channels, int height, int width, int padding)
        => PlainToBlocked(input, output, channels, height, width, padding, padding);

    /// <summary>As the square overload, with <paramref name="paddingHeight"/> rows above and below and <paramref name="paddingWidth"/> columns left and right.</summary>
    public static void PlainToBlocked(ReadOnlySpan<float> input, Span<float> output, int channels, int height, int width, int paddingHeight, int paddingWidth)
    {
        if (Vector512.IsHardwareAccelerated) PlainToBlocked<Block512>(input, output, channels, height, width, paddingHeight, paddingWidth);
        else if (Vector256.IsHardwareAccelerated) PlainToBlocked<Block256>(input, output, channels, height, width, paddingHeight, paddingWidth);
        else if (Vector128.IsHardwareAccelerated) PlainToBlocked<Block128>(input, output, channels, height, width, paddingHeight, paddingWidth);
        else ReferenceKernels.PlainToBlocked(input, output, channels, height, width, paddingHeight, paddingWidth);
    }

    /// <summary>The fused ReLU's backward: the gradient is zeroed where the output was clipped to 0.</summary>
    public static void ReluMask(ReadOnlySpan<float> output, Span<float> gradient)
    {
        if (Vector512.IsHardwareAccelerated) ReluMask<Block512>(output, gradient);
        else if (Vector256.IsHardwareAccelerated) ReluMask<Block256>(output, gradient);
        else ReluMask<Block128>(output, gradient);
    }

    /// <summary>Adds the sum over one block plane's pixels of an output gradient to 16 bias-gradient lanes.</summary>
    public static void AddBiasGradientBlock(ReadOnlySpan<float> gradientPlane, Span<float> biasGradient, int pixels)
    {
        if (Vector512.IsHardwareAccelerated) AddBiasGradient<Block512>(gradientPlane, biasGradient, pixels);
        else if (Vector256.IsHardwareAccelerated) AddBiasGradient<Block256>(gradientPlane, biasGradient, pixels);
        else AddBiasGradient<Block128>(gradientPlane, biasGradient, pixels);
    }

    // ---- generic bodies ------------------------------------------------------------------------

    private static void PlainToBlocked<TBlock>(ReadOnlySpan<float> input, Span<float> output, int channels, int height, int width, int paddingHeight, int paddingWidth)
        where TBlock : struct, IChannelBlock<TBlock>
    {
        var pixels = height * width;
        var paddedWidth = width + 2 * paddingWidth;
        var paddedPlane = (height + 2 * paddingHeight) * paddedWidth * Block;
        var blocks = (channels + Block - 1) / Block;
        _ = input[channels * pixels - 1];
        _ = output[blocks * paddedPlane - 1];
        ref var source = ref MemoryMarshal.GetReference(input);
        for (var b = 0; b < blocks; b++)
        {
            var first = b * Block;
            var count = Math.Min(Block, channels - first);
            var plane = output.Slice(b * paddedPlane, paddedPlane);
            ref var firstChannel = ref Unsafe.Add(ref source, first * pixels);
            plane[..(paddingHeight * paddedWidth * Block)].Clear();
            for (var y = 0; y < height; y++)
            {
                var row = plane.Slice((y + paddingHeight) * paddedWidth * Block, paddedWidth * Block);
                row[..(paddingWidth * Block)].Clear();
                ref var cells = ref Unsafe.Add(ref MemoryMarshal.GetReference(row), paddingWidth * Block);
                for (var x = 0; x < width; x++)
                {
                    ref var cell = ref Unsafe.Add(ref cells, x * Block);
                    TBlock.Store(TBlock.Zero, ref cell);
                    for (var c = 0; c < count; c++)
                    {
                        Unsafe.Add(ref cell, c) = Unsafe.Add(ref firstChannel, c * pixels + y * width + x);
                    }
                }

                row[((paddingWidth + width) * Block)..].Clear();
            }

            plane[((height + paddingHeight) * paddedWidth * Block)..].Clear();
        }
    }

    private static void ReluMask<TBlock>(ReadOnlySpan<float> output, Span<float> gradient)
        where TBlock : struct, IChannelBlock<TBlock>
    {
        // Lengths are whole blocks (16 floats), as every blocked tensor and slice is.
        _ = gradient[output.Length - 1];
        ref var y = ref MemoryMarshal.GetReference(output);
        ref var dy = ref MemoryMarshal.GetReference(gradient);
        var zero = TBlock.Zero;
        for (var i = 0; i < output.Length; i += Block)
        {
            TBlock.Store(TBlock.Select(TBlock.GreaterThanZero(TBlock.Load(ref Unsafe.Add(ref y, i))), TBlock.Load(ref Unsafe.Add(ref dy, i)), zero), ref Unsafe.Add(ref dy, i));
        }
    }

    private static void AddBiasGradient<TBlock>(ReadOnlySpan<float> gradientPlane, Span<float> biasGradient, int pixels)
        where TBlock : struct, IChannelBlock<TBlock>
    {
        _ = gradientPlane[pixels * Block - 1];
        _ = biasGradient[Block - 1];
        ref var source = ref MemoryMarshal.GetReference(gradientPlane);
        var sum = TBlock.Zero;
        for (var pixel = 0; pixel < pixels; pixel++)
        {
            sum = TBlock.Add(sum, TBlock.Load(ref Unsafe.Add(ref source, pixel * Block)));
        }

        ref var destination = ref MemoryMarshal.GetReference(biasGradient);
        TBlock.Store(TBlock.Add(TBlock.Load(ref destination), sum), ref destination);
    }

    private interface IPoolReduction
    {
        static abstract TBlock Start<TBlock>() where TBlock : struct, IChannelBlock<TBlock>;
        static abstract TBlock Combine<TBlock>(TBlock accumulator, TBlock value) where TBlock : struct, IChannelBlock<TBlock>;
        static abstract TBlock Finish<TBlock>(TBlock accumulator, int oy, int ox, in PoolGeometry g) where TBlock : struct, IChannelBlock<TBlock>;
    }

    private readonly struct MaxReduction : IPoolReduction
    {
        public static TBlock Start<TBlock>() where TBlock : struct, IChannelBlock<TBlock> => TBlock.Broadcast(float.NegativeInfinity);
        public static TBlock Combine<TBlock>(TBlock accumulator, TBlock value) where TBlock : struct, IChannelBlock<TBlock> => TBlock.Max(accumulator, value);
        public static TBlock Finish<TBlock>(TBlock accumulator, int oy, int ox, in PoolGeometry g) where TBlock : struct, IChannelBlock<TBlock> => accumulator;
    }

    private readonly struct AverageReduction : IPoolReduction
    {
        public static TBlock Start<TBlock>() where TBlock : struct, IChannelBlock<TBlock> => TBlock.Zero;
        public static TBlock Combine<TBlock>(TBlock accumulator, TBlock value) where TBlock : struct, IChannelBlock<TBlock> => TBlock.Add(accumulator, value);
        public static TBlock Finish<TBlock>(TBlock accumulator, int oy, int ox, in PoolGeometry g) where TBlock : struct, IChannelBlock<TBlock>
            // Divide, as the scalar kernel does: multiplying by a rounded 1/count is 1 ulp off for many sums.
            => TBlock.Divide(accumulator, TBlock.Broadcast(ReferenceKernels.AverageDivisor(oy, ox, g)));
    }

    private static void PoolBlock<TBlock, TReduction>(ReadOnlySpan<float> input, Span<float> output, in PoolGeometry g)
        where TBlock : struct, IChannelBlock<TBlock>
        where TReduction : struct, IPoolReduction
    {
        ref var source = ref MemoryMarshal.GetReference(input);
        ref var destination = ref MemoryMarshal.GetReference(output);
        _ = input[g.InHeight * g.InWidth * Block - 1];
        _ = output[g.OutHeight * g.OutWidth * Block - 1];
        for (var oy = 0; oy < g.OutHeight; oy++)
        {
            var (y0, y1) = ReferenceKernels.Window(oy, g.StrideHeight, g.PaddingHeight, g.KernelHeight, g.InHeight);
            for (var ox = 0; ox < g.OutWidth; ox++)
            {
                var (x0, x1) = ReferenceKernels.Window(ox, g.StrideWidth, g.PaddingWidth, g.KernelWidth, g.InWidth);
                var accumulator = TReduction.Start<TBlock>();
                for (var y = y0; y < y1; y++)
                {
                    for (var x = x0; x < x1; x++)
                    {
                        accumulator = TReduction.Combine(accumulator, TBlock.Load(ref Unsafe.Add(ref source, (y * g.InWidth + x) * Block)));
                    }
                }

                TBlock.Store(TReduction.Finish(accumulator, oy, ox, g), ref Unsafe.Add(ref destination, (oy * g.OutWidth + ox) * Block));
            }
        }
    }

    private static void GlobalAverage<TBlock>(ReadOnlySpan<float> input, Span<float> output, int pixels)
        where TBlock : struct, IChannelBlock<TBlock>
    {
        ref var source = ref MemoryMarshal.GetReference(input);
        _ = input[pixels * Block - 1];
        _ = output[Block - 1];
        var sum = TBlock.Zero;
        for (var pixel = 0; pixel < pixels; pixel++)
        {
            sum = TBlock.Add(sum, TBlock.Load(ref Unsafe.Add(ref source, pixel * Block)));
        }

        TBlock.Store(TBlock.Multiply(sum, TBlock.Broadcast(1f / pixels)), ref MemoryMarshal.GetReference(output));
    }

    // The scratch is cleared once below; zeroing it on entry as well would double the work for short rows.
    [SkipLocalsInit]
    private static void LrnRow<TBlock, TPower>(ReadOnlySpan<float> input, Span<float> output, int channels, int height, int width, int y,
        int size, float alpha, float beta, float k)
        where TBlock : struct, IChannelBlock<TBlock>
        where TPower : struct, ILrnPower
    {
        var half = (size - 1) / 2;
        var blocks = channels / Block;
        var plane = height * width * Block;
        _ = input[blocks * plane - 1];
        _ = output[blocks * plane - 1];
        // Per pixel of a chunk, the squares of its channels on a line with `half` zeros on each side: a window never
        // leaves the line. Only the channels are ever written, so the padding stays zero.
        var lineLength = channels + 2 * half + Block;
        var chunk = LrnWindow.ChunkPixels(lineLength, 1, width);
        Span<float> squares = stackalloc float[chunk * lineLength];
        squares.Clear();
        ref var source = ref MemoryMarshal.GetReference(input);
        ref var destination = ref MemoryMarshal.GetReference(output);
        ref var lines = ref MemoryMarshal.GetReference(squares);
        var scale = TBlock.Broadcast(alpha / size);
        var bias = TBlock.Broadcast(k);
        var exponent = TBlock.Broadcast(-beta);
        for (var first = 0; first < width; first += chunk)
        {
            var count = Math.Min(chunk, width - first);
            var pixel = (y * width + first) * Block;
            LrnWindow.SquarePixels<TBlock>(ref source, plane, pixel, count, blocks, half, ref lines, lineLength);
            for (var b = 0; b < blocks; b++)
            {
                for (var c = 0; c < count; c++)
                {
                    var denominatorBase = TBlock.Add(bias, TBlock.Multiply(scale, LrnWindow.WindowSum<TBlock>(ref Unsafe.Add(ref lines, c * lineLength), b, size)));
                    var factor = TPower.PowerMinusBeta(denominatorBase, exponent);
                    var index = b * plane + pixel + c * Block;
                    var value = TBlock.Load(ref Unsafe.Add(ref source, index));
                    TBlock.Store(TBlock.Multiply(value, factor), ref Unsafe.Add(ref destination, index));
                }
            }
        }
    }

    /// <summary>
    /// <see cref="ReferenceKernels.AdaptiveAvgPool2d"/> on one block plane, 16 lanes at once: each window's cells added in
    /// the same order and divided by the same count, so each lane rounds exactly as the scalar loop does.
    /// </summary>
    public static void AdaptiveAvgPoolBlock(ReadOnlySpan<float> input, Span<float> output, int inHeight, int inWidth, int outHeight, int outWidth)
    {
        if (Vector512.IsHardwareAccelerated) AdaptiveAverage<Block512>(input, output, inHeight, inWidth, outHeight, outWidth);
        else if (Vector256.IsHardwareAccelerated) AdaptiveAverage<Block256>(input, output, inHeight, inWidth, outHeight, outWidth);
        else AdaptiveAverage<Block128>(input, output, inHeight, inWidth, outHeight, outWidth);
    }

    private static void AdaptiveAverage<TBlock>(ReadOnlySpan<float> input, Span<float> output, int inHeight, int inWidth, int outHeight, int outWidth)
        where TBlock : struct, IChannelBlock<TBlock>
    {
        _ = input[inHeight * inWidth * Block - 1];
        _ = output[outHeight * outWidth * Block - 1];
        ref var source = ref MemoryMarshal.GetReference(input);
        ref var destination = ref MemoryMarshal.GetReference(output);
        for (var oy = 0; oy < outHeight; oy++)
        {
            var (y0, y1) = ReferenceKernels.AdaptiveWindow(oy, inHeight, outHeight);
            for (var ox = 0; ox < outWidth; ox++)
            {
                var (x0, x1) = ReferenceKernels.AdaptiveWindow(ox, inWidth, outWidth);
                var sum = TBlock.Zero;
                for (var y = y0; y < y1; y++)
                {
                    for (var x = x0; x < x1; x++)
                    {
                        sum = TBlock.Add(sum, TBlock.Load(ref Unsafe.Add(ref source, (y * inWidth + x) * Block)));
                    }
                }

                TBlock.Store(TBlock.Divide(sum, TBlock.Broadcast((y1 - y0) * (x1 - x0))), ref Unsafe.Add(ref destination, (oy * outWidth + ox) * Block));
            }
        }
    }

    /// <summary>
    /// A residual module's sum on one block plane whose input and branches have the same layout:
    /// <c>output = input + scale · branches</c>, then <c>max(·, 0)</c> when <paramref name="relu"/>; the same operations per
    /// lane as <see cref="ReferenceKernels.ResidualAdd"/> (a multiply, then an add, not fused), so it matches it bit for bit.
    /// </summary>
    public static void ResidualAddBlock(ReadOnlySpan<float> input, ReadOnlySpan<float> branches, Span<float> output, float scale, bool relu)
    {
        if (Vector512.IsHardwareAccelerated) ResidualAdd<Block512>(input, branches, output, scale, relu);
        else if (Vector256.IsHardwareAccelerated) ResidualAdd<Block256>(input, branches, output, scale, relu);
        else ResidualAdd<Block128>(input, branches, output, scale, relu);
    }

    private static void ResidualAdd<TBlock>(ReadOnlySpan<float> input, ReadOnlySpan<float> branches, Span<float> output, float scale, bool relu)
        where TBlock : struct, IChannelBlock<TBlock>
    {
        // Lengths are whole blocks (16 floats), as every blocked plane is.
        _ = branches[input.Length - 1];
        _ = output[input.Length - 1];
        ref var x = ref MemoryMarshal.GetReference(input);
        ref var b = ref MemoryMarshal.GetReference(branches);
        ref var y = ref MemoryMarshal.GetReference(output);
        var factor = TBlock.Broadcast(scale);
        for (var i = 0; i < input.Length; i += Block)
        {
            var sum = TBlock.Add(TBlock.Load(ref Unsafe.Add(ref x, i)), TBlock.Multiply(factor, TBlock.Load(ref Unsafe.Add(ref b, i))));
            TBlock.Store(relu ? TBlock.Max(sum, TBlock.Zero) : sum, ref Unsafe.Add(ref y, i));
        }
    }
}
