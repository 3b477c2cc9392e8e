using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace InceptionGen.Kernels;

/// <summary>
/// The input gradient of a convolution with a stride above 1 on NCHW16c, one image per call: the oracle is the input
/// half of <see cref="ReferenceBackward.Conv2d"/>; the result differs from it only in summation order. A stride-1
/// convolution's input gradient is a transposed convolution that the forward micro-kernels run; a strided one is not
/// (its output gradient would need zeros between the pixels, three quarters of the work wasted at stride 2), so each
/// input pixel gathers what reaches it instead:
/// <c>dx[c, iy, ix] += Σ over the taps (ky, kx) with iy − ky and ix − kx multiples of the stride, Σ over o of
/// w[o, c, ky, kx] · dy[o, (iy − ky) / s, (ix − kx) / s]</c>,
/// vectorized over 16 output channels o: the weights are the forward's packing (<see cref="WeightPacking.PackConvolution(ReadOnlySpan{float}, Span{float}, int, int, int, int, ReadOnlySpan{int}, int)"/>,
/// <c>[out-block][loop channel][ky][kx][16 out-channels]</c>), whose 16 output channels of one tap are one load, as are
/// the output gradient's 16 channels of one pixel. Four input channels share each output-gradient load, each with its
/// own accumulator, summed across its lanes once per input pixel.
/// <para>
/// Like <see cref="ReferenceBackward"/>: the input is the padded map (padding 0 here), channels are the loop channels
/// (physical ones when the input has gaps: their packed weights are zero, so their gradient gets zeros), the gradient is
/// added into the input gradient, and output-gradient lanes past <see cref="ConvGeometry.OutChannels"/> are
/// never read. A fused ReLU is the caller's (<see cref="BlockedKernels.ReluMask"/> first).
/// </para>
/// </summary>
public static class StridedConvolutionBackward
{
    private const int Block = BlockedLayout.BlockSize;

    /// <summary>All-ones lanes, then zero lanes: a load at 16 − n gives the mask of the first n lanes.</summary>
    private static readonly float[] s_laneMasks = [.. Enumerable.Repeat(BitConverter.Int32BitsToSingle(-1), Block), .. new float[Block]];

    /// <param name="outputGradient">dy of one image, NCHW16c over <see cref="ConvGeometry.OutChannels"/>.</param>
    /// <param name="packedWeights">The forward's packed weights (plain, not BatchNorm-folded).</param>
    /// <param name="inputGradient">dx of one image, NCHW16c over the loop channels; added into.</param>
    /// <param name="loopChannels">Channels of the packed weights' input dimension: the input's physical channels when it has gaps, else its channels.</param>
    /// <param name="g">The geometry with padding 0 and the padded input's height and width.</param>
    public static void InputGradient(ReadOnlySpan<float> outputGradient, ReadOnlySpan<float> packedWeights, Span<float> inputGradient, int loopChannels, in ConvGeometry g)
    {
        if (g.PaddingHeight != 0 || g.PaddingWidth != 0)
        {
            throw new ArgumentException("the input gradient runs on the padded input: padding must be 0", nameof(g));
        }

        var outBlocks = BlockedLayout.Blocks(g.OutChannels);
        if (outputGradient.Length < outBlocks * g.OutHeight * g.OutWidth * Block
            || packedWeights.Length < outBlocks * loopChannels * g.KernelHeight * g.KernelWidth * Block
            || inputGradient.Length < BlockedLayout.Blocks(loopChannels) * g.InHeight * g.InWidth * Block)
        {
            throw new ArgumentException("a span is shorter than the geometry needs");
        }

        if (Vector512.IsHardwareAccelerated) InputGradient<Block512>(outputGradient, packedWeights, inputGradient, loopChannels, g);
        else if (Vector256.IsHardwareAccelerated) InputGradient<Block256>(outputGradient, packedWeights, inputGradient, loopChannels, g);
        else if (Vector128.IsHardwareAccelerated) InputGradient<Block128>(outputGradient, packedWeights, inputGradient, loopChannels, g);
        else InputGradientScalar(outputGradient, packedWeights, inputGradient, loopChannels, g);
    }

    private static void InputGradient<T>(ReadOnlySpan<float> outputGradient, ReadOnlySpan<float> packedWeights, Span<float> inputGradient, int loopChannels, in ConvGeometry g)
        where T : struct, IChannelBlock<T>
    {
        var outBlocks = BlockedLayout.Blocks(g.OutChannels);
        var taps = g.KernelHeight * g.KernelWidth;
        var tapStride = taps * Block;                       // from one loop channel to the next in the packing
        var blockStride = loopChannels * tapStride;         // from one output block to the next
        var planeStride = g.OutHeight * g.OutWidth * Block; // from one output block to the next in dy
        var lastLanes = g.OutChannels - (outBlocks - 1) * Block;
        var lastMask = T.Load(ref s_laneMasks[Block - lastLanes]);
        ref var dy = ref MemoryMarshal.GetReference(outputGradient);
        ref var weights = ref MemoryMarshal.GetReference(packedWeights);
        ref var dx = ref MemoryMarshal.GetReference(inputGradient);
        for (var channel = 0; channel < loopChannels; channel += 4)
        {
            var count = Math.Min(4, loopChannels - channel);
            for (var iy = 0; iy < g.InHeight; iy++)
            {
                for (var ix = 0; ix < g.InWidth; ix++)
                {
                    T a0 = T.Zero, a1 = T.Zero, a2 = T.Zero, a3 = T.Zero;
                    for (var ky = iy % g.StrideHeight; ky < g.KernelHeight; ky += g.StrideHeight)
                    {
                        var oy = (iy - ky) / g.StrideHeight;
                        if (iy < ky || oy >= g.OutHeight)
                        {
                            continue;
                        }

                        for (var kx = ix % g.StrideWidth; kx < g.KernelWidth; kx += g.StrideWidth)
                        {
                            var ox = (ix - kx) / g.StrideWidth;
                            if (ix < kx || ox >= g.OutWidth)
                            {
                                continue;
                            }

                            ref var gradient = ref Unsafe.Add(ref dy, (oy * g.OutWidth + ox) * Block);
                            ref var tap = ref Unsafe.Add(ref weights, (channel * taps + ky * g.KernelWidth + kx) * Block);
                            for (var block = 0; block < outBlocks; block++)
                            {
                                var d = T.Load(ref Unsafe.Add(ref gradient, block * planeStride));
                                if (block == outBlocks - 1)
                                {
                                    d = T.And(d, lastMask); // lanes past the output channels may hold anything
                                }

                                ref var w = ref Unsafe.Add(ref tap, block * blockStride);
                                a0 = T.MultiplyAdd(T.Load(ref w), d, a0);
                                if (count > 1) a1 = T.MultiplyAdd(T.Load(ref Unsafe.Add(ref w, tapStride)), d, a1);
                                if (count > 2) a2 = T.MultiplyAdd(T.Load(ref Unsafe.Add(ref w, 2 * tapStride)), d, a2);
                                if (count > 3) a3 = T.MultiplyAdd(T.Load(ref Unsafe.Add(ref w, 3 * tapStride)), d, a3);
                            }
                        }
                    }

                    Unsafe.Add(ref dx, BlockedLayout.Index(channel, iy, ix, g.InHeight, g.InWidth)) += T.Sum(a0);
                    if (count > 1) Unsafe.Add(ref dx, BlockedLayout.Index(channel + 1, iy, ix, g.InHeight, g.InWidth)) += T.Sum(a1);
                    if (count > 2) Unsafe.Add(ref dx, BlockedLayout.Index(channel + 2, iy, ix, g.InHeight, g.InWidth)) += T.Sum(a2);
                    if (count > 3) Unsafe.Add(ref dx, BlockedLayout.Index(channel + 3, iy, ix, g.InHeight, g.InWidth)) += T.Sum(a3);
                }
            }
        }
    }

    /// <summary>The same sums without vectors, for machines with no SIMD.</summary>
    private static void InputGradientScalar(ReadOnlySpan<float> outputGradient, ReadOnlySpan<float> packedWeights, Span<float> inputGradient, int loopChannels, in ConvGeometry g)
    {
        var taps = g.KernelHeight * g.KernelWidth;
        for (var channel = 0; channel < loopChannels; channel++)
        {
            for (var iy = 0; iy < g.InHeight; iy++)
            {
                for (var ix = 0; ix < g.InWidth; ix++)
                {
                    var sum = 0f;
                    for (var ky = iy % g.StrideHeight; ky < g.KernelHeight; ky += g.StrideHeight)
                    {
                        var oy = (iy - ky) / g.StrideHeight;
                        if (iy < ky || oy >= g.OutHeight)
                        {
                            continue;
                        }

                        for (var kx = ix % g.StrideWidth; kx < g.KernelWidth; kx += g.StrideWidth)
                        {
                            var ox = (ix - kx) / g.StrideWidth;
                            if (ix < kx || ox >= g.OutWidth)
                            {
                                continue;
                            }

                            for (var o = 0; o < g.OutChannels; o++)
                            {
                                var weight = packedWeights[((o / Block * loopChannels + channel) * taps + ky * g.KernelWidth + kx) * Block + o % Block];
                                sum += weight * outputGradient[BlockedLayout.Index(o, oy, ox, g.OutHeight, g.OutWidth)];
                            }
                        }
                    }

                    inputGradient[BlockedLayout.Index(channel, iy, ix, g.InHeight, g.InWidth)] += sum;
                }
            }
        }
    }
}
