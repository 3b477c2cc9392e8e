namespace InceptionGen.Kernels;

/// <summary>
/// Reorders convolution weights once, when they are set or loaded, into the order the micro-kernels
/// read: <c>[out-block][in-channel][ky][kx][16 out-channels]</c>, so one load gives the 16 output
/// channels' weights for one input tap. Input channels are physical (a concat's gap channels get
/// zeros), and output channels past the real count are zero, so padding lanes compute zeros.
/// </summary>
public static class WeightPacking
{
    /// <summary>Floats of the packed weights of one convolution.</summary>
    public static int PackedLength(int outChannels, int loopChannels, int kernel)
        => PackedLength(outChannels, loopChannels, kernel, kernel);

    /// <summary>Floats of the packed weights of one convolution with a <paramref name="kernelHeight"/> × <paramref name="kernelWidth"/> kernel.</summary>
    public static int PackedLength(int outChannels, int loopChannels, int kernelHeight, int kernelWidth)
        => BlockedLayout.Blocks(outChannels) * loopChannels * kernelHeight * kernelWidth * BlockedLayout.BlockSize;

    /// <param name="weights">OIHW over logical channels, as in the parameter block.</param>
    /// <param name="inputChannelMap">Physical channel of each logical input channel; empty for identity.</param>
    /// <param name="loopChannels">Input channels the kernel iterates: physical when there is a map, else logical.</param>
    public static void PackConvolution(ReadOnlySpan<float> weights, Span<float> packed, int outChannels, int inChannels, int kernel,
        ReadOnlySpan<int> inputChannelMap, int loopChannels)
        => PackConvolution(weights, packed, outChannels, inChannels, kernel, kernel, inputChannelMap, loopChannels);

    /// <summary>As the square overload, for a <paramref name="kernelHeight"/> × <paramref name="kernelWidth"/> kernel.</summary>
    public static void PackConvolution(ReadOnlySpan<float> weights, Span<float> packed, int outChannels, int inChannels, int kernelHeight, int kernelWidth,
        ReadOnlySpan<int> inputChannelMap, int loopChannels)
    {
        const int block = BlockedLayout.BlockSize;
        var taps = kernelHeight * kernelWidth;
        packed[..PackedLength(outChannels, loopChannels, kernelHeight, kernelWidth)].Clear();
        for (var o = 0; o < outChannels; o++)
        {
            var outBlock = o / block;
            var lane = o % block;
            for (var i = 0; i < inChannels; i++)
            {
                var physical = BlockedLayout.Physical(inputChannelMap, i);
                for (var tap = 0; tap < taps; tap++)
                {
                    packed[((outBlock * loopChannels + physical) * taps + tap) * block + lane] = weights[(o * inChannels + i) * taps + tap];
                }
            }
        }
    }

    /// <summary>A bias padded to whole blocks (zeros past the real channels), or zeros when there is none.</summary>
    public static void PackBias(ReadOnlySpan<float> bias, Span<float> packed, int outChannels)
    {
        packed[..BlockedLayout.PaddedChannels(outChannels)].Clear();
        bias.CopyTo(packed);
    }

    /// <summary>
    /// Packs the weights of the transposed convolution that computes a stride-1 convolution's input gradient:
    /// <c>[in-block][out-channel][ky][kx][16 in-channels]</c> with the kernel flipped, so the forward
    /// micro-kernels run it over the zero-padded output gradient. Input channels are physical: gaps and
    /// padding lanes are zero, so their gradient stays zero.
    /// </summary>
    public static void PackTransposedConvolution(ReadOnlySpan<float> weights, Span<float> packed, int outChannels, int inChannels, int kernel,
        ReadOnlySpan<int> inputChannelMap, int inputPhysicalChannels)
        => PackTransposedConvolution(weights, packed, outChannels, inChannels, kernel, kernel, inputChannelMap, inputPhysicalChannels);

    /// <summary>As the square overload, for a <paramref name="kernelHeight"/> × <paramref name="kernelWidth"/> kernel (flipped in both).</summary>
    public static void PackTransposedConvolution(ReadOnlySpan<float> weights, Span<float> packed, int outChannels, int inChannels, int kernelHeight, int kernelWidth,
        ReadOnlySpan<int> inputChannelMap, int inputPhysicalChannels)
    {
        const int block = BlockedLayout.BlockSize;
        var taps = kernelHeight * kernelWidth;
        packed[..PackedLength(inputPhysicalChannels, outChannels, kernelHeight, kernelWidth)].Clear();
        for (var o = 0; o < outChannels; o++)
        {
            for (var i = 0; i < inChannels; i++)
            {
                var physical = BlockedLayout.Physical(inputChannelMap, i);
                for (var ky = 0; ky < kernelHeight; ky++)
                {
                    for (var kx = 0; kx < kernelWidth; kx++)
                    {
                        var flipped = (kernelHeight - 1 - ky) * kernelWidth + (kernelWidth - 1 - kx);
                        packed[(((physical / block) * outChannels + o) * taps + ky * kernelWidth + kx) * block + physical % block] = weights[(o * inChannels + i) * taps + flipped];
                    }
                }
            }
        }
    }

    /// <summary>
    /// Adds weight and bias gradients accumulated in the packed order (<see cref="PackConvolution(ReadOnlySpan{float}, Span{float}, int, int, int, ReadOnlySpan{int}, int)"/>'s layout)
    /// into the OIHW gradient block: the inverse of the packing, summed.
    /// </summary>
    public static void AddUnpackedGradient(ReadOnlySpan<float> packedGradient, ReadOnlySpan<float> packedBiasGradient, Span<float> weightGradient, Span<float> biasGradient,
        int outChannels, int inChannels, int kernel, ReadOnlySpan<int> inputChannelMap, int loopChannels)
        => AddUnpackedGradient(packedGradient, packedBiasGradient, weightGradient, biasGradient, outChannels, inChannels, kernel, kernel, inputChannelMap, loopChannels);

    /// <summary>As the square overload, for a <paramref name="kernelHeight"/> × <paramref name="kernelWidth"/> kernel.</summary>
    public static void AddUnpackedGradient(ReadOnlySpan<float> packedGradient, ReadOnlySpan<float> packedBiasGradient, Span<float> weightGradient, Span<float> biasGradient,
        int outChannels, int inChannels, int kernelHeight, int kernelWidth, ReadOnlySpan<int> inputChannelMap, int loopChannels)
    {
        const int block = BlockedLayout.BlockSize;
        var taps = kernelHeight * kernelWidth;
        for (var o = 0; o < outChannels; o++)
        {
            for (var i = 0; i < inChannels; i++)
            {
                var physical = BlockedLayout.Physical(inputChannelMap, i);
                for (var tap = 0; tap < taps; tap++)
                {
                    weightGradient[(o * inChannels + i) * taps + tap] += packedGradient[(((o / block) * loopChannels + physical) * taps + tap) * block + o % block];
                }
            }

            if (!biasGradient.IsEmpty)
            {
                biasGradient[o] += packedBiasGradient[o];
            }
        }
    }
}
