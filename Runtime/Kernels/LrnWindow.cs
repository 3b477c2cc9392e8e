using System.Runtime.CompilerServices;

namespace InceptionGen.Kernels;

/// <summary>
/// The pieces of Caffe's across-channel LRN window that the forward and backward kernels share: squares of one
/// pixel's channels on a zero-padded line, the sum over a window of that line, and s^-β.
/// </summary>
internal static class LrnWindow
{
    private const int Block = BlockedLayout.BlockSize;

    /// <summary>Writes x² of every block of one pixel to <paramref name="line"/>, starting <paramref name="half"/> floats in.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void SquarePixel<TBlock>(ref float input, int plane, int pixel, int blocks, int half, ref float line)
        where TBlock : struct, IChannelBlock<TBlock>
    {
        for (var b = 0; b < blocks; b++)
        {
            var value = TBlock.Load(ref Unsafe.Add(ref input, b * plane + pixel));
            TBlock.Store(TBlock.Multiply(value, value), ref Unsafe.Add(ref line, half + b * Block));
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

    /// <summary>s^-β: for GoogLeNet's β = 0.75 that is 1 / (√s · √√s), exact to a few ulps; else exp(-β · log s).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TBlock PowerMinusBeta<TBlock>(TBlock s, TBlock negativeBeta, bool threeQuarters)
        where TBlock : struct, IChannelBlock<TBlock>
    {
        if (threeQuarters)
        {
            var root = TBlock.Sqrt(s);
            return TBlock.Divide(TBlock.Broadcast(1f), TBlock.Multiply(root, TBlock.Sqrt(root)));
        }

        return TBlock.Exp(TBlock.Multiply(negativeBeta, TBlock.Log(s)));
    }
}
