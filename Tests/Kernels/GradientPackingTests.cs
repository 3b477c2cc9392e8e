using InceptionGen.Kernels;
using Xunit;

namespace InceptionGen.Tests.Kernels;

/// <summary>
/// The two packings of the vectorized convolution backward: <see cref="WeightPacking.PackTransposedConvolution"/>
/// (flipped, transposed weights for the input gradient) element by element against its definition and, run as a
/// transposed convolution, against <see cref="ReferenceBackward.Conv2d"/>; and the gathering of packed weight and bias
/// gradients into OIHW (<see cref="WeightPacking.AddUnpackedGradient"/>) against the packed order's definition.
/// </summary>
public sealed class GradientPackingTests
{
    private const float Sentinel = -12345f;

    /// <summary>(out channels, widths of the input's concat branches (one branch: no map), kernel).</summary>
    public static TheoryData<int, int[], int> Cases() => new()
    {
        { 1, [1], 1 },
        { 8, [3], 3 },
        { 16, [16], 1 },
        { 24, [17], 3 },
        { 33, [3], 5 },
        { 5, [15], 7 },
        { 16, [3, 17], 1 },
        { 24, [24, 40], 3 },
        { 7, [3, 7, 5, 6], 5 },
    };

    [Theory, MemberData(nameof(Cases))]
    public void Transposed_packing_puts_each_flipped_weight_at_its_input_lane_and_zeros_elsewhere(int outChannels, int[] branches, int kernel)
    {
        var (map, inChannels, physicalChannels) = ChannelMap(branches);
        var taps = kernel * kernel;
        var weights = Values(new Random(outChannels * 100 + kernel), outChannels * inChannels * taps);
        var length = WeightPacking.PackedLength(physicalChannels, outChannels, kernel);
        Assert.Equal(physicalChannels * outChannels * taps, length);
        var packed = Filled(length + 64, float.NaN);
        packed.AsSpan(length).Fill(Sentinel);

        WeightPacking.PackTransposedConvolution(weights, packed, outChannels, inChannels, kernel, map, physicalChannels);

        var expected = new float[length + 64];
        expected.AsSpan(length).Fill(Sentinel);
        for (var o = 0; o < outChannels; o++)
        {
            for (var i = 0; i < inChannels; i++)
            {
                var physical = BlockedLayout.Physical(map, i);
                for (var ky = 0; ky < kernel; ky++)
                {
                    for (var kx = 0; kx < kernel; kx++)
                    {
                        var offset = (((physical / 16 * outChannels + o) * kernel + ky) * kernel + kx) * 16 + physical % 16;
                        Assert.Equal(0f, expected[offset]);
                        expected[offset] = weights[((o * inChannels + i) * kernel + (kernel - 1 - ky)) * kernel + (kernel - 1 - kx)];
                    }
                }
            }
        }

        AssertBitwise(expected, packed, $"transposed packing of {outChannels} out, branches [{string.Join(", ", branches)}], kernel {kernel}");
    }

    /// <summary>
    /// The packed transposed weights run as a stride-1 convolution over the output gradient padded by k − 1 (what the
    /// emitted tiles do) give <see cref="ReferenceBackward.Conv2d"/>'s input gradient, gap channels and padding lanes included (zero).
    /// </summary>
    [Theory, MemberData(nameof(Cases))]
    public void Transposed_convolution_with_the_packed_weights_gives_the_reference_input_gradient(int outChannels, int[] branches, int kernel)
    {
        var (map, inChannels, physicalChannels) = ChannelMap(branches);
        var taps = kernel * kernel;
        var random = new Random(outChannels * 7 + kernel);
        const int height = 9, width = 7;
        var (outHeight, outWidth) = (height - kernel + 1, width - kernel + 1);
        var weights = Signed(random, outChannels * inChannels * taps);
        var outputGradient = Signed(random, BlockedLayout.Length(outChannels, outHeight, outWidth));
        ZeroPaddingLanes(outputGradient, outChannels, outHeight * outWidth);
        var input = Signed(random, physicalChannels * height * width);

        var expected = new float[physicalChannels * height * width];
        var geometry = new ConvGeometry(inChannels, height, width, outChannels, outHeight, outWidth, kernel, 1, 0, false);
        ReferenceBackward.Conv2d(input, map, outputGradient, weights, expected, [], [], geometry);

        var packed = new float[WeightPacking.PackedLength(physicalChannels, outChannels, kernel)];
        WeightPacking.PackTransposedConvolution(weights, packed, outChannels, inChannels, kernel, map, physicalChannels);
        var actual = new float[expected.Length];
        for (var p = 0; p < physicalChannels; p++)
        {
            for (var y = 0; y < height; y++)
            {
                for (var x = 0; x < width; x++)
                {
                    var sum = 0.0;
                    for (var o = 0; o < outChannels; o++)
                    {
                        for (var ky = 0; ky < kernel; ky++)
                        {
                            for (var kx = 0; kx < kernel; kx++)
                            {
                                // Output-gradient pixel (y + ky − (k − 1), x + kx − (k − 1)) of the map padded by k − 1.
                                var (oy, ox) = (y + ky - (kernel - 1), x + kx - (kernel - 1));
                                if ((uint)oy < (uint)outHeight && (uint)ox < (uint)outWidth)
                                {
                                    sum += (double)packed[(((p / 16 * outChannels + o) * kernel + ky) * kernel + kx) * 16 + p % 16]
                                           * outputGradient[BlockedLayout.Index(o, oy, ox, outHeight, outWidth)];
                                }
                            }
                        }
                    }

                    actual[BlockedLayout.Index(p, y, x, height, width)] = (float)sum;
                }
            }
        }

        var scale = expected.Max(Math.Abs);
        Assert.True(scale > 0, "the reference input gradient is all zero");
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(actual[i] - expected[i]) <= 1e-5 * scale,
                $"input gradient element {i}: transposed convolution {actual[i]:G9}, reference {expected[i]:G9}");
        }
    }

    /// <summary>
    /// Gathering adds each packed gradient (<c>[out-block][loop channel][tap][16]</c>) to its OIHW element, and each packed bias
    /// gradient to its channel, and reads nothing else: the packed padding lanes and gap channels hold NaN here.
    /// </summary>
    [Theory, MemberData(nameof(Cases))]
    public void Gathering_adds_each_packed_gradient_to_its_OIHW_element_and_reads_nothing_else(int outChannels, int[] branches, int kernel)
    {
        var (map, inChannels, loopChannels) = ChannelMap(branches);
        var taps = kernel * kernel;
        var random = new Random(outChannels * 11 + kernel);
        var length = WeightPacking.PackedLength(outChannels, loopChannels, kernel);
        var packed = Filled(length, float.NaN);
        var packedBias = Filled(BlockedLayout.PaddedChannels(outChannels), float.NaN);
        var weightGradient = Signed(random, outChannels * inChannels * taps);
        var biasGradient = Signed(random, outChannels);
        var expected = (float[])weightGradient.Clone();
        var added = new float[expected.Length];
        var expectedBias = (float[])biasGradient.Clone();
        for (var o = 0; o < outChannels; o++)
        {
            for (var i = 0; i < inChannels; i++)
            {
                for (var tap = 0; tap < taps; tap++)
                {
                    var value = random.NextSingle() - 0.5f;
                    packed[(((o / 16) * loopChannels + BlockedLayout.Physical(map, i)) * taps + tap) * 16 + o % 16] = value;
                    expected[(o * inChannels + i) * taps + tap] += value;
                    added[(o * inChannels + i) * taps + tap] = value;
                }
            }

            packedBias[o] = random.NextSingle() - 0.5f;
            expectedBias[o] += packedBias[o];
        }

        WeightPacking.AddUnpackedGradient(packed, packedBias, weightGradient, biasGradient, outChannels, inChannels, kernel, map, loopChannels);

        AssertBitwise(expected, weightGradient, "gathered weight gradient");
        AssertBitwise(expectedBias, biasGradient, "gathered bias gradient");

        // Without a bias the bias gradient is left alone (an empty span), and the weights still gather.
        WeightPacking.AddUnpackedGradient(packed, packedBias, weightGradient, default, outChannels, inChannels, kernel, map, loopChannels);
        AssertBitwise(expected.Select((value, i) => value + added[i]).ToArray(), weightGradient, "weight gradient gathered twice, the second time without a bias");
    }

    // ---- Helpers ----

    /// <summary>A concat's channel map (each branch starts on a block boundary), its logical and physical channel counts; one branch is identity.</summary>
    private static (int[] Map, int Channels, int PhysicalChannels) ChannelMap(int[] branches)
    {
        if (branches.Length == 1)
        {
            return ([], branches[0], BlockedLayout.PaddedChannels(branches[0]));
        }

        var map = new List<int>();
        var first = 0;
        foreach (var width in branches)
        {
            map.AddRange(Enumerable.Range(first, width));
            first += BlockedLayout.PaddedChannels(width);
        }

        return (map.ToArray(), map.Count, first);
    }

    private static void ZeroPaddingLanes(float[] blocked, int channels, int pixels)
    {
        for (var c = channels; c < BlockedLayout.PaddedChannels(channels); c++)
        {
            for (var pixel = 0; pixel < pixels; pixel++)
            {
                blocked[(c / 16 * pixels + pixel) * 16 + c % 16] = 0f;
            }
        }
    }

    private static float[] Values(Random random, int length) => Enumerable.Range(0, length).Select(_ => 1f + random.NextSingle()).ToArray();

    private static float[] Signed(Random random, int length) => Enumerable.Range(0, length).Select(_ => random.NextSingle() * 2 - 1).ToArray();

    private static float[] Filled(int length, float value)
    {
        var values = new float[length];
        Array.Fill(values, value);
        return values;
    }

    private static void AssertBitwise(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
            {
                Assert.Fail($"{what}: element {i} is {actual[i]:G9}, expected {expected[i]:G9}.");
            }
        }
    }
}
