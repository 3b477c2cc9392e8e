using InceptionGen.Kernels;
using InceptionGen.Tests.Reference;
using Xunit;

namespace InceptionGen.Tests.Kernels;

/// <summary>
/// Checks every <see cref="ReferenceKernels"/> op on the blocked NCHW16c layout against the plain NCHW
/// oracle <see cref="NchwReference"/>, on seeded random shapes: channel counts that leave padding in the
/// last block, map sizes 1-9, 13, 14 and 28, strides 1-3, paddings 0-2, kernels 1/3/5/7, ceil mode, and inputs laid out
/// the way a concat of branches leaves them, with a channel map that has gaps. Every output buffer starts
/// full of NaN and is exactly as long as the output, so an element a kernel forgets to write (or zero)
/// fails, and a write past the end throws.
/// </summary>
public class ReferenceKernelTests
{
    private static readonly int[] ChannelCounts = [1, 3, 15, 17, 33];
    private static readonly int[] MapSizes = [1, 2, 3, 4, 5, 6, 7, 8, 9, 13, 14, 28];
    private static readonly int[] KernelSizes = [1, 3, 5, 7];

    /// <summary>Branch widths of simulated concats. Each branch starts on a block boundary, so widths that are not multiples of 16 leave gaps in the channel map.</summary>
    private static readonly int[][] ConcatBranchWidths = [[24, 40], [3, 17, 33], [15, 1]];

    private const int CasesPerOp = 20;
    private const int MaxStride = 3;
    private const int MaxPadding = 2;
    private const int DataSeed = 1234;

    // ---- Test cases. Parameters are primitives so that xunit lists each case as its own test. ----

    /// <summary>
    /// The input of each case: branch widths (one branch is a plain map with an identity channel map),
    /// height and width. The lists are cycled so every value appears; every fourth input is a concat.
    /// </summary>
    private static IEnumerable<(int[] Branches, int Height, int Width)> Inputs(Random random)
    {
        for (var i = 0; i < CasesPerOp; i++)
        {
            int[] branches = i % 4 == 3 ? ConcatBranchWidths[i / 4 % ConcatBranchWidths.Length] : [ChannelCounts[i % ChannelCounts.Length]];
            yield return (branches, MapSizes[i % MapSizes.Length], Pick(random, MapSizes));
        }
    }

    /// <summary>
    /// A window that fits the padded input. Pooling keeps the padding at most half the kernel (as PyTorch
    /// requires) and every window overlapping the input, which Caffe's ceil-mode rule does not ensure when the
    /// stride exceeds the kernel and there is no padding; convolutions may have windows wholly in the padding.
    /// </summary>
    private static (int Kernel, int Stride, int Padding) Window(Random random, int height, int width, bool pooling, bool ceilMode = false)
    {
        while (true)
        {
            var kernel = Pick(random, KernelSizes);
            var stride = random.Next(1, MaxStride + 1);
            var padding = random.Next(0, Math.Min(MaxPadding, pooling ? kernel / 2 : MaxPadding) + 1);
            if (Math.Min(height, width) + 2 * padding < kernel)
            {
                continue;
            }

            if (!pooling || (LastWindowOverlapsInput(height) && LastWindowOverlapsInput(width)))
            {
                return (kernel, stride, padding);
            }

            bool LastWindowOverlapsInput(int size) => (NchwReference.OutputSize(size, kernel, stride, padding, ceilMode) - 1) * stride - padding < size;
        }
    }

    public static TheoryData<int[], int, int> MapCases()
    {
        var cases = new TheoryData<int[], int, int>();
        foreach (var (branches, height, width) in Inputs(new Random(1)))
        {
            cases.Add(branches, height, width);
        }

        return cases;
    }

    public static TheoryData<int[], int, int, int, int, int, int, bool, bool> ConvCases()
    {
        var random = new Random(2);
        var cases = new TheoryData<int[], int, int, int, int, int, int, bool, bool>();
        var index = 0;
        foreach (var (branches, height, width) in Inputs(random))
        {
            var (kernel, stride, padding) = Window(random, height, width, pooling: false);
            cases.Add(branches, height, width, Pick(random, ChannelCounts), kernel, stride, padding, index % 2 == 0, index % 3 != 0);
            index++;
        }

        return cases;
    }

    public static TheoryData<int[], int, int, int, int, int, bool> PoolCases()
    {
        var random = new Random(3);
        var cases = new TheoryData<int[], int, int, int, int, int, bool>();
        var index = 0;
        foreach (var (branches, height, width) in Inputs(random))
        {
            var ceilMode = index++ % 2 == 0;
            var (kernel, stride, padding) = Window(random, height, width, pooling: true, ceilMode);
            cases.Add(branches, height, width, kernel, stride, padding, ceilMode);
        }

        // Ceil mode where rounding up would add a window starting in the padding, on both axes: the rule drops it.
        cases.Add([17], 5, 8, 3, 3, 1, true);
        // GoogLeNet's pool1 on a smaller map: ceil mode adds a last window that hangs past the input.
        cases.Add([3], 14, 13, 3, 2, 0, true);
        return cases;
    }

    public static TheoryData<int[], int, int, int, float, float, float> LrnCases()
    {
        var random = new Random(4);
        var cases = new TheoryData<int[], int, int, int, float, float, float>();
        foreach (var (branches, height, width) in Inputs(random))
        {
            // Alpha up to 2 so the normalization visibly changes values in [-1, 1]; odd sizes only, as Caffe requires.
            cases.Add(branches, height, width, Pick(random, [1, 3, 5, 7]), Pick(random, [1e-4f, 0.5f, 2f]), Pick(random, [0.5f, 0.75f]), Pick(random, [1f, 2f]));
        }

        return cases;
    }

    public static TheoryData<int[], int, bool, bool> LinearCases()
    {
        var random = new Random(5);
        var cases = new TheoryData<int[], int, bool, bool>();
        var index = 0;
        foreach (var (branches, _, _) in Inputs(random))
        {
            // Output widths cycle more slowly than the input widths, so no two cases repeat.
            cases.Add(branches, ChannelCounts[index / ChannelCounts.Length % ChannelCounts.Length], index % 2 == 0, index % 3 != 0);
            index++;
        }

        return cases;
    }

    // ---- Tests ----

    [Theory, MemberData(nameof(MapCases))]
    public void PlainToBlocked_puts_each_value_at_its_blocked_offset_and_zeroes_padding_channels(int[] branches, int height, int width)
    {
        var channels = branches.Sum();
        var plain = RandomValues(new Random(DataSeed), channels * height * width);
        var blocked = FilledWithNaN(BlockedLayout.Length(channels, height, width));

        ReferenceKernels.PlainToBlocked(plain, blocked, channels, height, width);

        var expected = new float[blocked.Length];
        for (var c = 0; c < channels; c++)
        {
            for (var y = 0; y < height; y++)
            {
                for (var x = 0; x < width; x++)
                {
                    expected[BlockedOffset(c, y, x, height, width)] = plain[(c * height + y) * width + x];
                }
            }
        }

        Assert.Equal(expected, blocked);
    }

    [Theory, MemberData(nameof(MapCases))]
    public void BlockedToPlain_reads_logical_channels_through_the_channel_map(int[] branches, int height, int width)
    {
        var image = BlockedImage.Create(new Random(DataSeed), branches, height, width);
        var plain = FilledWithNaN(image.Plain.Length);

        ReferenceKernels.BlockedToPlain(image.Blocked, image.ChannelMap, plain, image.Channels, height, width);

        Assert.Equal(image.Plain, plain);
        AssertUnmappedChannelsZero(image.Blocked, image.ChannelMap, image.Channels, height, width);
    }

    [Theory, MemberData(nameof(ConvCases))]
    public void Conv2d_matches_reference(int[] branches, int height, int width, int outChannels, int kernel, int stride, int padding, bool hasBias, bool relu)
    {
        var random = new Random(DataSeed);
        var image = BlockedImage.Create(random, branches, height, width);
        var weights = RandomValues(random, outChannels * image.Channels * kernel * kernel);
        var bias = hasBias ? RandomValues(random, outChannels) : null;
        var outHeight = NchwReference.OutputSize(height, kernel, stride, padding);
        var outWidth = NchwReference.OutputSize(width, kernel, stride, padding);
        var output = FilledWithNaN(BlockedLayout.Length(outChannels, outHeight, outWidth));

        ReferenceKernels.Conv2d(image.Blocked, image.ChannelMap, output, weights, bias,
            new ConvGeometry(image.Channels, height, width, outChannels, outHeight, outWidth, kernel, stride, padding, relu));

        var expected = NchwReference.Conv2d(image.Plain, image.Shape, weights, bias, outChannels, kernel, stride, padding, relu);
        AssertBlockedMatches(expected, output, channelMap: [], outChannels, outHeight, outWidth);
    }

    [Theory, MemberData(nameof(PoolCases))]
    public void MaxPool2d_matches_reference(int[] branches, int height, int width, int kernel, int stride, int padding, bool ceilMode)
        => AssertPoolMatches(ReferenceKernels.MaxPool2d, NchwReference.MaxPool2d, branches, height, width, kernel, stride, padding, ceilMode);

    [Theory, MemberData(nameof(PoolCases))]
    public void AvgPool2d_matches_reference(int[] branches, int height, int width, int kernel, int stride, int padding, bool ceilMode)
        => AssertPoolMatches(ReferenceKernels.AvgPool2d, NchwReference.AvgPool2d, branches, height, width, kernel, stride, padding, ceilMode);

    [Theory, MemberData(nameof(MapCases))]
    public void GlobalAveragePool_matches_reference(int[] branches, int height, int width)
    {
        var image = BlockedImage.Create(new Random(DataSeed), branches, height, width);
        // One value per physical channel: a C×1×1 map, which in the blocked layout is a plain vector.
        var output = FilledWithNaN(image.PhysicalChannels);

        ReferenceKernels.GlobalAveragePool(image.Blocked, output, image.PhysicalChannels, height, width);

        var expected = NchwReference.GlobalAveragePool(image.Plain, image.Shape);
        AssertBlockedMatches(expected, output, image.ChannelMap, image.Channels, 1, 1);
    }

    [Theory, MemberData(nameof(LrnCases))]
    public void LocalResponseNorm_matches_reference(int[] branches, int height, int width, int size, float alpha, float beta, float k)
    {
        var image = BlockedImage.Create(new Random(DataSeed), branches, height, width);
        // The output keeps the input's channel map, so it spans the same physical channels.
        var output = FilledWithNaN(image.Blocked.Length);

        ReferenceKernels.LocalResponseNorm(image.Blocked, image.ChannelMap, output, image.Channels, height, width, size, alpha, beta, k);

        var expected = NchwReference.LocalResponseNorm(image.Plain, image.Shape, size, alpha, beta, k);
        AssertBlockedMatches(expected, output, image.ChannelMap, image.Channels, height, width);
    }

    [Theory, MemberData(nameof(LinearCases))]
    public void Linear_matches_reference(int[] branches, int outFeatures, bool hasBias, bool relu)
    {
        var random = new Random(DataSeed);
        // A C×1×1 blocked map, as global average pooling leaves it.
        var image = BlockedImage.Create(random, branches, 1, 1);
        var weights = RandomValues(random, outFeatures * image.Channels);
        var bias = hasBias ? RandomValues(random, outFeatures) : null;
        var output = FilledWithNaN(outFeatures);

        ReferenceKernels.Linear(image.Blocked, image.ChannelMap, output, weights, bias, image.Channels, outFeatures, relu);

        AssertClose(NchwReference.Linear(image.Plain, weights, bias, outFeatures, relu), output);
    }

    // ---- Helpers ----

    private delegate void BlockedPool(ReadOnlySpan<float> input, Span<float> output, in PoolGeometry geometry);

    private delegate float[] PlainPool(float[] input, FeatureShape shape, int kernel, int stride, int padding, int outHeight, int outWidth);

    private static void AssertPoolMatches(BlockedPool pool, PlainPool reference,
        int[] branches, int height, int width, int kernel, int stride, int padding, bool ceilMode)
    {
        var image = BlockedImage.Create(new Random(DataSeed), branches, height, width);
        var outHeight = NchwReference.OutputSize(height, kernel, stride, padding, ceilMode);
        var outWidth = NchwReference.OutputSize(width, kernel, stride, padding, ceilMode);
        // Pooling runs over every physical channel; the output keeps the input's channel map.
        var output = FilledWithNaN(image.PhysicalChannels * outHeight * outWidth);

        pool(image.Blocked, output, new PoolGeometry(image.PhysicalChannels, height, width, outHeight, outWidth, kernel, stride, padding));

        var expected = reference(image.Plain, image.Shape, kernel, stride, padding, outHeight, outWidth);
        AssertBlockedMatches(expected, output, image.ChannelMap, image.Channels, outHeight, outWidth);
    }

    /// <summary>Asserts that a blocked output holds <paramref name="expected"/> (plain NCHW) in the channels the map names, and zero in all others.</summary>
    private static void AssertBlockedMatches(float[] expected, float[] blocked, int[] channelMap, int channels, int height, int width)
    {
        var plain = new float[channels * height * width];
        ReferenceKernels.BlockedToPlain(blocked, channelMap, plain, channels, height, width);
        AssertClose(expected, plain);
        AssertUnmappedChannelsZero(blocked, channelMap, channels, height, width);
    }

    /// <summary>Asserts that every physical channel no logical channel maps to is zero: the last block's padding and the concat gaps.</summary>
    private static void AssertUnmappedChannelsZero(float[] blocked, int[] channelMap, int channels, int height, int width)
    {
        var mapped = new bool[blocked.Length / (height * width)];
        for (var c = 0; c < channels; c++)
        {
            mapped[BlockedLayout.Physical(channelMap, c)] = true;
        }

        for (var physical = 0; physical < mapped.Length; physical++)
        {
            for (var y = 0; y < height; y++)
            {
                for (var x = 0; x < width; x++)
                {
                    var value = blocked[BlockedOffset(physical, y, x, height, width)];
                    if (!mapped[physical] && value != 0f)
                    {
                        Assert.Fail($"Unmapped physical channel {physical} at ({y}, {x}) holds {value}, not 0.");
                    }
                }
            }
        }
    }

    /// <summary>
    /// Tolerance: 1e-5 relative to the largest magnitude in <paramref name="expected"/>. The kernels sum in
    /// float and in another order than the double-precision oracle, so rounding differs by far less; a
    /// wrong index, window or divisor is off by a sizeable fraction of it.
    /// </summary>
    private static void AssertClose(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        var tolerance = 1e-5f * expected.Max(MathF.Abs);
        for (var i = 0; i < expected.Length; i++)
        {
            // Written so that NaN fails.
            if (!(MathF.Abs(expected[i] - actual[i]) <= tolerance))
            {
                Assert.Fail($"Element {i}: expected {expected[i]}, got {actual[i]} (tolerance {tolerance}).");
            }
        }
    }

    /// <summary>Offset of (physical channel, y, x) in one image's NCHW16c map, from the layout's definition: [channel blocks][height][width][16].</summary>
    private static int BlockedOffset(int channel, int y, int x, int height, int width)
        => ((channel / 16 * height + y) * width + x) * 16 + channel % 16;

    private static float[] RandomValues(Random random, int length)
    {
        var values = new float[length];
        for (var i = 0; i < length; i++)
        {
            values[i] = 2f * random.NextSingle() - 1f;
        }

        return values;
    }

    private static float[] FilledWithNaN(int length)
    {
        var values = new float[length];
        Array.Fill(values, float.NaN);
        return values;
    }

    private static T Pick<T>(Random random, T[] values) => values[random.Next(values.Length)];

    /// <summary>
    /// One image both as plain NCHW and in the blocked layout that a concat of <c>branches</c> leaves:
    /// each branch starts on a block boundary, so a branch whose width is not a multiple of 16 is followed
    /// by zero channels that no logical channel maps to. One branch is an ordinary map with an empty
    /// (identity) channel map.
    /// </summary>
    private sealed record BlockedImage(float[] Plain, float[] Blocked, int[] ChannelMap, int Channels, int PhysicalChannels, int Height, int Width)
    {
        public FeatureShape Shape => new(Channels, Height, Width);

        public static BlockedImage Create(Random random, int[] branchWidths, int height, int width)
        {
            var branches = Array.ConvertAll(branchWidths, branchWidth => RandomValues(random, branchWidth * height * width));
            var physicalChannels = branchWidths.Sum(BlockedLayout.PaddedChannels);
            var blocked = new float[physicalChannels * height * width];
            var channelMap = new List<int>();
            var firstPhysical = 0;
            for (var b = 0; b < branches.Length; b++)
            {
                // Whole blocks are contiguous in NCHW16c, so a branch is a slice starting at its first block.
                ReferenceKernels.PlainToBlocked(branches[b], blocked.AsSpan(firstPhysical * height * width), branchWidths[b], height, width);
                channelMap.AddRange(Enumerable.Range(firstPhysical, branchWidths[b]));
                firstPhysical += BlockedLayout.PaddedChannels(branchWidths[b]);
            }

            return new BlockedImage(NchwReference.ConcatChannels(branches), blocked, branches.Length == 1 ? [] : channelMap.ToArray(),
                branchWidths.Sum(), physicalChannels, height, width);
        }
    }
}
