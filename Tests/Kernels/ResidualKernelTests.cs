using InceptionGen.Kernels;
using Xunit;

namespace InceptionGen.Tests.Kernels;

/// <summary>
/// The residual sum's kernels: the vectorized block kernels against the scalar reference (which this process runs on the
/// path it has: run the class once per ISA), bit for bit; the reference's forward against the formula channel by channel
/// through channel maps, and its backward against central differences of a scalar loss.
/// </summary>
public sealed class ResidualKernelTests
{
    private const int Block = BlockedLayout.BlockSize;

    [Theory]
    [InlineData(16, 1, 1f, false)]
    [InlineData(32, 9, 0.17f, true)]
    [InlineData(48, 5, -0.5f, true)]
    [InlineData(20, 7, 2f, false)]
    public void The_block_kernels_match_the_reference_bit_for_bit(int channels, int pixels, float scale, bool relu)
    {
        var random = new Random(channels * 31 + pixels);
        var length = BlockedLayout.PaddedChannels(channels) * pixels;
        var input = Random(random, length, channels, pixels);
        var branches = Random(random, length, channels, pixels);
        var expected = new float[length];
        ReferenceKernels.ResidualAdd(input, default, branches, default, expected, channels, pixels, scale, relu);
        var actual = new float[length];
        for (var block = 0; block < length / (Block * pixels); block++)
        {
            var plane = block * Block * pixels;
            BlockedKernels.ResidualAddBlock(input.AsSpan(plane, Block * pixels), branches.AsSpan(plane, Block * pixels), actual.AsSpan(plane, Block * pixels), scale, relu);
        }

        Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), actual.Select(BitConverter.SingleToInt32Bits));

        var outputGradient = Random(random, length, channels, pixels);
        var (expectedInput, expectedBranches) = (Random(random, length, channels, pixels), Random(random, length, channels, pixels));
        var (actualInput, actualBranches) = ((float[])expectedInput.Clone(), (float[])expectedBranches.Clone());
        ReferenceBackward.ResidualAdd(expected, outputGradient, default, expectedInput, default, expectedBranches, channels, pixels, scale, relu);
        for (var block = 0; block < length / (Block * pixels); block++)
        {
            var plane = block * Block * pixels;
            BlockedBackwardKernels.ResidualAddBlock(expected.AsSpan(plane, Block * pixels), outputGradient.AsSpan(plane, Block * pixels),
                actualInput.AsSpan(plane, Block * pixels), actualBranches.AsSpan(plane, Block * pixels), scale, relu);
        }

        Assert.Equal(expectedInput.Select(BitConverter.SingleToInt32Bits), actualInput.Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(expectedBranches.Select(BitConverter.SingleToInt32Bits), actualBranches.Select(BitConverter.SingleToInt32Bits));
    }

    [Fact]
    public void The_reference_adds_channel_by_channel_through_channel_maps_and_zeroes_the_gaps()
    {
        // 20 channels: the input in one layout (identity over 32 physical), the branches in another (8 and 12 wide, each on a block).
        const int channels = 20, pixels = 3;
        int[] branchesMap = [.. Enumerable.Range(0, 8), .. Enumerable.Range(16, 12)];
        var random = new Random(2);
        var input = Enumerable.Range(0, 32 * pixels).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var branches = Enumerable.Range(0, 32 * pixels).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var output = Enumerable.Repeat(float.NaN, 32 * pixels).ToArray();

        ReferenceKernels.ResidualAdd(input, default, branches, branchesMap, output, channels, pixels, 0.5f, relu: true);

        for (var c = 0; c < 32; c++)
        {
            for (var p = 0; p < pixels; p++)
            {
                var at = BlockedLayout.Index(c, 0, p, 1, pixels);
                var expected = c < channels ? MathF.Max(input[at] + 0.5f * branches[BlockedLayout.Index(branchesMap[c], 0, p, 1, pixels)], 0f) : 0f;
                Assert.Equal(expected, output[at]);
            }
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void The_reference_backward_matches_central_differences(bool relu)
    {
        const int channels = 20, pixels = 2;
        int[] branchesMap = [.. Enumerable.Range(0, 8), .. Enumerable.Range(16, 12)];
        var random = new Random(relu ? 3 : 4);
        var input = Enumerable.Range(0, 32 * pixels).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var branches = Enumerable.Range(0, 32 * pixels).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var weights = Enumerable.Range(0, 32 * pixels).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        const float scale = 0.3f;

        // Loss = Σ weights · output; its output gradient is the weights.
        double Loss()
        {
            var output = new float[32 * pixels];
            ReferenceKernels.ResidualAdd(input, default, branches, branchesMap, output, channels, pixels, scale, relu);
            return output.Zip(weights, (y, w) => (double)y * w).Sum();
        }

        var forward = new float[32 * pixels];
        ReferenceKernels.ResidualAdd(input, default, branches, branchesMap, forward, channels, pixels, scale, relu);
        var inputGradient = new float[32 * pixels];
        var branchesGradient = new float[32 * pixels];
        ReferenceBackward.ResidualAdd(forward, weights, default, inputGradient, branchesMap, branchesGradient, channels, pixels, scale, relu);

        // The output index each value feeds (-1: a gap), so that a value whose sum sits on the ReLU's kink is skipped.
        var preActivation = new float[32 * pixels];
        ReferenceKernels.ResidualAdd(input, default, branches, branchesMap, preActivation, channels, pixels, scale, relu: false);
        var inputFeeds = Enumerable.Range(0, 32 * pixels).Select(i => i % Block + i / (Block * pixels) * Block < channels ? i : -1).ToArray();
        var branchesFeeds = Enumerable.Repeat(-1, 32 * pixels).ToArray();
        for (var c = 0; c < channels; c++)
        {
            for (var p = 0; p < pixels; p++)
            {
                branchesFeeds[BlockedLayout.Index(branchesMap[c], 0, p, 1, pixels)] = BlockedLayout.Index(c, 0, p, 1, pixels);
            }
        }

        const float step = 1e-3f;
        var checkedValues = 0;
        foreach (var (values, gradient, feeds) in new[] { (input, inputGradient, inputFeeds), (branches, branchesGradient, branchesFeeds) })
        {
            for (var i = 0; i < values.Length; i++)
            {
                if (feeds[i] < 0)
                {
                    Assert.Equal(0f, gradient[i]);
                    continue;
                }

                if (relu && Math.Abs(preActivation[feeds[i]]) < 10 * step)
                {
                    continue;
                }

                var original = values[i];
                values[i] = original + step;
                var plus = Loss();
                values[i] = original - step;
                var minus = Loss();
                values[i] = original;
                var numeric = (plus - minus) / (2 * step);
                Assert.True(Math.Abs(numeric - gradient[i]) < 2e-3, $"[{i}]: analytic {gradient[i]}, numeric {numeric}");
                checkedValues++;
            }
        }

        Assert.True(checkedValues > 60, $"only {checkedValues} values checked");
    }

    /// <summary>Random values in the logical channels, zeros in the padding channels of the last block.</summary>
    private static float[] Random(Random random, int length, int channels, int pixels)
    {
        var values = new float[length];
        for (var c = 0; c < channels; c++)
        {
            for (var p = 0; p < pixels; p++)
            {
                values[BlockedLayout.Index(c, 0, p, 1, pixels)] = (float)(random.NextDouble() * 2 - 1);
            }
        }

        return values;
    }
}
