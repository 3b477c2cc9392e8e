using InceptionGen.Kernels;
using Xunit;

namespace InceptionGen.Tests.Kernels;

/// <summary>
/// <see cref="StridedConvolutionBackward.InputGradient"/> against the input half of its oracle,
/// <see cref="ReferenceBackward.Conv2d"/>, on whichever path this process runs (run once per ISA path, as .ci/run's
/// Kernels filter does). Shapes: strides 2 and 3, square and rectangular (1x7/2, 3x1 with stride 2x1), kernels smaller
/// and larger than the stride, odd maps whose last rows and columns no window reaches, output channels that leave a
/// partial last block (its padding lanes hold NaN, which must never be read), and an input with gap channels (a
/// channel map, as after a concat). The gradient buffer starts random (the kernel must add, not store) and only
/// the mapped channels may change.
/// </summary>
public sealed class StridedConvolutionBackwardTests
{
    private const int Block = BlockedLayout.BlockSize;

    public static TheoryData<int, int, int, int, int, int, int, int, int, bool> Cases() => new()
    {
        // in channels, in height, in width, out channels, kernel h, kernel w, stride h, stride w, seed, gaps
        { 288, 35, 35, 384, 3, 3, 2, 2, 1, false },   // Inception-v3's Mixed_6a.branch3x3 (35 -> 17)
        { 96, 9, 9, 96, 3, 3, 2, 2, 2, false },
        { 17, 11, 13, 20, 3, 3, 2, 2, 3, false },     // partial blocks in and out
        { 16, 10, 10, 33, 2, 2, 2, 2, 4, false },     // kernel = stride: every input pixel has one tap
        { 8, 7, 12, 16, 1, 1, 2, 2, 5, false },       // 1x1/2: three quarters of the input get nothing
        { 24, 13, 14, 16, 5, 5, 3, 3, 6, false },
        { 19, 9, 15, 24, 1, 7, 2, 2, 7, false },      // rectangular kernel
        { 16, 11, 8, 17, 3, 1, 2, 1, 8, false },      // stride 2x1
        { 20, 9, 9, 48, 3, 3, 2, 2, 9, true },        // input with gap channels
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Input_gradient_matches_the_reference(int inChannels, int inHeight, int inWidth, int outChannels, int kernelHeight, int kernelWidth,
        int strideHeight, int strideWidth, int seed, bool gaps)
    {
        var random = new Random(seed);
        var outHeight = (inHeight - kernelHeight) / strideHeight + 1;
        var outWidth = (inWidth - kernelWidth) / strideWidth + 1;
        var g = new ConvGeometry(inChannels, inHeight, inWidth, outChannels, outHeight, outWidth, kernelHeight, kernelWidth, strideHeight, strideWidth, 0, 0, Relu: false);

        // Gaps: logical channel i sits at physical 2i + (i % 2), so pairs of physical channels map to nothing.
        int[] map = gaps ? [.. Enumerable.Range(0, inChannels).Select(i => 2 * i + i % 2)] : [];
        var loopChannels = gaps ? map.Max() + 1 : inChannels;
        var weights = Values(random, outChannels * inChannels * kernelHeight * kernelWidth);
        var packed = new float[WeightPacking.PackedLength(outChannels, loopChannels, kernelHeight, kernelWidth)];
        WeightPacking.PackConvolution(weights, packed, outChannels, inChannels, kernelHeight, kernelWidth, map, loopChannels);

        var outBlocks = BlockedLayout.Blocks(outChannels);
        var outputGradient = new float[outBlocks * outHeight * outWidth * Block];
        outputGradient.AsSpan().Fill(float.NaN);
        for (var o = 0; o < outChannels; o++)
        {
            for (var i = 0; i < outHeight * outWidth; i++)
            {
                outputGradient[BlockedLayout.Index(o, i / outWidth, i % outWidth, outHeight, outWidth)] = (float)(random.NextDouble() * 2 - 1);
            }
        }

        var start = Values(random, BlockedLayout.Blocks(loopChannels) * inHeight * inWidth * Block);
        var expected = (float[])start.Clone();
        var input = new float[start.Length]; // the reference's weight half reads it; its input half does not
        ReferenceBackward.Conv2d(input, map, outputGradient, weights, expected, [], [], g);
        var actual = (float[])start.Clone();
        StridedConvolutionBackward.InputGradient(outputGradient, packed, actual, loopChannels, g);

        // Each value is a sum of at most outChannels x taps products in another order: compare against the sum of magnitudes.
        var mapped = gaps ? map.ToHashSet() : Enumerable.Range(0, inChannels).ToHashSet();
        var scale = outputGradient.Where(float.IsFinite).Max(v => Math.Abs(v)) * weights.Max(v => Math.Abs(v)) * outChannels * kernelHeight * kernelWidth;
        for (var c = 0; c < BlockedLayout.Blocks(loopChannels) * Block; c++)
        {
            for (var y = 0; y < inHeight; y++)
            {
                for (var x = 0; x < inWidth; x++)
                {
                    var index = BlockedLayout.Index(c, y, x, inHeight, inWidth);
                    if (!mapped.Contains(c))
                    {
                        Assert.True(actual[index] == start[index], $"channel {c} is no input channel, yet its gradient changed at ({y}, {x})");
                        continue;
                    }

                    Assert.True(Math.Abs(actual[index] - expected[index]) <= 1e-6 * scale,
                        $"channel {c} ({y}, {x}): {actual[index]} vs the reference's {expected[index]} (scale {scale})");
                }
            }
        }
    }

    [Fact]
    public void Padding_is_refused()
    {
        var g = new ConvGeometry(16, 5, 5, 16, 3, 3, 3, 2, 1, Relu: false);
        var exception = Assert.Throws<ArgumentException>(() => StridedConvolutionBackward.InputGradient(new float[16 * 9], new float[16 * 16 * 9], new float[16 * 25], 16, g));
        Assert.Contains("padding", exception.Message, StringComparison.Ordinal);
    }

    private static float[] Values(Random random, int count) => [.. Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() * 2 - 1))];
}
