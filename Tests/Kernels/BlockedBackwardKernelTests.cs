using System.Runtime.InteropServices;
using InceptionGen.Kernels;
using InceptionGen.Tests.Reference;
using Xunit;

namespace InceptionGen.Tests.Kernels;

/// <summary>
/// Every kernel of <see cref="BlockedBackwardKernels"/> against its scalar oracle in <see cref="ReferenceBackward"/>
/// (itself checked against finite differences in <c>ReferenceBackwardTests</c>). The tests call the public drivers, so
/// they check whichever path this process runs on (Vector512, Vector256, Vector128, or Vector128 in software when
/// DOTNET_EnableHWIntrinsic=0); run the class once per path. Shapes are seeded random: odd map sizes, kernels
/// 1/2/3/5, strides 1-3, paddings up to half the kernel, ceil mode, channel counts that leave padding channels,
/// LRN sizes 3/5 with β 0.75 (square-root path) and 0.5 (exp/log path), linear sizes 1-70.
/// <para>
/// Every gradient buffer starts full of random values, so a kernel that stores instead of adding (or forgets a
/// cell) fails, and sits between guard cells that must not change. Read-only inputs sit between NaN guards, so a
/// read past either end poisons the result. Output gradients are zero in the padding channels, as the training
/// pass keeps them.
/// </para>
/// </summary>
public sealed class BlockedBackwardKernelTests(ITestOutputHelper output)
{
    private const int Block = BlockedLayout.BlockSize;
    private static readonly int[] MapSizes = [1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 13, 14, 28];
    private static readonly int[] PoolKernels = [1, 2, 3, 5];

    /// <summary>Logical channel counts; all but 16 and 48 leave padding channels in the last block.</summary>
    private static readonly int[] ChannelCounts = [16, 17, 24, 33, 48];

    private const int DataSeed = 2468;

    /// <summary>Single-precision unit roundoff, 2⁻²⁴.</summary>
    private const double Unit = 1.0 / (1 << 24);

    // ---- Test cases ----

    /// <summary>
    /// Pool shapes as <c>BlockedKernelTests</c> draws them: padding at most half the kernel, the window fits in the padded
    /// input, and the last window (ceil mode included) overlaps the input. The last column says whether the input is drawn
    /// from five values (ties in most windows) or from [-1, 1] with a few repeats.
    /// </summary>
    public static TheoryData<int, int, int, int, int, int, bool, bool> PoolCases()
    {
        var random = new Random(21);
        var cases = new TheoryData<int, int, int, int, int, int, bool, bool>();
        for (var i = 0; i < 30; i++)
        {
            var height = MapSizes[i % MapSizes.Length];
            var width = MapSizes[random.Next(MapSizes.Length)];
            var ceilMode = i % 2 == 0;
            var (kernel, stride, padding) = PoolWindow(random, height, width, ceilMode);
            cases.Add(ChannelCounts[i % ChannelCounts.Length], height, width, kernel, stride, padding, ceilMode, i % 3 != 2);
        }

        // GoogLeNet's pools: 3x3/2 ceil (the last window hangs past the input), the Inception branch's 3x3/1 pad 1,
        // the auxiliary head's 5x5/3; a ceil window that would start in the padding (dropped); a 2x2/2 ceil pool of an odd map.
        cases.Add(24, 14, 13, 3, 2, 0, true, true);
        cases.Add(33, 7, 9, 3, 1, 1, false, true);
        cases.Add(16, 14, 14, 5, 3, 0, true, false);
        cases.Add(17, 5, 8, 3, 3, 1, true, true);
        cases.Add(24, 9, 7, 2, 2, 0, true, true);
        return cases;
    }

    private static (int Kernel, int Stride, int Padding) PoolWindow(Random random, int height, int width, bool ceilMode)
    {
        while (true)
        {
            var kernel = PoolKernels[random.Next(PoolKernels.Length)];
            var stride = random.Next(1, 4);
            var padding = random.Next(0, Math.Min(2, kernel / 2) + 1);
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

    public static TheoryData<int, int, int> GlobalPoolCases()
    {
        var cases = new TheoryData<int, int, int>();
        var random = new Random(22);
        for (var i = 0; i < MapSizes.Length; i++)
        {
            cases.Add(ChannelCounts[i % ChannelCounts.Length], MapSizes[i], MapSizes[random.Next(MapSizes.Length)]);
        }

        return cases;
    }

    public static TheoryData<int, int, int, int> PadCases()
    {
        var cases = new TheoryData<int, int, int, int>();
        var random = new Random(23);
        for (var i = 0; i < 16; i++)
        {
            // Paddings 0-3 (GoogLeNet's 7x7 stem pads by 3).
            cases.Add(ChannelCounts[i % ChannelCounts.Length], MapSizes[i % MapSizes.Length], MapSizes[random.Next(MapSizes.Length)], i % 4);
        }

        return cases;
    }

    /// <summary>
    /// Logical channels 16-80; 17, 24, 40 and 63 leave padding channels, which the kernel takes as channels (it gets the
    /// physical count). Sizes 3 and 5 (and 1, 7 once), β 0.75 and 0.5 (and 1), α up to 2 so that the second term matters.
    /// </summary>
    public static TheoryData<int, int, int, int, float, float, float> LrnCases()
    {
        int[] channels = [16, 17, 24, 32, 40, 48, 63, 64, 80];
        float[] betas = [0.75f, 0.5f];
        var random = new Random(24);
        var cases = new TheoryData<int, int, int, int, float, float, float>();
        for (var i = 0; i < 2 * channels.Length; i++)
        {
            var size = i % 4 < 2 ? 5 : 3;
            var alpha = new[] { 1e-4f, 0.5f, 2f }[random.Next(3)];
            var k = new[] { 1f, 2f }[random.Next(2)];
            var height = MapSizes[random.Next(MapSizes.Length - 2)];
            var width = MapSizes[random.Next(MapSizes.Length - 2)];
            cases.Add(channels[i % channels.Length], height, width, size, alpha, betas[i / 2 % 2], k);
        }

        cases.Add(17, 3, 5, 1, 2f, 0.75f, 1f);
        cases.Add(33, 4, 3, 7, 1f, 1f, 2f);
        // GoogLeNet's norm1 and norm2 (size 5, α 1e-4, β 0.75), on smaller maps.
        cases.Add(64, 14, 14, 5, 1e-4f, 0.75f, 1f);
        cases.Add(80, 7, 7, 5, 1e-4f, 0.75f, 1f);
        // Rows longer than one chunk of the kernel's scratch (48 KiB of lines), so chunks and a short last chunk run:
        // norm2's 192 channels at its full width, and many channels on a short row, with both kinds of power.
        cases.Add(192, 2, 56, 5, 1e-4f, 0.75f, 1f);
        cases.Add(520, 1, 57, 5, 0.5f, 0.5f, 2f);
        return cases;
    }

    /// <summary>In features, out features (1-70, odd ones, around a vector width), bias, and the rows [begin, end) of one weight call.</summary>
    public static TheoryData<int, int, bool, int, int> LinearCases()
    {
        int[] inFeatures = [1, 2, 3, 7, 15, 16, 17, 31, 33, 64, 65, 70];
        int[] outFeatures = [1, 5, 13, 64, 69, 70, 3];
        var cases = new TheoryData<int, int, bool, int, int>();
        var random = new Random(25);
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

            cases.Add(inFeatures[i % inFeatures.Length], outs, i % 2 == 0, begin, end);
        }

        // GoogLeNet's classifier, 64 rows per item.
        cases.Add(1024, 1000, true, 128, 192);
        return cases;
    }

    // ---- Pools, padding, global average: exact ----

    /// <summary>
    /// Tolerance: none, bit for bit. Each lane picks the same winner (the first cell equal to the output, by the same
    /// IEEE comparison, so -0 ties +0), and each cell's gradient gets the same additions in the same order (outputs
    /// row-major); lanes that do not win keep their value bit for bit. With five input values most windows hold ties,
    /// and the test checks that some windows of logical channels do tie (kernels over 1), so a last-match rule would fail.
    /// </summary>
    [Theory, MemberData(nameof(PoolCases))]
    public void MaxPoolBlock_matches_MaxPool2d_bit_for_bit(int channels, int height, int width, int kernel, int stride, int padding, bool ceilMode, bool ties)
    {
        var random = new Random(DataSeed);
        var (g, blockGeometry) = Geometries(channels, height, width, kernel, stride, padding, ceilMode);
        var input = ties ? TiedInput(random, channels, height, width) : BlockedInput(random, channels, height, width);
        var forward = new float[g.Channels * g.OutHeight * g.OutWidth];
        ReferenceKernels.MaxPool2d(input, forward, g);
        var outputGradient = BlockedInput(random, channels, g.OutHeight, g.OutWidth);
        var prior = Prior(random, input.Length);

        var expected = (float[])prior.Clone();
        ReferenceBackward.MaxPool2d(input, forward, outputGradient, expected, g);

        var (x, y, dy) = (Fenced(input), Fenced(forward), Fenced(outputGradient));
        var (inPlane, outPlane) = (height * width * Block, g.OutHeight * g.OutWidth * Block);
        var actual = RunAccumulating(prior, dx =>
        {
            for (var b = 0; b < g.Channels / Block; b++)
            {
                BlockedBackwardKernels.MaxPoolBlock(x.Slice(b * inPlane, inPlane), y.Slice(b * outPlane, outPlane), dy.Slice(b * outPlane, outPlane),
                    dx.Slice(b * inPlane, inPlane), blockGeometry);
            }
        });

        AssertBitwiseEqual(expected, actual, $"max pool {Describe(g, ceilMode)}");
        if (ties && kernel > 1)
        {
            Assert.True(TiedWindows(input, forward, channels, g) > 0, "No window ties at its max: the first-match rule is not tested.");
        }
    }

    /// <summary>
    /// Tolerance: none, bit for bit. Both divide each output gradient by the same float divisor and add the share to each
    /// cell in the same order (outputs row-major), starting from the same prior value.
    /// </summary>
    [Theory, MemberData(nameof(PoolCases))]
    public void AvgPoolBlock_matches_AvgPool2d_bit_for_bit(int channels, int height, int width, int kernel, int stride, int padding, bool ceilMode, bool ties)
        => AssertAvgPoolBackward(channels, height, width, (kernel, kernel), (stride, stride), (padding, padding), ceilMode);

    /// <summary>Rectangular windows, strides and paddings: the max-pool and average-pool gradients bit for bit, as the square ones (ties included).</summary>
    [Theory]
    [InlineData(17, 9, 11, 1, 3, 1, 1, 0, 1, false)]
    [InlineData(16, 11, 9, 3, 1, 1, 1, 1, 0, false)]
    [InlineData(5, 11, 10, 3, 5, 2, 1, 1, 2, true)]
    [InlineData(33, 8, 13, 2, 3, 1, 2, 0, 1, true)]
    public void Rectangular_pool_gradients_match_the_reference_bit_for_bit(int channels, int height, int width, int kernelY, int kernelX, int strideY, int strideX, int paddingY, int paddingX, bool ceilMode)
    {
        var (g, blockGeometry) = Geometries(channels, height, width, (kernelY, kernelX), (strideY, strideX), (paddingY, paddingX), ceilMode);
        var random = new Random(DataSeed);
        var input = TiedInput(random, channels, height, width);
        var forward = new float[g.Channels * g.OutHeight * g.OutWidth];
        ReferenceKernels.MaxPool2d(input, forward, g);
        var outputGradient = BlockedInput(random, channels, g.OutHeight, g.OutWidth);
        var prior = Prior(random, input.Length);
        var expected = (float[])prior.Clone();
        ReferenceBackward.MaxPool2d(input, forward, outputGradient, expected, g);
        var (x, y, dy) = (Fenced(input), Fenced(forward), Fenced(outputGradient));
        var (inPlane, outPlane) = (height * width * Block, g.OutHeight * g.OutWidth * Block);
        var actual = RunAccumulating(prior, dx =>
        {
            for (var b = 0; b < g.Channels / Block; b++)
            {
                BlockedBackwardKernels.MaxPoolBlock(x.Slice(b * inPlane, inPlane), y.Slice(b * outPlane, outPlane), dy.Slice(b * outPlane, outPlane),
                    dx.Slice(b * inPlane, inPlane), blockGeometry);
            }
        });

        AssertBitwiseEqual(expected, actual, $"max pool {Describe(g, ceilMode)}");
        AssertAvgPoolBackward(channels, height, width, (kernelY, kernelX), (strideY, strideX), (paddingY, paddingX), ceilMode);
    }

    private static void AssertAvgPoolBackward(int channels, int height, int width, (int Y, int X) kernel, (int Y, int X) stride, (int Y, int X) padding, bool ceilMode)
    {
        var random = new Random(DataSeed);
        var (g, blockGeometry) = Geometries(channels, height, width, kernel, stride, padding, ceilMode);
        var outputGradient = BlockedInput(random, channels, g.OutHeight, g.OutWidth);
        var prior = Prior(random, g.Channels * height * width);

        var expected = (float[])prior.Clone();
        ReferenceBackward.AvgPool2d(outputGradient, expected, g);

        var dy = Fenced(outputGradient);
        var (inPlane, outPlane) = (height * width * Block, g.OutHeight * g.OutWidth * Block);
        var actual = RunAccumulating(prior, dx =>
        {
            for (var b = 0; b < g.Channels / Block; b++)
            {
                BlockedBackwardKernels.AvgPoolBlock(dy.Slice(b * outPlane, outPlane), dx.Slice(b * inPlane, inPlane), blockGeometry);
            }
        });

        AssertBitwiseEqual(expected, actual, $"average pool {Describe(g, ceilMode)}");
    }

    /// <summary>Tolerance: none, bit for bit: the same float 1 / (height × width), the same product, one addition per cell.</summary>
    [Theory, MemberData(nameof(GlobalPoolCases))]
    public void GlobalAveragePoolBlock_matches_GlobalAveragePool_bit_for_bit(int channels, int height, int width)
    {
        var random = new Random(DataSeed);
        var physical = BlockedLayout.PaddedChannels(channels);
        var outputGradient = BlockedInput(random, channels, 1, 1);
        var prior = Prior(random, physical * height * width);

        var expected = (float[])prior.Clone();
        ReferenceBackward.GlobalAveragePool(outputGradient, expected, physical, height, width);

        var dy = Fenced(outputGradient);
        var plane = height * width * Block;
        var actual = RunAccumulating(prior, dx =>
        {
            for (var b = 0; b < physical / Block; b++)
            {
                BlockedBackwardKernels.GlobalAveragePoolBlock(dy.Slice(b * Block, Block), dx.Slice(b * plane, plane), height, width);
            }
        });

        AssertBitwiseEqual(expected, actual, $"global average pool {channels}x{height}x{width}");
    }

    /// <summary>Tolerance: none, bit for bit: one addition per interior cell. The border holds gradients too, which must go nowhere.</summary>
    [Theory, MemberData(nameof(PadCases))]
    public void PadBlock_matches_Pad_bit_for_bit(int channels, int height, int width, int padding)
    {
        var random = new Random(DataSeed);
        var physical = BlockedLayout.PaddedChannels(channels);
        var (paddedHeight, paddedWidth) = (height + 2 * padding, width + 2 * padding);
        var paddedGradient = Values(random, physical * paddedHeight * paddedWidth);
        var prior = Prior(random, physical * height * width);

        var expected = (float[])prior.Clone();
        ReferenceBackward.Pad(paddedGradient, expected, physical, height, width, padding);

        var dp = Fenced(paddedGradient);
        var (plane, paddedPlane) = (height * width * Block, paddedHeight * paddedWidth * Block);
        var actual = RunAccumulating(prior, dx =>
        {
            for (var b = 0; b < physical / Block; b++)
            {
                BlockedBackwardKernels.PadBlock(dp.Slice(b * paddedPlane, paddedPlane), dx.Slice(b * plane, plane), height, width, padding);
            }
        });

        AssertBitwiseEqual(expected, actual, $"pad {padding} of {channels}x{height}x{width}");
    }

    // ---- LRN: a few ulps of the terms ----

    /// <summary>
    /// Both compute s, the ratios dy·y/s, their window sums and c·x·Σ with the same float operations in the same order
    /// (clipped windows add zeros, which changes no sum), so they differ only in <c>s^-β</c>: MathF.Pow in the reference,
    /// 1 / (√s · √√s) or exp(-β · log s) in the kernel, each within ~4 ulps. That error, carried through the product with dy
    /// and the two roundings after it (the subtraction and the add to the prior), stays below 7 ulps of
    /// M = |prior| + |dy·s^-β| + |c·x·Σ|: not of the result, which can cancel to far less than its terms.
    /// Tolerance: 8·2⁻²³·M (the log prints the worst seen); a wrong window, α, β, k or a missing term is off by
    /// thousands of those. Padding channels must keep their prior value (their x and dy are zero; a prior -0 may become +0).
    /// </summary>
    [Theory, MemberData(nameof(LrnCases))]
    public void LocalResponseNormRow_on_every_row_matches_LocalResponseNorm(int channels, int height, int width, int size, float alpha, float beta, float k)
    {
        var random = new Random(DataSeed);
        var physical = BlockedLayout.PaddedChannels(channels);
        var input = BlockedInput(random, channels, height, width);
        var forward = new float[input.Length];
        ReferenceKernels.LocalResponseNorm(input, default, forward, channels, height, width, size, alpha, beta, k);
        var outputGradient = BlockedInput(random, channels, height, width);
        var prior = Prior(random, input.Length);

        var expected = (float[])prior.Clone();
        ReferenceBackward.LocalResponseNorm(input, forward, outputGradient, default, expected, channels, height, width, size, alpha, beta, k);

        var (x, y, dy) = (Fenced(input), Fenced(forward), Fenced(outputGradient));
        var actual = RunAccumulating(prior, dx =>
        {
            for (var row = 0; row < height; row++)
            {
                BlockedBackwardKernels.LocalResponseNormRow(x, y, dy, dx, physical, height, width, row, size, alpha, beta, k);
            }
        });

        var magnitudes = LrnMagnitudes(input, forward, outputGradient, prior, channels, height, width, size, alpha, beta, k);
        var worst = 0.0;
        for (var i = 0; i < expected.Length; i++)
        {
            if (ChannelOf(i, height, width) >= channels)
            {
                // The kernel adds dy·s^-β − c·x·Σ = +0 there (x and dy are zero), which keeps every value but turns a prior -0 into +0.
                if (!(actual[i] == expected[i]))
                {
                    Assert.Fail($"LRN {channels} ({physical} physical): padding channel {ChannelOf(i, height, width)}, element {i}, is {actual[i]:G9}, was {expected[i]:G9}.");
                }

                continue;
            }

            // Equal values are 0 ulps apart even when every term is 0 (a zero prior, x and dy).
            var difference = Math.Abs((double)actual[i] - expected[i]);
            var ulps = difference == 0 ? 0 : difference / (2 * Unit * magnitudes[i]);
            worst = Math.Max(worst, ulps);
            if (!(ulps <= 8))
            {
                Assert.Fail($"LRN {channels} ({physical} physical) x{height}x{width}, size {size}, α {alpha}, β {beta}, k {k} on {Isa.Current}: element {i} " +
                            $"(channel {ChannelOf(i, height, width)}) is {actual[i]:G9}, expected {expected[i]:G9}: {ulps:G3} ulps of the terms' magnitude {magnitudes[i]:G3}, 8 allowed.");
            }
        }

        output.WriteLine($"{Isa.Current}: at most {worst:F2} ulp(s) of the terms from the reference ({(beta == 0.75f ? "sqrt" : "exp/log")} path).");
    }

    /// <summary>Per element, |prior| + |dy·s^-β| + |c·x·Σ dy·y/s| in double: the scale the LRN gradient's rounding errors are measured against.</summary>
    private static double[] LrnMagnitudes(float[] input, float[] forward, float[] outputGradient, float[] prior,
        int channels, int height, int width, int size, float alpha, float beta, float k)
    {
        var magnitudes = new double[input.Length];
        var half = (size - 1) / 2;
        var scale = (double)alpha / size;
        var (s, ratio) = (new double[channels], new double[channels]);
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                int At(int c) => BlockedLayout.Index(c, y, x, height, width);
                for (var c = 0; c < channels; c++)
                {
                    var sum = 0.0;
                    for (var n = Math.Max(0, c - half); n <= Math.Min(channels - 1, c + half); n++)
                    {
                        sum += (double)input[At(n)] * input[At(n)];
                    }

                    s[c] = k + scale * sum;
                    ratio[c] = (double)outputGradient[At(c)] * forward[At(c)] / s[c];
                }

                for (var c = 0; c < channels; c++)
                {
                    var sum = 0.0;
                    for (var n = Math.Max(0, c - half); n <= Math.Min(channels - 1, c + half); n++)
                    {
                        sum += ratio[n];
                    }

                    magnitudes[At(c)] = Math.Abs(prior[At(c)]) + Math.Abs(outputGradient[At(c)] * Math.Pow(s[c], -beta))
                                        + Math.Abs(2 * scale * beta * input[At(c)] * sum);
                }
            }
        }

        return magnitudes;
    }

    // ---- Linear: summation order ----

    /// <summary>
    /// The reference sums Σ_o w·dy in one accumulator and then adds it to the prior; the kernel adds each product to the
    /// prior in turn (a TensorPrimitives multiply-add per output row). Both are sums of the same outFeatures + 1 terms
    /// with outFeatures roundings each (plus the products', fused or not), so each is within (n + 1)·u·M of the exact
    /// value, M = |prior| + Σ|w·dy|, u = 2⁻²⁴. Tolerance: 2(n + 1)·u·M, far below one product of the sum, so a wrong or
    /// missing row fails. A quarter of dy is 0 (rows the kernel skips). The input gradient is a blocked C×1×1 vector, as the
    /// flattened map feeding a classifier is: its padding channels past inFeatures must keep their priors bit for bit.
    /// </summary>
    [Theory, MemberData(nameof(LinearCases))]
    public void LinearData_matches_Linear_input_gradient(int inFeatures, int outFeatures, bool hasBias, int begin, int end)
    {
        var random = new Random(DataSeed);
        var weights = Values(random, outFeatures * inFeatures);
        var outputGradient = Values(random, outFeatures);
        for (var o = 0; o < outFeatures; o++)
        {
            if (random.Next(4) == 0)
            {
                outputGradient[o] = 0f;
            }
        }

        var prior = Prior(random, BlockedLayout.PaddedChannels(inFeatures));
        var expected = (float[])prior.Clone();
        ReferenceBackward.Linear(new float[inFeatures], default, outputGradient, weights, expected, [], [], inFeatures, outFeatures);

        var (w, dy) = (Fenced(weights), Fenced(outputGradient));
        var actual = RunAccumulating(prior, dx => BlockedBackwardKernels.LinearData(dy, w, dx, inFeatures, outFeatures));

        for (var i = 0; i < inFeatures; i++)
        {
            var magnitude = Math.Abs(prior[i]) + Enumerable.Range(0, outFeatures).Sum(o => Math.Abs((double)weights[o * inFeatures + i] * outputGradient[o]));
            var tolerance = 2.0 * (outFeatures + 1) * Unit * magnitude;
            if (!(Math.Abs((double)actual[i] - expected[i]) <= tolerance))
            {
                Assert.Fail($"Linear {inFeatures} -> {outFeatures} input gradient {i} on {Isa.Current}: {actual[i]:G9}, expected {expected[i]:G9}, tolerance {tolerance:G3}.");
            }
        }

        AssertBitwiseEqual(expected[inFeatures..], actual[inFeatures..], $"Linear {inFeatures} -> {outFeatures}: the input gradient's padding channels");
    }

    /// <summary>
    /// Tolerance: none on the rows [begin, end), bit for bit: each weight gradient is prior + dy·x, one product and one
    /// addition in both (TensorPrimitives.MultiplyAdd does not fuse), and each bias gradient prior + dy. Rows outside
    /// [begin, end) and their biases must keep their prior values bit for bit. The input is a blocked C×1×1 vector whose
    /// padding channels hold NaN: the kernel reads only inFeatures floats of it.
    /// </summary>
    [Theory, MemberData(nameof(LinearCases))]
    public void LinearWeights_matches_Linear_on_its_rows_and_leaves_the_others(int inFeatures, int outFeatures, bool hasBias, int begin, int end)
    {
        var random = new Random(DataSeed);
        // A blocked C×1×1 vector, read only up to inFeatures: the padding channels are NaN here.
        var input = Values(random, BlockedLayout.PaddedChannels(inFeatures));
        input.AsSpan(inFeatures).Fill(float.NaN);
        var outputGradient = Values(random, outFeatures);
        var (priorWeights, priorBias) = (Prior(random, outFeatures * inFeatures), hasBias ? Prior(random, outFeatures) : []);

        var (expectedWeights, expectedBias) = ((float[])priorWeights.Clone(), (float[])priorBias.Clone());
        ReferenceBackward.Linear(input, default, outputGradient, new float[outFeatures * inFeatures], [], expectedWeights, expectedBias, inFeatures, outFeatures);
        // Rows outside [begin, end) are another call's: they keep their prior values.
        for (var o = 0; o < outFeatures; o++)
        {
            if (o < begin || o >= end)
            {
                Array.Copy(priorWeights, o * inFeatures, expectedWeights, o * inFeatures, inFeatures);
                if (hasBias)
                {
                    expectedBias[o] = priorBias[o];
                }
            }
        }

        var (x, dy) = (Fenced(input), Fenced(outputGradient));
        var actualBias = (float[])priorBias.Clone();
        var actualWeights = RunAccumulating(priorWeights, dw => BlockedBackwardKernels.LinearWeights(x, dy, dw, actualBias, inFeatures, begin, end));

        AssertBitwiseEqual(expectedWeights, actualWeights, $"Linear {inFeatures} -> {outFeatures} weight gradient, rows [{begin}, {end})");
        AssertBitwiseEqual(expectedBias, actualBias, $"Linear {inFeatures} -> {outFeatures} bias gradient, rows [{begin}, {end})");
    }

    // ---- Helpers ----

    /// <summary>The reference's geometry over every physical channel, and the kernel's over one block plane.</summary>
    private static (PoolGeometry Image, PoolGeometry Block) Geometries(int channels, int height, int width, (int Y, int X) kernel, (int Y, int X) stride, (int Y, int X) padding, bool ceilMode)
    {
        var outHeight = NchwReference.OutputSize(height, kernel.Y, stride.Y, padding.Y, ceilMode);
        var outWidth = NchwReference.OutputSize(width, kernel.X, stride.X, padding.X, ceilMode);
        var image = new PoolGeometry(BlockedLayout.PaddedChannels(channels), height, width, outHeight, outWidth, kernel.Y, kernel.X, stride.Y, stride.X, padding.Y, padding.X);
        return (image, image with { Channels = Block });
    }

    private static (PoolGeometry Image, PoolGeometry Block) Geometries(int channels, int height, int width, int kernel, int stride, int padding, bool ceilMode)
    {
        var outHeight = NchwReference.OutputSize(height, kernel, stride, padding, ceilMode);
        var outWidth = NchwReference.OutputSize(width, kernel, stride, padding, ceilMode);
        var image = new PoolGeometry(BlockedLayout.PaddedChannels(channels), height, width, outHeight, outWidth, kernel, stride, padding);
        return (image, image with { Channels = Block });
    }

    private static string Describe(in PoolGeometry g, bool ceilMode)
        => $"{g.KernelHeight}x{g.KernelWidth}/{g.StrideHeight}x{g.StrideWidth} pad {g.PaddingHeight}x{g.PaddingWidth}{(ceilMode ? " ceil" : "")} on {g.Channels}x{g.InHeight}x{g.InWidth}";

    /// <summary>Windows of logical channels with more than one cell equal to the max, where the first-match rule decides the winner.</summary>
    private static int TiedWindows(float[] input, float[] forward, int channels, in PoolGeometry g)
    {
        var count = 0;
        for (var c = 0; c < channels; c++)
        {
            for (var oy = 0; oy < g.OutHeight; oy++)
            {
                for (var ox = 0; ox < g.OutWidth; ox++)
                {
                    var max = forward[BlockedLayout.Index(c, oy, ox, g.OutHeight, g.OutWidth)];
                    var (y0, y1) = ReferenceKernels.Window(oy, g.StrideHeight, g.PaddingHeight, g.KernelHeight, g.InHeight);
                    var (x0, x1) = ReferenceKernels.Window(ox, g.StrideWidth, g.PaddingWidth, g.KernelWidth, g.InWidth);
                    var matches = 0;
                    for (var y = y0; y < y1; y++)
                    {
                        for (var x = x0; x < x1; x++)
                        {
                            matches += input[BlockedLayout.Index(c, y, x, g.InHeight, g.InWidth)] == max ? 1 : 0;
                        }
                    }

                    count += matches > 1 ? 1 : 0;
                }
            }
        }

        return count;
    }

    private const int Guard = 64;
    /// <summary>
    /// What the guard cells hold: small, so that adding anything the kernels compute changes it (a huge guard would
    /// absorb a stray += and hide it), and compared bit for bit.
    /// </summary>
    private const float GuardValue = 0.1f;

    /// <summary>
    /// Runs <paramref name="kernel"/> on a copy of <paramref name="prior"/> inside a buffer with <see cref="Guard"/> guard
    /// cells on each side, checks the guards, and returns the accumulated gradient.
    /// </summary>
    private static float[] RunAccumulating(float[] prior, SpanAction kernel)
    {
        var buffer = new float[Guard + prior.Length + Guard];
        Array.Fill(buffer, GuardValue);
        prior.CopyTo(buffer, Guard);
        kernel(buffer.AsSpan(Guard, prior.Length));
        for (var i = 0; i < buffer.Length; i++)
        {
            if ((i < Guard || i >= Guard + prior.Length) && BitConverter.SingleToInt32Bits(buffer[i]) != BitConverter.SingleToInt32Bits(GuardValue))
            {
                Assert.Fail($"The kernel wrote {buffer[i]} at {(i < Guard ? $"{Guard - i} before" : $"{i - Guard - prior.Length} past")} the end of its {prior.Length}-float gradient.");
            }
        }

        return buffer.AsSpan(Guard, prior.Length).ToArray();
    }

    private delegate void SpanAction(Span<float> span);

    /// <summary>A read-only input between NaN guards: a kernel that reads past either end gets NaN into its result.</summary>
    private readonly struct FencedInput(float[] buffer, int length)
    {
        private readonly float[] _buffer = buffer;
        private readonly int _length = length;

        public ReadOnlySpan<float> Slice(int start, int count) => _buffer.AsSpan(Guard + start, count);

        public static implicit operator ReadOnlySpan<float>(FencedInput fenced) => fenced.Slice(0, fenced._length);
    }

    private static FencedInput Fenced(float[] data)
    {
        var buffer = new float[Guard + data.Length + Guard];
        Array.Fill(buffer, float.NaN);
        data.CopyTo(buffer, Guard);
        return new FencedInput(buffer, data.Length);
    }

    /// <summary>
    /// One image in NCHW16c with values in [-1, 1] in the logical channels and zeros in the padding channels.
    /// A few values are ±0 and some repeat their neighbour.
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

        return ToBlocked(plain, channels, height, width);
    }

    /// <summary>One image whose logical channels hold only -1, -0, +0, 0.5 and 1: most windows tie at their max, ±0 ties included.</summary>
    private static float[] TiedInput(Random random, int channels, int height, int width)
    {
        float[] levels = [-1f, -0f, 0f, 0.5f, 1f];
        var plain = new float[channels * height * width];
        for (var i = 0; i < plain.Length; i++)
        {
            plain[i] = levels[random.Next(levels.Length)];
        }

        return ToBlocked(plain, channels, height, width);
    }

    private static float[] ToBlocked(float[] plain, int channels, int height, int width)
    {
        var blocked = new float[BlockedLayout.Length(channels, height, width)];
        ReferenceKernels.PlainToBlocked(plain, blocked, channels, height, width);
        return blocked;
    }

    /// <summary>
    /// What a gradient buffer holds before the call, as from another branch: values in [-1, 1], one in eight ±0, so a kernel
    /// that adds a masked zero where it should leave a cell alone turns -0 into +0 and fails.
    /// </summary>
    private static float[] Prior(Random random, int length)
    {
        var values = Values(random, length);
        for (var i = 0; i < length; i++)
        {
            switch (random.Next(16))
            {
                case 0: values[i] = 0f; break;
                case 1: values[i] = -0f; break;
            }
        }

        return values;
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
}
