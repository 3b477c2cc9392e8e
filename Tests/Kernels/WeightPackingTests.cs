using InceptionGen.Kernels;
using Xunit;

namespace InceptionGen.Tests.Kernels;

/// <summary>
/// The packed weight order the emitted convolution tiles read: <c>[out-block][loop channel][ky][kx][16 lanes]</c>.
/// Every expected value is computed here from that definition, element by element: each OIHW weight at its
/// packed offset, and zero everywhere else (the padding lanes of the last output block, the gap channels of a
/// channel map, the physical channels past the logical ones). Packed buffers start full of NaN and are longer
/// than needed, so an element the packer forgets to write fails, and one it writes past its length too.
/// </summary>
public sealed class WeightPackingTests
{
    private const float Sentinel = -12345f;

    public static TheoryData<int, int, int> IdentityCases() => new()
    {
        { 1, 1, 1 },
        { 8, 3, 3 },
        { 16, 16, 1 },
        { 24, 17, 3 },
        { 33, 3, 5 },
        { 48, 15, 7 },
        { 80, 33, 1 },
    };

    [Theory, MemberData(nameof(IdentityCases))]
    public void Without_a_map_loop_channels_are_the_logical_channels(int outChannels, int inChannels, int kernel)
        => AssertPacking(outChannels, inChannels, kernel, channelMap: [], loopChannels: inChannels);

    /// <summary>The packer also accepts more loop channels than logical ones with no map: the extra channels get zeros.</summary>
    [Theory, MemberData(nameof(IdentityCases))]
    public void Without_a_map_physical_loop_channels_get_zero_weights_past_the_logical_ones(int outChannels, int inChannels, int kernel)
        => AssertPacking(outChannels, inChannels, kernel, channelMap: [], loopChannels: BlockedLayout.PaddedChannels(inChannels));

    public static TheoryData<int, int[], int> GappedCases() => new()
    {
        // Branch widths of a concat; each branch starts on a block boundary, leaving gaps after widths that are not multiples of 16.
        { 16, [3, 17], 1 },
        { 24, [24, 40], 3 },
        { 1, [15, 1], 5 },
        { 40, [3, 7, 5, 6], 3 },
        { 64, [16, 8, 16], 1 },
    };

    [Theory, MemberData(nameof(GappedCases))]
    public void With_a_gapped_map_weights_go_to_physical_channels_and_gaps_get_zeros(int outChannels, int[] branches, int kernel)
    {
        var channelMap = new List<int>();
        var first = 0;
        foreach (var width in branches)
        {
            channelMap.AddRange(Enumerable.Range(first, width));
            first += BlockedLayout.PaddedChannels(width);
        }

        var map = channelMap.ToArray();
        var physical = BlockedLayout.PhysicalChannels(map, map.Length);
        Assert.Equal(first, physical);
        AssertPacking(outChannels, map.Length, kernel, map, loopChannels: physical);
    }

    [Fact]
    public void Packed_length_is_output_blocks_times_loop_channels_times_taps_times_16()
    {
        Assert.Equal(1 * 1 * 1 * 16, WeightPacking.PackedLength(1, 1, 1));
        Assert.Equal(2 * 17 * 9 * 16, WeightPacking.PackedLength(24, 17, 3));
        Assert.Equal(2 * 32 * 9 * 16, WeightPacking.PackedLength(32, 32, 3));
        Assert.Equal(5 * 64 * 49 * 16, WeightPacking.PackedLength(80, 64, 7));
        Assert.Equal(3 * 3 * 25 * 16, WeightPacking.PackedLength(33, 3, 5));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(8)]
    [InlineData(16)]
    [InlineData(24)]
    [InlineData(33)]
    public void PackBias_copies_the_bias_and_zeroes_the_padding_lanes(int outChannels)
    {
        var bias = Values(new Random(outChannels), outChannels);
        var padded = BlockedLayout.PaddedChannels(outChannels);
        var packed = Filled(padded + 16, float.NaN);
        packed.AsSpan(padded).Fill(Sentinel);

        WeightPacking.PackBias(bias, packed, outChannels);

        for (var i = 0; i < padded + 16; i++)
        {
            var expected = i < outChannels ? bias[i] : i < padded ? 0f : Sentinel;
            AssertBits(expected, packed[i], $"bias lane {i} of {outChannels} channels");
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(24)]
    public void PackBias_without_a_bias_writes_zeros(int outChannels)
    {
        var padded = BlockedLayout.PaddedChannels(outChannels);
        var packed = Filled(padded + 16, float.NaN);
        packed.AsSpan(padded).Fill(Sentinel);

        WeightPacking.PackBias(default, packed, outChannels);

        for (var i = 0; i < packed.Length; i++)
        {
            AssertBits(i < padded ? 0f : Sentinel, packed[i], $"bias lane {i}");
        }
    }

    // ---- Helpers ----

    private static void AssertPacking(int outChannels, int inChannels, int kernel, int[] channelMap, int loopChannels)
    {
        var taps = kernel * kernel;
        // Values start at 1 so that no weight is zero: a zero in the packed buffer then always means "no weight here".
        var weights = Values(new Random(outChannels * 1000 + inChannels * 10 + kernel), outChannels * inChannels * taps);
        var length = WeightPacking.PackedLength(outChannels, loopChannels, kernel);
        Assert.Equal(BlockedLayout.Blocks(outChannels) * loopChannels * taps * 16, length);
        var packed = Filled(length + 64, float.NaN);
        packed.AsSpan(length).Fill(Sentinel);

        WeightPacking.PackConvolution(weights, packed, outChannels, inChannels, kernel, channelMap, loopChannels);

        // Expected from the definition: every packed slot is zero unless a logical (o, i, ky, kx) lands there.
        var expected = new float[length + 64];
        expected.AsSpan(length).Fill(Sentinel);
        var written = new bool[length];
        for (var o = 0; o < outChannels; o++)
        {
            for (var i = 0; i < inChannels; i++)
            {
                var physical = channelMap.Length == 0 ? i : channelMap[i];
                for (var ky = 0; ky < kernel; ky++)
                {
                    for (var kx = 0; kx < kernel; kx++)
                    {
                        var offset = ((((o / 16) * loopChannels + physical) * kernel + ky) * kernel + kx) * 16 + o % 16;
                        Assert.False(written[offset], $"two weights packed at offset {offset}");
                        written[offset] = true;
                        expected[offset] = weights[((o * inChannels + i) * kernel + ky) * kernel + kx];
                    }
                }
            }
        }

        for (var index = 0; index < expected.Length; index++)
        {
            if (BitConverter.SingleToInt32Bits(expected[index]) != BitConverter.SingleToInt32Bits(packed[index]))
            {
                Assert.Fail($"{outChannels} out, {inChannels} in ({loopChannels} loop channels, map [{string.Join(", ", channelMap)}]), kernel {kernel}: " +
                            $"packed[{index}] = {packed[index]}, expected {expected[index]} ({Describe(index, loopChannels, taps, length)}).");
            }
        }
    }

    private static string Describe(int index, int loopChannels, int taps, int length)
    {
        if (index >= length)
        {
            return $"{index - length} past the packed length";
        }

        var lane = index % 16;
        var tap = index / 16 % taps;
        var channel = index / 16 / taps % loopChannels;
        var block = index / 16 / taps / loopChannels;
        return $"output block {block}, loop channel {channel}, tap {tap}, lane {lane}";
    }

    private static float[] Values(Random random, int length)
    {
        var values = new float[length];
        for (var i = 0; i < length; i++)
        {
            values[i] = 1f + random.NextSingle();
        }

        return values;
    }

    private static float[] Filled(int length, float value)
    {
        var values = new float[length];
        Array.Fill(values, value);
        return values;
    }

    private static void AssertBits(float expected, float actual, string what)
        => Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(actual), $"{what}: {actual}, expected {expected}");
}
