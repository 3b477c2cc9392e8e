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
        => BlockedLayout.Blocks(outChannels) * loopChannels * kernel * kernel * BlockedLayout.BlockSize;

    /// <param name="weights">OIHW over logical channels, as in the parameter block.</param>
    /// <param name="inputChannelMap">Physical channel of each logical input channel; empty for identity.</param>
    /// <param name="loopChannels">Input channels the kernel iterates: physical when there is a map, else logical.</param>
    public static void PackConvolution(ReadOnlySpan<float> weights, Span<float> packed, int outChannels, int inChannels, int kernel,
        ReadOnlySpan<int> inputChannelMap, int loopChannels)
    {
        const int block = BlockedLayout.BlockSize;
        var taps = kernel * kernel;
        packed[..PackedLength(outChannels, loopChannels, kernel)].Clear();
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
}
