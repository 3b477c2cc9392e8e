using System.Runtime.InteropServices;
using InceptionGen.Kernels;
using InceptionGen.Tests.Reference;
using Xunit;

namespace InceptionGen.Tests.Kernels;

/// <summary>
/// Every vectorized kernel of <see cref="BlockedKernels"/> against its scalar oracle in
/// <see cref="ReferenceKernels"/> (itself tested against plain NCHW in <see cref="ReferenceKernelTests"/>).
/// The tests call the public drivers, so they check whichever path this process runs on: Vector512,
/// Vector256, Vector128 (SSE or NEON), or Vector128 in software when DOTNET_EnableHWIntrinsic=0; CI runs
/// the suite once per path. Shapes are seeded random: map sizes 1-9, 13, 14, 28 and 56, kernels 1/2/3/5,
/// strides 1-3, paddings up to half the kernel, ceil mode, and channel counts that leave zero padding
/// channels in the last block.
/// <para>
/// Every output span is exactly as long as the kernel may write, sits between guard cells, and starts full
/// of NaN: an element the kernel forgets fails the comparison, and a write past either end changes a guard.
/// </para>
/// </summary>
public sealed class BlockedKernelTests(ITestOutputHelper output)
{
    private const int Block = BlockedLayout.BlockSize;
    private static readonly int[] MapSizes = [1, 2, 3, 4, 5, 6, 7, 8, 9, 13, 14, 28, 56];
    private static readonly int[] PoolKernels = [1, 2, 3, 5];

    /// <summary>Logical channel counts of the pooled and padded maps; all but 16 and 48 leave padding channels.</summary>
    private static readonly int[] ChannelCounts = [16, 17, 24, 33, 48];

    private const int PoolCaseCount = 36;
    private const int MaxStride = 3;
    private const int MaxPoolPadding = 2;
    private const int DataSeed = 4321;

    // ---- Test cases ----

    /// <summary>
    /// A pooling window as the planner accepts it and as <see cref="ReferenceKernelTests"/> draws it: padding at most
    /// half the kernel, the window fits in the padded input, and the last window (ceil mode included) overlaps the input.
    /// </summary>
    private static (int Kernel, int Stride, int Padding) PoolWindow(Random random, int height, int width, bool ceilMode)
    {
        while (true)
        {
            var kernel = PoolKernels[random.Next(PoolKernels.Length)];
            var stride = random.Next(1, MaxStride + 1);
            var padding = random.Next(0, Math.Min(MaxPoolPadding, kernel / 2) + 1);
            if (Math.Min(height, width) + 2 * padding < kernel)
            {
                continue;
            }

            if (LastWindowOverlapsInput(height) && LastWindowOverlapsInput(width))
            {
                return (kernel, stride, padding);
            }

            bool LastWindowOverlapsInput(int size) => (NchwReference.OutputSize(size, kernel, stride, padding, ceilMode) - 1) * stride - padding < size;
        }
    }

    public static TheoryData<int, int, int, int, int, int, bool> PoolCases()
    {
        var random = new Random(11);
        var cases = new TheoryData<int, int, int, int, int, int, bool>();
        for (var i = 0; i < PoolCaseCount; i++)
        {
            var height = MapSizes[i % MapSizes.Length];
            var width = MapSizes[random.Next(MapSizes.Length)];
            var ceilMode = i % 2 == 0;
            var (kernel, stride, padding) = PoolWindow(random, height, width, ceilMode);
            cases.Add(ChannelCounts[i % ChannelCounts.Length], height, width, kernel, stride, padding, ceilMode);
        }

        // GoogLeNet's pools: 3x3/2 ceil (the last window hangs past the input) and the Inception branch's 3x3/1 pad 1.
        cases.Add(24, 14, 13, 3, 2, 0, true);
        cases.Add(16, 28, 28, 3, 2, 0, true);
        cases.Add(33, 7, 9, 3, 1, 1, false);
        // Ceil mode where rounding up would add a window starting in the padding: the rule drops it.
        cases.Add(17, 5, 8, 3, 3, 1, true);
        // The auxiliary head's 5x5/3 average pool on a 14x14 map, and a 2x2/2 ceil pool of an odd map.
        cases.Add(16, 14, 14, 5, 3, 0, true);
        cases.Add(24, 9, 7, 2, 2, 0, true);
        return cases;
    }

    public static TheoryData<int, int, int> GlobalPoolCases()
    {
        var cases = new TheoryData<int, int, int>();
        var random = new Random(12);
        for (var i = 0; i < MapSizes.Length; i++)
        {
            cases.Add(ChannelCounts[i % ChannelCounts.Length], MapSizes[i], MapSizes[random.Next(MapSizes.Length)]);
        }

        return cases;
    }

    public static TheoryData<int, int, int, int> PadCases()
    {
        var cases = new TheoryData<int, int, int, int>();
        var random = new Random(13);
        for (var i = 0; i < 2 * MapSizes.Length; i++)
        {
            // Paddings 0-3: the planner pads a k x k convolution by any amount, GoogLeNet's 7x7 stem by 3.
            cases.Add(ChannelCounts[i % ChannelCounts.Length], MapSizes[i % MapSizes.Length], MapSizes[random.Next(MapSizes.Length)], i % 4);
        }

        return cases;
    }

    /// <summary>
    /// Logical channels 16-80; 17, 24, 40 and 63 leave zero padding channels in the last block, which the
    /// kernel takes as channels (it is given the physical count) and must leave zero. β = 0.75 takes the
    /// kernel's square-root path, every other β its exp/log path.
    /// </summary>
    public static TheoryData<int, int, int, int, float, float, float> LrnCases()
    {
        int[] channels = [16, 17, 24, 32, 40, 48, 63, 64, 80];
        float[] betas = [0.75f, 0.5f, 0.75f, 1f, 0.6f, 0.75f, 0.9f];
        var random = new Random(14);
        var cases = new TheoryData<int, int, int, int, float, float, float>();
        for (var i = 0; i < 2 * channels.Length; i++)
        {
            var size = new[] { 1, 3, 5, 7, 9 }[random.Next(5)];
            var alpha = new[] { 1e-4f, 0.5f, 2f }[random.Next(3)];
            var k = new[] { 1f, 2f }[random.Next(2)];
            // The largest maps (28, 56) only with the fewer channels, to keep each case fast.
            var height = MapSizes[random.Next(MapSizes.Length - (channels[i % channels.Length] > 32 ? 2 : 0))];
            var width = MapSizes[random.Next(MapSizes.Length - 2)];
            cases.Add(channels[i % channels.Length], height, width, size, alpha, betas[i % betas.Length], k);
        }

        // GoogLeNet's norm1 and norm2 (size 5, α 1e-4, β 0.75), on smaller maps.
        cases.Add(64, 14, 14, 5, 1e-4f, 0.75f, 1f);
        cases.Add(80, 7, 7, 5, 1e-4f, 0.75f, 1f);
        // Rows longer than one chunk of the kernel's scratch (48 KiB of lines), so chunks and a short last chunk run:
        // norm2's 192 channels at its full width, and many channels on a short row, with both kinds of power.
        cases.Add(192, 2, 56, 5, 1e-4f, 0.75f, 1f);
        cases.Add(520, 1, 57, 5, 0.5f, 0.5f, 2f);
        return cases;
    }

    /// <summary>In features (odd, around a vector width, and longer), out features, bias, ReLU, and the rows [begin, end) one call computes.</summary>
    public static TheoryData<int, int, bool, bool, int, int> LinearCases()
    {
        int[] inFeatures = [1, 3, 7, 15, 16, 17, 33, 64, 100, 257, 1024];
        int[] outFeatures = [1, 5, 13, 64, 65];
        var cases = new TheoryData<int, int, bool, bool, int, int>();
        var random = new Random(15);
        for (var i = 0; i < 2 * inFeatures.Length; i++)
        {
            var outs = outFeatures[i % outFeatures.Length];
            var (begin, end) = (i % 3) switch
            {
                0 => (0, outs),
                1 => (random.Next(outs), outs),
                _ => (0, random.Next(outs + 1)),
            };
            if (i == 5)
            {
                (begin, end) = (outs / 2, outs / 2);
            }

            cases.Add(inFeatures[i % inFeatures.Length], outs, i % 2 == 0, i / 2 % 2 == 0, begin, end);
        }

        // GoogLeNet's classifier rows as the generated code splits them: 64 rows per item.
        cases.Add(1024, 1000, true, false, 64 * 15, 1000);
        cases.Add(1024, 1000, true, false, 128, 192);
        return cases;
    }

    // ---- Pools and padding: exact ----

    /// <summary>
    /// Tolerance: none, bit for bit. A max is exact whatever the order, and both kernels take the window's
    /// cells in the same order (rows, then columns); the vectorized kernel only does 16 lanes at once.
    /// </summary>
    [Theory, MemberData(nameof(PoolCases))]
    public void MaxPoolBlock_matches_MaxPool2d_bit_for_bit(int channels, int height, int width, int kernel, int stride, int padding, bool ceilMode)
        => AssertPoolBlocksMatch(BlockedKernels.MaxPoolBlock, ReferenceKernels.MaxPool2d, channels, height, width, kernel, stride, padding, ceilMode);

    /// <summary>
    /// Tolerance: none, bit for bit. Both kernels add the window's cells in the same order, starting from
    /// +0, and divide by the same count, so each lane rounds exactly as the scalar loop does.
    /// </summary>
    [Theory, MemberData(nameof(PoolCases))]
    public void AvgPoolBlock_matches_AvgPool2d_bit_for_bit(int channels, int height, int width, int kernel, int stride, int padding, bool ceilMode)
        => AssertPoolBlocksMatch(BlockedKernels.AvgPoolBlock, ReferenceKernels.AvgPool2d, channels, height, width, kernel, stride, padding, ceilMode);

    /// <summary>Rectangular windows, strides and paddings (Inception-v3's 1x3/3x1 shapes, a 3x5 window with stride 2x1): bit for bit, as the square ones.</summary>
    [Theory]
    [InlineData(17, 9, 11, 1, 3, 1, 1, 0, 1, false)]
    [InlineData(16, 11, 9, 3, 1, 1, 1, 1, 0, false)]
    [InlineData(5, 11, 10, 3, 5, 2, 1, 1, 2, true)]
    [InlineData(33, 8, 13, 2, 3, 1, 2, 0, 1, true)]
    public void Rectangular_pool_blocks_match_the_reference_bit_for_bit(int channels, int height, int width, int kernelY, int kernelX, int strideY, int strideX, int paddingY, int paddingX, bool ceilMode)
    {
        AssertPoolBlocksMatch(BlockedKernels.MaxPoolBlock, ReferenceKernels.MaxPool2d, channels, height, width, (kernelY, kernelX), (strideY, strideX), (paddingY, paddingX), ceilMode);
        AssertPoolBlocksMatch(BlockedKernels.AvgPoolBlock, ReferenceKernels.AvgPool2d, channels, height, width, (kernelY, kernelX), (strideY, strideX), (paddingY, paddingX), ceilMode);
    }

    /// <summary>
    /// Tolerance: none, bit for bit. Each lane sums the pixels in the scalar loop's order (rows, then
    /// columns, one accumulator) and both multiply by the same float 1 / (height × width).
    /// </summary>
    [Theory, MemberData(nameof(GlobalPoolCases))]
    public void GlobalAveragePoolBlock_matches_GlobalAveragePool_bit_for_bit(int channels, int height, int width)
    {
        var physical = BlockedLayout.PaddedChannels(channels);
        var input = BlockedInput(new Random(DataSeed), channels, height, width);
        var expected = new float[physical];
        ReferenceKernels.GlobalAveragePool(input, expected, physical, height, width);

        var actual = new float[physical];
        var plane = height * width * Block;
        for (var block = 0; block < physical / Block; block++)
        {
            var result = RunGuarded(Block, span => BlockedKernels.GlobalAveragePoolBlock(input.AsSpan(block * plane, plane), span, height, width));
            result.CopyTo(actual, block * Block);
        }

        AssertBitwiseEqual(expected, actual, $"GAP {channels}x{height}x{width}");
        AssertPaddingChannelsZero(actual, channels, 1, 1);
    }

    /// <summary>Tolerance: none; padding copies values and writes zeros.</summary>
    [Theory, MemberData(nameof(PadCases))]
    public void PadBlock_matches_Pad_bit_for_bit(int channels, int height, int width, int padding)
    {
        var physical = BlockedLayout.PaddedChannels(channels);
        var input = BlockedInput(new Random(DataSeed), channels, height, width);
        var (paddedHeight, paddedWidth) = (height + 2 * padding, width + 2 * padding);
        var expected = new float[physical * paddedHeight * paddedWidth];
        ReferenceKernels.Pad(input, expected, physical, height, width, padding);

        var actual = new float[expected.Length];
        var (inPlane, outPlane) = (height * width * Block, paddedHeight * paddedWidth * Block);
        for (var block = 0; block < physical / Block; block++)
        {
            var result = RunGuarded(outPlane, span => BlockedKernels.PadBlock(input.AsSpan(block * inPlane, inPlane), span, height, width, padding));
            result.CopyTo(actual, block * outPlane);
        }

        AssertBitwiseEqual(expected, actual, $"pad {padding} of {channels}x{height}x{width}");
    }

    // ---- LRN: a few ulps ----

    /// <summary>
    /// The reference computes <c>x · MathF.Pow(base, -β)</c>; the kernel takes <c>x / (√base · √√base)</c>
    /// for β = 0.75 (two roots, a product and a quotient, each rounded: up to ~3 ulps from the exact value,
    /// plus Pow's own error) and <c>x · exp(-β · log base)</c> otherwise (the runtime's vector Exp and Log are
    /// within ~1 ulp each, and |β · log base| ≤ 1.6 here). The window sums are added in the same order in both.
    /// Tolerance: 6 ulps of the expected value on the square-root path, 8 on the exp/log path (measured: at
    /// most 4 and 3 on AVX-512); a wrong window, α, β or k is off by thousands. Zeros (the padding channels)
    /// must be exact.
    /// </summary>
    [Theory, MemberData(nameof(LrnCases))]
    public void LocalResponseNormRow_on_every_row_matches_LocalResponseNorm(int channels, int height, int width, int size, float alpha, float beta, float k)
    {
        var physical = BlockedLayout.PaddedChannels(channels);
        var input = BlockedInput(new Random(DataSeed), channels, height, width);
        var expected = new float[input.Length];
        ReferenceKernels.LocalResponseNorm(input, default, expected, channels, height, width, size, alpha, beta, k);

        var actual = RunGuarded(input.Length, span =>
        {
            for (var y = 0; y < height; y++)
            {
                BlockedKernels.LocalResponseNormRow(input, span, physical, height, width, y, size, alpha, beta, k);
            }
        });

        var allowedUlps = beta == 0.75f ? 6 : 8;
        var worst = 0L;
        for (var i = 0; i < expected.Length; i++)
        {
            var ulps = UlpDistance(expected[i], actual[i]);
            worst = Math.Max(worst, ulps);
            if (ulps > allowedUlps || (expected[i] == 0f) != (actual[i] == 0f))
            {
                Assert.Fail($"LRN {channels} ({physical} physical) x{height}x{width}, size {size}, α {alpha}, β {beta}, k {k}: element {i} " +
                            $"(channel {ChannelOf(i, height, width)}) is {actual[i]:G9}, expected {expected[i]:G9}: {ulps} ulps apart, {allowedUlps} allowed.");
            }
        }

        AssertPaddingChannelsZero(actual, channels, height, width);
        output.WriteLine($"{Isa.Current}: at most {worst} ulp(s) from the reference ({(beta == 0.75f ? "sqrt" : "exp/log")} path).");
    }

    // ---- Linear: summation order ----

    /// <summary>
    /// LinearRows takes each row's dot product with TensorPrimitives.Dot (vector partial sums, fused where
    /// the hardware has FMA), the reference with one float accumulator in order. Each is within
    /// n·u·Σ|wᵢxᵢ| of the exact sum (u = 2⁻²⁴), so they differ by at most 2(n + 1)·u·(Σ|wᵢxᵢ| + |b|);
    /// that bound stays far below one product of the sum, so a wrong row, column, bias or ReLU fails.
    /// Rows outside [begin, end) must stay untouched, and the input is read only up to inFeatures (the rest
    /// of the blocked vector is NaN here).
    /// </summary>
    [Theory, MemberData(nameof(LinearCases))]
    public void LinearRows_matches_Linear_on_its_rows_and_leaves_the_others(int inFeatures, int outFeatures, bool hasBias, bool relu, int begin, int end)
    {
        var random = new Random(DataSeed);
        var input = Values(random, BlockedLayout.PaddedChannels(inFeatures));
        input.AsSpan(inFeatures).Fill(float.NaN);
        var weights = Values(random, outFeatures * inFeatures);
        var bias = hasBias ? Values(random, outFeatures) : null;
        var expected = new float[outFeatures];
        ReferenceKernels.Linear(input, default, expected, weights, bias, inFeatures, outFeatures, relu);

        var actual = RunGuarded(outFeatures, span => BlockedKernels.LinearRows(input, span, weights, bias, inFeatures, begin, end, relu));

        for (var o = 0; o < outFeatures; o++)
        {
            if (o < begin || o >= end)
            {
                Assert.True(float.IsNaN(actual[o]), $"row {o} is outside [{begin}, {end}) but was written: {actual[o]}");
                continue;
            }

            var magnitude = (bias is null ? 0.0 : Math.Abs(bias[o])) + Enumerable.Range(0, inFeatures).Sum(i => Math.Abs((double)weights[o * inFeatures + i] * input[i]));
            var tolerance = 2.0 * (inFeatures + 1) * Math.Pow(2, -24) * magnitude;
            if (!(Math.Abs((double)actual[o] - expected[o]) <= tolerance))
            {
                Assert.Fail($"Linear {inFeatures} -> {outFeatures} (bias {hasBias}, relu {relu}), row {o}: {actual[o]:G9}, expected {expected[o]:G9}, tolerance {tolerance:G3}.");
            }
        }
    }

    // ---- Helpers ----

    private delegate void BlockPool(ReadOnlySpan<float> input, Span<float> output, in PoolGeometry geometry);

    private delegate void ImagePool(ReadOnlySpan<float> input, Span<float> output, in PoolGeometry geometry);

    /// <summary>
    /// Runs the blocked pool on each 16-channel plane (as the generated code does, with Channels = 16) and the
    /// reference on the whole image (Channels = physical), and compares them bit for bit.
    /// </summary>
    private static void AssertPoolBlocksMatch(BlockPool blocked, ImagePool reference,
        int channels, int height, int width, int kernel, int stride, int padding, bool ceilMode)
        => AssertPoolBlocksMatch(blocked, reference, channels, height, width, (kernel, kernel), (stride, stride), (padding, padding), ceilMode);

    private static void AssertPoolBlocksMatch(BlockPool blocked, ImagePool reference,
        int channels, int height, int width, (int Y, int X) kernel, (int Y, int X) stride, (int Y, int X) padding, bool ceilMode)
    {
        var physical = BlockedLayout.PaddedChannels(channels);
        var input = BlockedInput(new Random(DataSeed), channels, height, width);
        var outHeight = NchwReference.OutputSize(height, kernel.Y, stride.Y, padding.Y, ceilMode);
        var outWidth = NchwReference.OutputSize(width, kernel.X, stride.X, padding.X, ceilMode);
        var expected = new float[physical * outHeight * outWidth];
        reference(input, expected, new PoolGeometry(physical, height, width, outHeight, outWidth, kernel.Y, kernel.X, stride.Y, stride.X, padding.Y, padding.X));

        var actual = new float[expected.Length];
        var (inPlane, outPlane) = (height * width * Block, outHeight * outWidth * Block);
        var geometry = new PoolGeometry(Block, height, width, outHeight, outWidth, kernel.Y, kernel.X, stride.Y, stride.X, padding.Y, padding.X);
        for (var block = 0; block < physical / Block; block++)
        {
            var result = RunGuarded(outPlane, span => blocked(input.AsSpan(block * inPlane, inPlane), span, geometry));
            result.CopyTo(actual, block * outPlane);
        }

        AssertBitwiseEqual(expected, actual, $"{kernel}/{stride} pad {padding}{(ceilMode ? " ceil" : "")} on {channels}x{height}x{width}");
        AssertPaddingChannelsZero(actual, channels, outHeight, outWidth);
    }

    [Theory]
    [InlineData(1, 5, 7, 0)]
    [InlineData(3, 224, 3, 0)]
    [InlineData(3, 9, 13, 3)]
    [InlineData(3, 224, 224, 3)]
    [InlineData(16, 4, 5, 1)]
    [InlineData(17, 3, 3, 2)]
    [InlineData(40, 6, 2, 0)]
    public void PlainToBlocked_matches_the_reference_bit_for_bit_with_zero_padding_channels_and_border(int channels, int height, int width, int padding)
    {
        var input = Values(new Random(channels * 1000 + height * 10 + width), channels * height * width);
        var length = BlockedLayout.Length(channels, height + 2 * padding, width + 2 * padding);
        var expected = new float[length];
        ReferenceKernels.PlainToBlocked(input, expected, channels, height, width, padding);

        var actual = RunGuarded(length, span => BlockedKernels.PlainToBlocked(input, span, channels, height, width, padding));

        AssertBitwiseEqual(expected, actual, $"{channels}x{height}x{width} with a border of {padding} in NCHW16c");
        if (padding == 0)
        {
            var unpadded = RunGuarded(length, span => BlockedKernels.PlainToBlocked(input, span, channels, height, width));
            AssertBitwiseEqual(expected, unpadded, "the overload without padding");
        }
    }

    [Fact]
    public void PlainToBlocked_with_a_border_equals_the_layout_then_the_padding_op()
    {
        const int Channels = 3, Height = 11, Width = 7, Padding = 3;
        var input = Values(new Random(5), Channels * Height * Width);
        var blocked = new float[BlockedLayout.Length(Channels, Height, Width)];
        ReferenceKernels.PlainToBlocked(input, blocked, Channels, Height, Width);
        var padded = new float[BlockedLayout.Length(Channels, Height + 2 * Padding, Width + 2 * Padding)];
        BlockedKernels.PadBlock(blocked, padded, Height, Width, Padding);

        var fused = RunGuarded(padded.Length, span => BlockedKernels.PlainToBlocked(input, span, Channels, Height, Width, Padding));

        AssertBitwiseEqual(padded, fused, "the input layout with conv1's border");
    }

    private const int Guard = 64;
    private const float GuardValue = 1.5e30f;

    /// <summary>
    /// Runs <paramref name="kernel"/> on a span of exactly <paramref name="length"/> NaNs inside a buffer with
    /// <see cref="Guard"/> guard cells on each side, checks the guards, and returns what the kernel wrote.
    /// </summary>
    internal static float[] RunGuarded(int length, SpanAction kernel)
    {
        var buffer = new float[Guard + length + Guard];
        Array.Fill(buffer, GuardValue);
        buffer.AsSpan(Guard, length).Fill(float.NaN);
        kernel(buffer.AsSpan(Guard, length));
        for (var i = 0; i < buffer.Length; i++)
        {
            if ((i < Guard || i >= Guard + length) && buffer[i] != GuardValue)
            {
                Assert.Fail($"The kernel wrote {buffer[i]} at {(i < Guard ? $"{Guard - i} before" : $"{i - Guard - length} past")} the end of its {length}-float output.");
            }
        }

        return buffer.AsSpan(Guard, length).ToArray();
    }

    internal delegate void SpanAction(Span<float> span);

    /// <summary>
    /// One image in NCHW16c with values in [-1, 1] in the logical channels and zeros in the padding channels.
    /// A few values are ±0 and some repeat, so ties and signed zeros go through max pooling as well.
    /// </summary>
    private static float[] BlockedInput(Random random, int channels, int height, int width)
    {
        var plain = Values(random, channels * height * width);
        for (var i = 0; i < plain.Length; i++)
        {
            switch (random.Next(16))
            {
                case 0: plain[i] = 0f; break;
                case 1: plain[i] = -0f; break;
                case 2 when i > 0: plain[i] = plain[i - 1]; break;
            }
        }

        var blocked = new float[BlockedLayout.Length(channels, height, width)];
        ReferenceKernels.PlainToBlocked(plain, blocked, channels, height, width);
        return blocked;
    }

    private static float[] Values(Random random, int length)
    {
        var values = new float[length];
        for (var i = 0; i < length; i++)
        {
            values[i] = 2f * random.NextSingle() - 1f;
        }

        return values;
    }

    private static int ChannelOf(int index, int height, int width) => index / (height * width * Block) * Block + index % Block;

    private static void AssertPaddingChannelsZero(float[] blocked, int channels, int height, int width)
    {
        for (var i = 0; i < blocked.Length; i++)
        {
            if (ChannelOf(i, height, width) >= channels && BitConverter.SingleToInt32Bits(blocked[i]) != 0)
            {
                Assert.Fail($"Padding channel {ChannelOf(i, height, width)} (of {channels} logical) holds {blocked[i]}, not +0.");
            }
        }
    }

    private static void AssertBitwiseEqual(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        var expectedBits = MemoryMarshal.Cast<float, int>(expected);
        var actualBits = MemoryMarshal.Cast<float, int>(actual);
        for (var i = 0; i < expectedBits.Length; i++)
        {
            if (expectedBits[i] != actualBits[i])
            {
                Assert.Fail($"{what} on {Isa.Current}: element {i} is {actual[i]:G9} (0x{actualBits[i]:X8}), expected {expected[i]:G9} (0x{expectedBits[i]:X8}).");
            }
        }
    }

    /// <summary>Units in the last place between two floats (0 for equal values, including +0 and -0); NaN against anything is "infinitely" far.</summary>
    private static long UlpDistance(float expected, float actual)
    {
        if (float.IsNaN(expected) || float.IsNaN(actual))
        {
            return long.MaxValue;
        }

        static long Ordered(float value)
        {
            long bits = BitConverter.SingleToInt32Bits(value);
            return bits < 0 ? int.MinValue - bits : bits;
        }

        return Math.Abs(Ordered(expected) - Ordered(actual));
    }
}
