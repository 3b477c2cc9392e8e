using Xunit;

namespace InceptionGen.Tests.Reference;

/// <summary>Checks the oracle itself on tiny inputs whose answers are worked out by hand.</summary>
public class NchwReferenceTests
{
    private const float Tolerance = 1e-6f;

    [Theory]
    [InlineData(224, 7, 2, 3, false, 112)] // GoogLeNet conv1
    [InlineData(112, 3, 2, 0, true, 56)]   // pool1: floor mode would give 55
    [InlineData(28, 3, 2, 0, true, 14)]    // pool3
    [InlineData(14, 5, 3, 0, false, 4)]    // auxiliary head's average pool
    [InlineData(7, 7, 1, 0, false, 1)]     // final average pool
    [InlineData(5, 3, 3, 1, true, 2)]      // ceil gives 3, but the third window would start in the padding
    [InlineData(4, 3, 2, 1, true, 3)]      // ceil keeps a third window that starts inside the input
    [InlineData(4, 3, 2, 1, false, 2)]
    public void OutputSize_follows_the_floor_and_caffe_ceil_rules(int input, int kernel, int stride, int padding, bool ceilMode, int expected)
        => Assert.Equal(expected, NchwReference.OutputSize(input, kernel, stride, padding, ceilMode));

    [Fact]
    public void Conv2d_sums_each_neighbourhood_with_zero_padding()
    {
        float[] input = [1, 2, 3, 4, 5, 6, 7, 8, 9];
        var ones = Enumerable.Repeat(1f, 9).ToArray();

        var output = NchwReference.Conv2d(input, new FeatureShape(1, 3, 3), ones, [1f], outChannels: 1, kernel: 3, stride: 2, padding: 1, relu: false);

        Assert.Equal([1 + 12, 1 + 16, 1 + 24, 1 + 28], output);
    }

    [Fact]
    public void MaxPool2d_never_picks_a_padded_cell()
    {
        float[] input = [-1, -2, -3, -4];

        var output = NchwReference.MaxPool2d(input, new FeatureShape(1, 2, 2), kernel: 3, stride: 1, padding: 1, outHeight: 2, outWidth: 2);

        Assert.Equal([-1f, -1f, -1f, -1f], output);
    }

    [Fact]
    public void AvgPool2d_counts_padding_but_not_cells_past_it()
    {
        // One row of 4, kernel 3, stride 2, padding 1, ceil mode: 3 windows starting at columns -1, 1, 3.
        // Every window covers rows -1..1 (3 rows, all within the padded input). The last window covers
        // columns 3, 4 (padding) and 5 (past the padding), so its divisor is 3 × 2.
        float[] input = [1, 2, 3, 4];

        var output = NchwReference.AvgPool2d(input, new FeatureShape(1, 1, 4), kernel: 3, stride: 2, padding: 1, outHeight: 1, outWidth: 3);

        Assert.Equal([3f / 9, 9f / 9, 4f / 6], output, new ToleranceComparer(Tolerance));
    }

    [Fact]
    public void LocalResponseNorm_clips_the_window_at_the_first_and_last_channel()
    {
        // size 3, alpha 3 (so alpha / size = 1), beta 1, k 1: y = x / (1 + Σ x²).
        float[] input = [1, 2, 3];

        var output = NchwReference.LocalResponseNorm(input, new FeatureShape(3, 1, 1), size: 3, alpha: 3, beta: 1, k: 1);

        Assert.Equal([1f / (1 + 1 + 4), 2f / (1 + 1 + 4 + 9), 3f / (1 + 4 + 9)], output, new ToleranceComparer(Tolerance));
    }

    [Fact]
    public void GlobalAveragePool_averages_each_channel()
        => Assert.Equal([2.5f, -1f], NchwReference.GlobalAveragePool([1, 2, 3, 4, -1, -1, -1, -1], new FeatureShape(2, 2, 2)));

    [Fact]
    public void Linear_applies_weights_bias_and_relu()
        => Assert.Equal([3.5f, 0f], NchwReference.Linear([1, 1], [1, 2, 3, 4], [0.5f, -10f], outFeatures: 2, relu: true));

    [Fact]
    public void Softmax_normalizes_exponentials()
        => Assert.Equal([0.25f, 0.75f], NchwReference.Softmax([0f, MathF.Log(3f)]), new ToleranceComparer(Tolerance));

    [Fact]
    public void ConcatChannels_appends_channels_in_order()
        => Assert.Equal([1f, 2f, 3f, 4f, 5f, 6f], NchwReference.ConcatChannels([1, 2], [3, 4, 5, 6]));

    [Fact]
    public void Relu_clamps_negatives_to_zero()
        => Assert.Equal([0f, 0f, 2f], NchwReference.Relu([-1, 0, 2]));

    private sealed class ToleranceComparer(float tolerance) : IEqualityComparer<float>
    {
        public bool Equals(float x, float y) => MathF.Abs(x - y) <= tolerance;

        public int GetHashCode(float value) => 0;
    }
}
