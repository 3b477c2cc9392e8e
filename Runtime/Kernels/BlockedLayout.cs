namespace InceptionGen.Kernels;

/// <summary>
/// The activation layout, NCHW16c: per image, channels are grouped in blocks of 16; a block holds
/// height × width pixels of 16 consecutive channels each. 16 floats are one AVX-512 vector, two AVX2
/// vectors or four NEON vectors, so every kernel loads whole vectors of output channels. Channels past
/// the real count in the last block (padding) are kept at zero. docs/ARCHITECTURE.md gives the reasons.
/// </summary>
public static class BlockedLayout
{
    /// <summary>Channels per block.</summary>
    public const int BlockSize = 16;

    /// <summary>Blocks that hold <paramref name="channels"/> channels.</summary>
    public static int Blocks(int channels) => (channels + BlockSize - 1) / BlockSize;

    /// <summary>Channels rounded up to whole blocks.</summary>
    public static int PaddedChannels(int channels) => Blocks(channels) * BlockSize;

    /// <summary>Floats of one image's map of <paramref name="channels"/> × <paramref name="height"/> × <paramref name="width"/>.</summary>
    public static int Length(int channels, int height, int width) => PaddedChannels(channels) * height * width;

    /// <summary>Index of (physical channel, y, x) in one image's blocked map of the given size.</summary>
    public static int Index(int channel, int y, int x, int height, int width)
        => ((channel / BlockSize * height + y) * width + x) * BlockSize + channel % BlockSize;

    /// <summary>
    /// Physical channels (whole blocks) that a map of <paramref name="channels"/> logical channels spans: up to the block
    /// of the highest mapped channel. After a concat of branches whose widths are not multiples of 16 this exceeds
    /// <see cref="PaddedChannels"/>, because every branch starts on a block boundary.
    /// </summary>
    public static int PhysicalChannels(ReadOnlySpan<int> channelMap, int channels)
    {
        var highest = channels - 1;
        foreach (var physical in channelMap)
        {
            highest = Math.Max(highest, physical);
        }

        return PaddedChannels(highest + 1);
    }

    /// <summary>The physical channel of logical channel <paramref name="channel"/>: the map's entry, or the channel itself when the map is empty (identity).</summary>
    public static int Physical(ReadOnlySpan<int> channelMap, int channel) => channelMap.IsEmpty ? channel : channelMap[channel];
}
