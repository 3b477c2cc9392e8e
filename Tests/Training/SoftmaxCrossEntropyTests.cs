using InceptionGen.Training;
using Xunit;
using static InceptionGen.Tests.Training.GradientCheck;

namespace InceptionGen.Tests.Training;

public class SoftmaxCrossEntropyTests
{
    [Theory]
    // classes, label, logit spread, gradient scale
    [InlineData(1, 0, 1f, 1f)]
    [InlineData(2, 1, 1f, 1f)]
    [InlineData(10, 3, 3f, 0.3f)]
    // Spread 30: the label is a confident right answer, so its gradient softmax − 1 is small and must keep its digits.
    [InlineData(10, 9, 30f, 1f)]
    [InlineData(1000, 417, 5f, 1f / 32)]
    public void Gradient_and_loss_match_a_double_precision_evaluation(int classes, int label, float spread, float gradientScale)
    {
        var logits = RandomValues(new Random(classes * 31 + label), classes, -spread, spread);
        var gradient = new float[classes];

        var loss = SoftmaxCrossEntropy.Loss(logits, label, gradient, gradientScale);

        // In double, as written in the textbook but shifted by the max: log Σ exp(z_j − m) − (z_label − m).
        // Central differences with h = 1e-4: truncation h²/6 · |f'''| ≲ 1e-9, rounding ~1e-12. The kernel's float exp
        // and float gradient are good to ~1e-7 relative, so 1e-6 of the largest gradient (the default) holds; a missing scale,
        // sign or one-hot is off by O(1).
        var expected = CentralDifferences(ToDouble(logits), z => gradientScale * CrossEntropy(z, label), 1e-4);
        if (classes == 1)
        {
            // One class: softmax is 1, the loss 0 and the gradient 0 whatever the logit.
            Assert.Equal(0f, loss);
            Assert.Equal([0f], gradient);
        }
        else
        {
            AssertClose("logit gradient", expected, gradient);
        }

        var exact = CrossEntropy(ToDouble(logits), label);
        Assert.True(Math.Abs(loss - exact) <= 1e-6 * Math.Max(1, exact), $"Loss {loss:R}, expected {exact:R}.");
    }

    [Fact]
    public void Matches_a_hand_computed_example()
    {
        // softmax(1, 2, 3) = (e^-2, e^-1, 1) / (1 + e^-1 + e^-2) = (0.0900306, 0.2447285, 0.6652410); −log 0.0900306 = 2.4076060.
        var gradient = new float[3];
        var loss = SoftmaxCrossEntropy.Loss([1f, 2f, 3f], 0, gradient, 1f);

        Assert.Equal(2.4076059644443806, loss, 1e-6);
        Assert.Equal(0.09003057317038046 - 1, gradient[0], 1e-6);
        Assert.Equal(0.24472847105479764, gradient[1], 1e-6);
        Assert.Equal(0.6652409557748218, gradient[2], 1e-6);

        // The scale multiplies the gradient only.
        var halfLoss = SoftmaxCrossEntropy.Loss([1f, 2f, 3f], 0, gradient, 0.5f);
        Assert.Equal(loss, halfLoss);
        Assert.Equal(0.5 * (0.09003057317038046 - 1), gradient[0], 1e-6);
        Assert.Equal(0.5 * 0.6652409557748218, gradient[2], 1e-6);
    }

    [Fact]
    public void Huge_logits_neither_overflow_nor_lose_the_loss()
    {
        var gradient = new float[3];
        float[] logits = [1000f, 0f, -1000f];

        Assert.Equal(0f, SoftmaxCrossEntropy.Loss(logits, 0, gradient, 1f));
        Assert.Equal([0f, 0f, 0f], gradient);
        Assert.Equal(1000f, SoftmaxCrossEntropy.Loss(logits, 1, gradient, 1f));
        Assert.Equal([1f, -1f, 0f], gradient);
        Assert.Equal(2000f, SoftmaxCrossEntropy.Loss(logits, 2, gradient, 1f));
        Assert.Equal([1f, 0f, -1f], gradient);
    }

    [Fact]
    public void A_tiny_loss_keeps_its_digits()
    {
        // −log softmax = log(1 + e^-20) = 2.0611536e-9: a float sum of the exponentials would round 1 + 2e-9 to 1 and return 0.
        var loss = SoftmaxCrossEntropy.Loss([20f, 0f], 0, new float[2], 1f);

        Assert.Equal(2.061153620314381e-09, loss, 2.061153620314381e-09 * 1e-5);
    }

    [Fact]
    public void Writes_the_gradient_rather_than_adding_to_it()
    {
        var gradient = new float[] { float.NaN, 5f, -7f };

        SoftmaxCrossEntropy.Loss([1f, 2f, 3f], 2, gradient, 1f);

        Assert.Equal(0.09003057317038046, gradient[0], 1e-6);
        Assert.Equal(0.24472847105479764, gradient[1], 1e-6);
        Assert.Equal(0.6652409557748218 - 1, gradient[2], 1e-6);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(3)]
    [InlineData(int.MaxValue)]
    public void A_label_outside_the_classes_throws(int label)
    {
        var exception = Assert.Throws<ArgumentOutOfRangeException>(() => SoftmaxCrossEntropy.Loss([1f, 2f, 3f], label, new float[3], 1f));

        Assert.Equal("label", exception.ParamName);
        Assert.Contains("[0, 3)", exception.Message);
    }

    [Fact]
    public void A_gradient_of_the_wrong_length_throws()
        => Assert.Throws<ArgumentException>(() => SoftmaxCrossEntropy.Loss([1f, 2f, 3f], 0, new float[2], 1f));

    private static double CrossEntropy(double[] logits, int label)
    {
        var max = logits.Max();
        return Math.Log(logits.Sum(z => Math.Exp(z - max))) - (logits[label] - max);
    }
}
