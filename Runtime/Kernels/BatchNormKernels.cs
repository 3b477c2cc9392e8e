using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace InceptionGen.Kernels;

/// <summary>
/// BatchNorm's per-pixel work on one block plane (16 channels × <c>pixels</c> of one image, NCHW16c), so that a layer
/// splits into (block) items for the worker pool; the per-channel steps between them are in <see cref="BatchNorm"/>.
/// Per-channel arguments are the plane's 16 lanes (a 16-long slice of a physical-channel workspace).
/// <para>
/// Whole-batch statistics over passes of a few images: the forward adds each image's Σx and Σx² into double
/// accumulators (<see cref="AccumulateStatistics"/>) for every pass of the batch, then <see cref="BatchNorm.TrainingCoefficients"/>
/// turns them into scale and shift, then every pass runs <see cref="Normalize"/>. The backward does the same with
/// <see cref="AccumulateGradientStatistics"/>, <see cref="BatchNorm.GradientCoefficients"/> and <see cref="AddInputGradient"/>.
/// An item owns its block's lanes and adds images in order, so results do not depend on threads.
/// </para>
/// <para>
/// Every driver picks Vector512, Vector256, Vector128 (JIT-time constants), else a scalar loop. Sums are double: each
/// float is widened and its square (exact in double) or product added with one accumulator per lane, pixel by pixel, so
/// every path gives the scalar reference's sums bit for bit (<see cref="BatchNormReference"/>). Normalize and the input
/// gradient use the reference's float operations in the reference's order (no FMA), so they too match it bit for bit.
/// </para>
/// </summary>
public static class BatchNormKernels
{
    private const int Block = BlockedLayout.BlockSize;

    /// <summary>Adds Σx and Σx² over one block plane's pixels to the 16 lanes of <paramref name="sum"/> and <paramref name="sumOfSquares"/>.</summary>
    public static void AccumulateStatistics(ReadOnlySpan<float> plane, int pixels, Span<double> sum, Span<double> sumOfSquares)
    {
        _ = plane[..(pixels * Block)];
        _ = sum[Block - 1];
        _ = sumOfSquares[Block - 1];
        if (Vector512.IsHardwareAccelerated) AccumulateStatistics<Double512>(plane, pixels, sum, sumOfSquares);
        else if (Vector256.IsHardwareAccelerated) AccumulateStatistics<Double256>(plane, pixels, sum, sumOfSquares);
        else if (Vector128.IsHardwareAccelerated) AccumulateStatistics<Double128>(plane, pixels, sum, sumOfSquares);
        else BatchNormReference.AccumulateStatistics(plane, Block, pixels, 1, sum, sumOfSquares);
    }

    /// <summary>
    /// <c>y = x·scale + shift</c> per lane over one block plane, then <c>max(y, 0)</c> when <paramref name="relu"/>.
    /// <paramref name="input"/> and <paramref name="output"/> may be the same memory (in place); otherwise they must not overlap.
    /// </summary>
    public static void Normalize(ReadOnlySpan<float> input, Span<float> output, int pixels, ReadOnlySpan<float> scale, ReadOnlySpan<float> shift, bool relu)
    {
        _ = input[..(pixels * Block)];
        _ = output[..(pixels * Block)];
        _ = scale[Block - 1];
        _ = shift[Block - 1];
        if (Vector512.IsHardwareAccelerated) Normalize<Block512>(input, output, pixels, scale, shift, relu);
        else if (Vector256.IsHardwareAccelerated) Normalize<Block256>(input, output, pixels, scale, shift, relu);
        else if (Vector128.IsHardwareAccelerated) Normalize<Block128>(input, output, pixels, scale, shift, relu);
        else BatchNormReference.Normalize(input, output, Block, pixels, 1, scale, shift, relu);
    }

    /// <summary>
    /// Adds Σdy and Σdy·(x − mean) over one block plane to <paramref name="sumGradient"/> and
    /// <paramref name="sumGradientCentered"/>: <paramref name="input"/> is BN's input x (kept from the forward),
    /// <paramref name="outputGradient"/> is dy, already masked by a fused ReLU (<see cref="BlockedKernels.ReluMask"/>).
    /// </summary>
    public static void AccumulateGradientStatistics(ReadOnlySpan<float> input, ReadOnlySpan<float> outputGradient, int pixels, ReadOnlySpan<float> mean,
        Span<double> sumGradient, Span<double> sumGradientCentered)
    {
        _ = input[..(pixels * Block)];
        _ = outputGradient[..(pixels * Block)];
        _ = mean[Block - 1];
        _ = sumGradient[Block - 1];
        _ = sumGradientCentered[Block - 1];
        if (Vector512.IsHardwareAccelerated) AccumulateGradientStatistics<Double512>(input, outputGradient, pixels, mean, sumGradient, sumGradientCentered);
        else if (Vector256.IsHardwareAccelerated) AccumulateGradientStatistics<Double256>(input, outputGradient, pixels, mean, sumGradient, sumGradientCentered);
        else if (Vector128.IsHardwareAccelerated) AccumulateGradientStatistics<Double128>(input, outputGradient, pixels, mean, sumGradient, sumGradientCentered);
        else BatchNormReference.AccumulateGradientStatistics(input, outputGradient, Block, pixels, 1, mean, sumGradient, sumGradientCentered);
    }

    /// <summary>
    /// <c>dx += (dy − gradientMean − (x − mean)·centeredScale)·inputScale</c> per lane over one block plane, with the
    /// coefficients of <see cref="BatchNorm.GradientCoefficients"/>. Adds, as every input gradient does.
    /// </summary>
    public static void AddInputGradient(ReadOnlySpan<float> input, ReadOnlySpan<float> outputGradient, Span<float> inputGradient, int pixels,
        ReadOnlySpan<float> mean, ReadOnlySpan<float> centeredScale, ReadOnlySpan<float> gradientMean, ReadOnlySpan<float> inputScale)
    {
        _ = input[..(pixels * Block)];
        _ = outputGradient[..(pixels * Block)];
        _ = inputGradient[..(pixels * Block)];
        _ = mean[Block - 1];
        _ = centeredScale[Block - 1];
        _ = gradientMean[Block - 1];
        _ = inputScale[Block - 1];
        if (Vector512.IsHardwareAccelerated) AddInputGradient<Block512>(input, outputGradient, inputGradient, pixels, mean, centeredScale, gradientMean, inputScale);
        else if (Vector256.IsHardwareAccelerated) AddInputGradient<Block256>(input, outputGradient, inputGradient, pixels, mean, centeredScale, gradientMean, inputScale);
        else if (Vector128.IsHardwareAccelerated) AddInputGradient<Block128>(input, outputGradient, inputGradient, pixels, mean, centeredScale, gradientMean, inputScale);
        else BatchNormReference.AddInputGradient(input, outputGradient, inputGradient, Block, pixels, 1, mean, centeredScale, gradientMean, inputScale);
    }

    // ---- generic bodies ------------------------------------------------------------------------

    private static void AccumulateStatistics<TDouble>(ReadOnlySpan<float> plane, int pixels, Span<double> sum, Span<double> sumOfSquares)
        where TDouble : struct, IDoubleBlock<TDouble>
    {
        ref var source = ref MemoryMarshal.GetReference(plane);
        ref var sums = ref MemoryMarshal.GetReference(sum);
        ref var squares = ref MemoryMarshal.GetReference(sumOfSquares);
        var s = TDouble.Load(ref sums);
        var q = TDouble.Load(ref squares);
        for (var pixel = 0; pixel < pixels; pixel++)
        {
            var x = TDouble.Widen(ref Unsafe.Add(ref source, pixel * Block));
            s = TDouble.Add(s, x);
            q = TDouble.Add(q, TDouble.Multiply(x, x));
        }

        TDouble.Store(s, ref sums);
        TDouble.Store(q, ref squares);
    }

    private static void Normalize<TBlock>(ReadOnlySpan<float> input, Span<float> output, int pixels, ReadOnlySpan<float> scale, ReadOnlySpan<float> shift, bool relu)
        where TBlock : struct, IChannelBlock<TBlock>
    {
        ref var source = ref MemoryMarshal.GetReference(input);
        ref var destination = ref MemoryMarshal.GetReference(output);
        var a = TBlock.Load(ref MemoryMarshal.GetReference(scale));
        var b = TBlock.Load(ref MemoryMarshal.GetReference(shift));
        if (relu)
        {
            var zero = TBlock.Zero;
            for (var i = 0; i < pixels * Block; i += Block)
            {
                TBlock.Store(TBlock.Max(TBlock.Add(TBlock.Multiply(TBlock.Load(ref Unsafe.Add(ref source, i)), a), b), zero), ref Unsafe.Add(ref destination, i));
            }
        }
        else
        {
            for (var i = 0; i < pixels * Block; i += Block)
            {
                TBlock.Store(TBlock.Add(TBlock.Multiply(TBlock.Load(ref Unsafe.Add(ref source, i)), a), b), ref Unsafe.Add(ref destination, i));
            }
        }
    }

    private static void AccumulateGradientStatistics<TDouble>(ReadOnlySpan<float> input, ReadOnlySpan<float> outputGradient, int pixels, ReadOnlySpan<float> mean,
        Span<double> sumGradient, Span<double> sumGradientCentered)
        where TDouble : struct, IDoubleBlock<TDouble>
    {
        ref var x = ref MemoryMarshal.GetReference(input);
        ref var dy = ref MemoryMarshal.GetReference(outputGradient);
        ref var sums = ref MemoryMarshal.GetReference(sumGradient);
        ref var products = ref MemoryMarshal.GetReference(sumGradientCentered);
        var m = TDouble.Widen(ref MemoryMarshal.GetReference(mean));
        var s = TDouble.Load(ref sums);
        var p = TDouble.Load(ref products);
        for (var i = 0; i < pixels * Block; i += Block)
        {
            var g = TDouble.Widen(ref Unsafe.Add(ref dy, i));
            s = TDouble.Add(s, g);
            p = TDouble.Add(p, TDouble.Multiply(TDouble.Subtract(TDouble.Widen(ref Unsafe.Add(ref x, i)), m), g));
        }

        TDouble.Store(s, ref sums);
        TDouble.Store(p, ref products);
    }

    private static void AddInputGradient<TBlock>(ReadOnlySpan<float> input, ReadOnlySpan<float> outputGradient, Span<float> inputGradient, int pixels,
        ReadOnlySpan<float> mean, ReadOnlySpan<float> centeredScale, ReadOnlySpan<float> gradientMean, ReadOnlySpan<float> inputScale)
        where TBlock : struct, IChannelBlock<TBlock>
    {
        ref var x = ref MemoryMarshal.GetReference(input);
        ref var dy = ref MemoryMarshal.GetReference(outputGradient);
        ref var dx = ref MemoryMarshal.GetReference(inputGradient);
        // a − b is a + (−b) exactly in IEEE arithmetic, and −(a·b) = a·(−b); the block type has no Subtract, so the
        // subtracted coefficients are negated once here.
        var minusOne = TBlock.Broadcast(-1f);
        var minusMean = TBlock.Multiply(TBlock.Load(ref MemoryMarshal.GetReference(mean)), minusOne);
        var minusCenteredScale = TBlock.Multiply(TBlock.Load(ref MemoryMarshal.GetReference(centeredScale)), minusOne);
        var minusGradientMean = TBlock.Multiply(TBlock.Load(ref MemoryMarshal.GetReference(gradientMean)), minusOne);
        var factor = TBlock.Load(ref MemoryMarshal.GetReference(inputScale));
        for (var i = 0; i < pixels * Block; i += Block)
        {
            var centered = TBlock.Multiply(TBlock.Add(TBlock.Load(ref Unsafe.Add(ref x, i)), minusMean), minusCenteredScale);
            var projected = TBlock.Add(TBlock.Add(TBlock.Load(ref Unsafe.Add(ref dy, i)), minusGradientMean), centered);
            ref var target = ref Unsafe.Add(ref dx, i);
            TBlock.Store(TBlock.Add(TBlock.Load(ref target), TBlock.Multiply(projected, factor)), ref target);
        }
    }

    /// <summary>16 channels' values widened to double: two Vector512, four Vector256 or eight Vector128.</summary>
    private interface IDoubleBlock<TSelf> where TSelf : struct, IDoubleBlock<TSelf>
    {
        /// <summary>Loads 16 floats and widens them (exactly) to double.</summary>
        static abstract TSelf Widen(ref float source);

        static abstract TSelf Load(ref double source);

        static abstract void Store(TSelf value, ref double destination);

        static abstract TSelf Add(TSelf left, TSelf right);

        static abstract TSelf Subtract(TSelf left, TSelf right);

        static abstract TSelf Multiply(TSelf left, TSelf right);
    }

    private struct Double512 : IDoubleBlock<Double512>
    {
        private Vector512<double> low, high;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Double512 Widen(ref float source)
        {
            var (low, high) = Vector512.Widen(Vector512.LoadUnsafe(ref source));
            return new() { low = low, high = high };
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Double512 Load(ref double source) => new() { low = Vector512.LoadUnsafe(ref source), high = Vector512.LoadUnsafe(ref source, 8) };
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Double512 value, ref double destination) { value.low.StoreUnsafe(ref destination); value.high.StoreUnsafe(ref destination, 8); }
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Double512 Add(Double512 l, Double512 r) => new() { low = l.low + r.low, high = l.high + r.high };
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Double512 Subtract(Double512 l, Double512 r) => new() { low = l.low - r.low, high = l.high - r.high };
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Double512 Multiply(Double512 l, Double512 r) => new() { low = l.low * r.low, high = l.high * r.high };
    }

    private struct Double256 : IDoubleBlock<Double256>
    {
        private Vector256<double> a, b, c, d;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Double256 Widen(ref float source)
        {
            var (a, b) = Vector256.Widen(Vector256.LoadUnsafe(ref source));
            var (c, d) = Vector256.Widen(Vector256.LoadUnsafe(ref source, 8));
            return new() { a = a, b = b, c = c, d = d };
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Double256 Load(ref double source)
            => new() { a = Vector256.LoadUnsafe(ref source), b = Vector256.LoadUnsafe(ref source, 4), c = Vector256.LoadUnsafe(ref source, 8), d = Vector256.LoadUnsafe(ref source, 12) };

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Store(Double256 value, ref double destination)
        {
            value.a.StoreUnsafe(ref destination);
            value.b.StoreUnsafe(ref destination, 4);
            value.c.StoreUnsafe(ref destination, 8);
            value.d.StoreUnsafe(ref destination, 12);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Double256 Add(Double256 l, Double256 r) => new() { a = l.a + r.a, b = l.b + r.b, c = l.c + r.c, d = l.d + r.d };
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Double256 Subtract(Double256 l, Double256 r) => new() { a = l.a - r.a, b = l.b - r.b, c = l.c - r.c, d = l.d - r.d };
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Double256 Multiply(Double256 l, Double256 r) => new() { a = l.a * r.a, b = l.b * r.b, c = l.c * r.c, d = l.d * r.d };
    }

    private struct Double128 : IDoubleBlock<Double128>
    {
        // Lanes 2k and 2k + 1 of the block are in v[k].
        private Vector128<double> v0, v1, v2, v3, v4, v5, v6, v7;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Double128 Widen(ref float source)
        {
            var (v0, v1) = Vector128.Widen(Vector128.LoadUnsafe(ref source));
            var (v2, v3) = Vector128.Widen(Vector128.LoadUnsafe(ref source, 4));
            var (v4, v5) = Vector128.Widen(Vector128.LoadUnsafe(ref source, 8));
            var (v6, v7) = Vector128.Widen(Vector128.LoadUnsafe(ref source, 12));
            return new() { v0 = v0, v1 = v1, v2 = v2, v3 = v3, v4 = v4, v5 = v5, v6 = v6, v7 = v7 };
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Double128 Load(ref double source) => new()
        {
            v0 = Vector128.LoadUnsafe(ref source), v1 = Vector128.LoadUnsafe(ref source, 2), v2 = Vector128.LoadUnsafe(ref source, 4), v3 = Vector128.LoadUnsafe(ref source, 6),
            v4 = Vector128.LoadUnsafe(ref source, 8), v5 = Vector128.LoadUnsafe(ref source, 10), v6 = Vector128.LoadUnsafe(ref source, 12), v7 = Vector128.LoadUnsafe(ref source, 14),
        };

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Store(Double128 value, ref double destination)
        {
            value.v0.StoreUnsafe(ref destination);
            value.v1.StoreUnsafe(ref destination, 2);
            value.v2.StoreUnsafe(ref destination, 4);
            value.v3.StoreUnsafe(ref destination, 6);
            value.v4.StoreUnsafe(ref destination, 8);
            value.v5.StoreUnsafe(ref destination, 10);
            value.v6.StoreUnsafe(ref destination, 12);
            value.v7.StoreUnsafe(ref destination, 14);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Double128 Add(Double128 l, Double128 r) => new()
        {
            v0 = l.v0 + r.v0, v1 = l.v1 + r.v1, v2 = l.v2 + r.v2, v3 = l.v3 + r.v3, v4 = l.v4 + r.v4, v5 = l.v5 + r.v5, v6 = l.v6 + r.v6, v7 = l.v7 + r.v7,
        };

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Double128 Subtract(Double128 l, Double128 r) => new()
        {
            v0 = l.v0 - r.v0, v1 = l.v1 - r.v1, v2 = l.v2 - r.v2, v3 = l.v3 - r.v3, v4 = l.v4 - r.v4, v5 = l.v5 - r.v5, v6 = l.v6 - r.v6, v7 = l.v7 - r.v7,
        };

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Double128 Multiply(Double128 l, Double128 r) => new()
        {
            v0 = l.v0 * r.v0, v1 = l.v1 * r.v1, v2 = l.v2 * r.v2, v3 = l.v3 * r.v3, v4 = l.v4 * r.v4, v5 = l.v5 * r.v5, v6 = l.v6 * r.v6, v7 = l.v7 * r.v7,
        };
    }
}
