using InceptionGen.Tests.Network;
using Xunit;
using static InceptionGen.Tests.Training.NetworkGradientCheck;

namespace InceptionGen.Tests.Training;

/// <summary>
/// A small network of rectangular layers, as Inception-v3 factorizes them: 1x7 then 7x1 (stride 1, so their input
/// gradients run as transposed convolutions), a 3x1 max pool with stride 2x1, a 3x5 convolution with stride 2x1 (the
/// strided input gradient) and a 1x3 average pool with padding 0x1.
/// </summary>
[Network(Channels = 3, Height = 9, Width = 10)]
public sealed partial class RectangularNet
{
    [Conv(16, KernelHeight = 1, KernelWidth = 7, PaddingWidth = 3)] public partial Conv Wide { get; }
    [Conv(20, KernelHeight = 7, KernelWidth = 1, PaddingHeight = 3)] public partial Conv Tall { get; }
    [MaxPool(KernelHeight = 3, KernelWidth = 1, StrideHeight = 2)] public partial Pool Pool { get; }
    [Conv(17, KernelHeight = 3, KernelWidth = 5, StrideHeight = 2, StrideWidth = 1, PaddingHeight = 1, PaddingWidth = 2)] public partial Conv Strided { get; }
    [AvgPool(KernelHeight = 1, KernelWidth = 3, StrideWidth = 1, PaddingWidth = 1)] public partial Pool Smooth { get; }
    [Flatten] public partial Flatten Flatten { get; }
    [Linear(4)] public partial Linear Classifier { get; }
}

/// <summary>The generated training pass of <see cref="RectangularNet"/> against central differences of its own loss.</summary>
public sealed class RectangularGradientTests
{
    private const int Batch = 3;


    [Fact]
    public void Shapes_follow_each_dimension_s_kernel_stride_and_padding()
    {
        var shapes = RectangularNet.Summary.Layers.ToDictionary(row => row.Name, row => (row.OutputShape.Channels, row.OutputShape.Height, row.OutputShape.Width));
        Assert.Equal((16, 9, 10), shapes["Wide"]);
        Assert.Equal((20, 9, 10), shapes["Tall"]);
        Assert.Equal((20, 4, 10), shapes["Pool"]);
        Assert.Equal((17, 2, 10), shapes["Strided"]);
        Assert.Equal((17, 2, 10), shapes["Smooth"]);
        Assert.Equal([16, 3, 1, 7], RectangularNet.ParameterTensors.Single(tensor => tensor.Name == "Wide.Weights").Shape.ToArray());
        Assert.Equal([20, 16, 7, 1], RectangularNet.ParameterTensors.Single(tensor => tensor.Name == "Tall.Weights").Shape.ToArray());
        Assert.Equal([17, 20, 3, 5], RectangularNet.ParameterTensors.Single(tensor => tensor.Name == "Strided.Weights").Shape.ToArray());
        Assert.Equal(["conv 1x7/1", "conv 7x1/1", "max pool 3x1/2x1", "conv 3x5/2x1", "avg pool 1x3/1"], RectangularNet.Summary.Layers.Take(5).Select(row => row.Kind));
        // Multiply-adds: out · in · kh · kw · output pixels, per convolution, plus the classifier.
        Assert.Equal(16L * 3 * 7 * 90 + 20L * 16 * 7 * 90 + 17L * 20 * 15 * 20 + 4L * 340, RectangularNet.MultiplyAdds);
    }

    [Fact]
    public void Weight_gradients_of_every_layer_match_finite_differences()
    {
        var (network, images, labels) = Setup();
        var step = network.TrainingStep;
        network.Backward(images, labels, Batch);
        var analytic = network.Gradients.ReadOnlySpan.ToArray();
        var random = new Random(5);
        foreach (var tensor in RectangularNet.ParameterTensors)
        {
            for (var sample = 0; sample < 4; sample++)
            {
                var index = tensor.Offset + random.Next(tensor.Length);
                AssertClose(analytic[index], ParameterDifference(network, images, labels, Batch, step, index), $"{tensor.Name}[{index - tensor.Offset}]");
            }
        }

        Assert.Contains(analytic, value => value != 0f);
    }

    [Fact]
    public void Input_gradient_matches_finite_differences()
    {
        var (network, images, labels) = Setup();
        var step = network.TrainingStep;
        var inputGradient = new float[images.Length];
        network.Backward(images, labels, Batch, inputGradient);
        Assert.Contains(inputGradient, value => value != 0f);
        var random = new Random(9);
        for (var sample = 0; sample < 24; sample++)
        {
            var index = random.Next(images.Length);
            AssertClose(inputGradient[index], InputDifference(network, images, labels, Batch, step, index), $"input[{index}]");
        }
    }

    private static (RectangularNet Network, float[] Images, int[] Labels) Setup()
    {
        var network = new RectangularNet(maxBatch: Batch, seed: 3);
        var random = new Random(21);
        foreach (var tensor in RectangularNet.ParameterTensors.Where(tensor => tensor.Role == ParameterRole.Bias))
        {
            foreach (ref var value in network.Parameters[tensor])
            {
                value = (float)(random.NextDouble() * 0.2 - 0.05);
            }
        }

        network.Parameters.MarkChanged();
        var images = Enumerable.Range(0, Batch * RectangularNet.InputLength).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        return (network, images, [0, 3, 2]);
    }
}
