using System.Runtime.CompilerServices;

namespace InceptionGen.Kernels;

/// <summary>
/// The pieces of Caffe's across-channel LRN window that the forward and backward kernels share: squares of one
/// pixel's channels on a zero-padded line, the sum over a window of that line, and s^-β.
/// </summary>
internal static class LrnWindow
{
    private const int Block = BlockedLayout.BlockSize;

    /// <summary>Floats of scratch the row kernels keep on the stack: 48 KiB, so a chunk's lines stay in L1/L2.</summary>
    public const int ScratchFloats = 12 * 1024;

    /// <summary>
    /// Pixels per chunk when each pixel needs <paramref name="linesPerPixel"/> lines of <paramref name="lineLength"/>
    /// floats: as many as fit <see cref="ScratchFloats"/>, at least one, at most the row.
    /// </summary>
    public static int ChunkPixels(int lineLength, int linesPerPixel, int width) => Math.Clamp(ScratchFloats / (linesPerPixel * lineLength), 1, width);

    /// <summary>
    /// Writes x² of <paramref name="count"/> consecutive pixels, every block, to their lines (pixel c's line starts at
    /// c · <paramref name="lineLength"/>, its channels <paramref name="half"/> floats in). Block by block, so each
    /// block's pixels are read as one contiguous run, and all stores land long before a window reads them (a window
    /// load spanning two fresh stores would stall on store forwarding).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void SquarePixels<TBlock>(ref float input, int plane, int pixel, int count, int blocks, int half, ref float lines, int lineLength)
        where TBlock : struct, IChannelBlock<TBlock>
    {
        for (var b = 0; b < blocks; b++)
        {
            ref var source = ref Unsafe.Add(ref input, b * plane + pixel);
            ref var line = ref Unsafe.Add(ref lines, half + b * Block);
            for (var c = 0; c < count; c++)
            {
                var value = TBlock.Load(ref Unsafe.Add(ref source, c * Block));
                TBlock.Store(TBlock.Multiply(value, value), ref Unsafe.Add(ref line, c * lineLength));
            }
        }
    }

    /// <summary>The sums over the <paramref name="size"/> channels centred on each of block <paramref name="block"/>'s channels.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TBlock WindowSum<TBlock>(ref float line, int block, int size)
        where TBlock : struct, IChannelBlock<TBlock>
    {
        var sum = TBlock.Zero;
        for (var offset = 0; offset < size; offset++)
        {
            sum = TBlock.Add(sum, TBlock.Load(ref Unsafe.Add(ref line, block * Block + offset)));
        }

        return sum;
    }
}

/// <summary>
/// s^-β per lane, for the LRN kernels: a type argument rather than a flag, so that GoogLeNet's kernel
/// (<see cref="ThreeQuartersPower"/>) has no call in its loop; vector Exp and Log are calls, and a call in a loop
/// makes the JIT keep every vector of the loop in memory.
/// </summary>
internal interface ILrnPower
{
    /// <summary>s^-β, given -β broadcast.</summary>
    static abstract TBlock PowerMinusBeta<TBlock>(TBlock s, TBlock negativeBeta)
        where TBlock : struct, IChannelBlock<TBlock>;
}

/// <summary>β = 0.75: 1 / (√s · √√s), exact to a few ulps, and no call.</summary>
internal readonly struct ThreeQuartersPower : ILrnPower
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TBlock PowerMinusBeta<TBlock>(TBlock s, TBlock negativeBeta)
        where TBlock : struct, IChannelBlock<TBlock>
    {
        var root = TBlock.Sqrt(s);
        return TBlock.Divide(TBlock.Broadcast(1f), TBlock.Multiply(root, TBlock.Sqrt(root)));
    }
}

/// <summary>Any β: exp(-β · log s).</summary>
internal readonly struct AnyPower : ILrnPower
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TBlock PowerMinusBeta<TBlock>(TBlock s, TBlock negativeBeta)
        where TBlock : struct, IChannelBlock<TBlock>
        => TBlock.Exp(TBlock.Multiply(negativeBeta, TBlock.Log(s)));
}
