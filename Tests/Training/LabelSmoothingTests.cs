using InceptionGen.Tests.Network;
using InceptionGen.Training;
using Xunit;

namespace InceptionGen.Tests.Training;

/// <summary>Label smoothing: <see cref="SoftmaxCrossEntropy"/>'s smoothed loss and gradient, and the generated networks' <c>LabelSmoothing</c>.</summary>
public sealed class LabelSmoothingTests
{
    private static readonly float[] Logits = [2.5f, -1.25f, 0.5f, 3.75f, -0.5f, 1f, 0f];

    /// <summary>−Σ q log softmax, and softmax − q, in double from the definition.</summary>
    private static (double Loss, double[] Gradient) Definition(float[] logits, int label, double smoothing)
    {
        var max = logits.Max();
        var sum = logits.Sum(z => Math.Exp(z - max));
        var loss = 0.0;
        var gradient = new double[logits.Length];
        for (var k = 0; k < logits.Length; k++)
        {
            var target = (k == label ? 1 - smoothing : 0) + smoothing / logits.Length;
            var logProbability = logits[k] - max - Math.Log(sum);
            loss -= target * logProbability;
            gradient[k] = Math.Exp(logProbability) - target;
        }

        return (loss, gradient);
    }

    [Theory]
    [InlineData(0, 0.1f)]
    [InlineData(3, 0.1f)]
    [InlineData(1, 0.3f)]
    [InlineData(6, 0.95f)]
    public void The_smoothed_loss_and_gradient_are_the_definitions(int label, float smoothing)
    {
        var gradient = new float[Logits.Length];
        var loss = SoftmaxCrossEntropy.Loss(Logits, label, gradient, gradientScale: 0.25f, smoothing);
        var (expectedLoss, expectedGradient) = Definition(Logits, label, smoothing);

        Assert.Equal(expectedLoss, loss, 5);
        for (var k = 0; k < Logits.Length; k++)
        {
            Assert.Equal(0.25 * expectedGradient[k], gradient[k], 6);
        }

        // Smoothing adds ε · (z_label − mean z): a label above the mean logit costs more, one below it less.
        var plain = SoftmaxCrossEntropy.Loss(Logits, label, new float[Logits.Length], 1f);
        Assert.Equal(Math.Sign(Logits[label] - Logits.Average()), Math.Sign(loss - plain));
    }

    [Fact]
    public void The_gradient_is_the_central_difference_of_the_loss()
    {
        const float smoothing = 0.2f, h = 1e-2f;
        var gradient = new float[Logits.Length];
        SoftmaxCrossEntropy.Loss(Logits, 3, gradient, 1f, smoothing);
        for (var k = 0; k < Logits.Length; k++)
        {
            var shifted = (float[])Logits.Clone();
            shifted[k] += h;
            var plus = SoftmaxCrossEntropy.Loss(shifted, 3, new float[Logits.Length], 1f, smoothing);
            shifted[k] -= 2 * h;
            var minus = SoftmaxCrossEntropy.Loss(shifted, 3, new float[Logits.Length], 1f, smoothing);
            Assert.Equal((plus - minus) / (2 * h), gradient[k], 3);
        }
    }

    [Fact]
    public void No_smoothing_is_the_plain_loss_bit_for_bit()
    {
        var plain = new float[Logits.Length];
        var smoothed = new float[Logits.Length];
        var plainLoss = SoftmaxCrossEntropy.Loss(Logits, 2, plain, 0.5f);
        var smoothedLoss = SoftmaxCrossEntropy.Loss(Logits, 2, smoothed, 0.5f, 0f);

        Assert.Equal(BitConverter.SingleToInt32Bits(plainLoss), BitConverter.SingleToInt32Bits(smoothedLoss));
        Assert.Equal(plain, smoothed);
    }

    [Theory]
    [InlineData(-0.1f)]
    [InlineData(1f)]
    [InlineData(float.NaN)]
    public void A_smoothing_outside_0_to_1_is_refused(float smoothing)
        => Assert.Throws<ArgumentOutOfRangeException>(() => SoftmaxCrossEntropy.Loss(Logits, 0, new float[Logits.Length], 1f, smoothing));

    [Fact]
    public void A_generated_network_smooths_its_main_and_auxiliary_losses_and_its_gradient_follows()
    {
        var images = new float[2 * SmallInceptionNet.InputLength];
        var random = new SplitMix64(11);
        foreach (ref var value in images.AsSpan())
        {
            value = 2f * random.NextSingle() - 1f;
        }

        int[] labels = [1, 4];
        var net = new SmallInceptionNet(maxBatch: 2, seed: 3) { DropoutSeed = 5 };
        net.TrainingStep = 7;
        var plain = net.Backward(images, labels, 2);
        net.LabelSmoothing = 0.3f;
        net.TrainingStep = 7;
        var smoothed = net.Backward(images, labels, 2);

        // Same logits (same weights and dropout masks), other targets: both the main and the auxiliary losses move.
        Assert.NotEqual(plain.Main, smoothed.Main);
        Assert.NotEqual(plain.Auxiliary, smoothed.Auxiliary);

        // And the gradient is that of the smoothed loss: the classifier's bias against central differences.
        var bias = net.Parameters.Find("Classifier.Bias")!;
        for (var index = bias.Offset; index < bias.Offset + bias.Length; index++)
        {
            net.TrainingStep = 7;
            net.Backward(images, labels, 2);
            var analytic = net.Gradients.ReadOnlySpan[index];
            NetworkGradientCheck.AssertClose(analytic, NetworkGradientCheck.ParameterDifference(net, images, labels, 2, 7, index), $"Classifier.Bias[{index - bias.Offset}]");
        }

        net.LabelSmoothing = 1f;
        net.TrainingStep = 7;
        Assert.Throws<ArgumentOutOfRangeException>(() => net.Backward(images, labels, 2));
    }
}
