using InceptionGen.Tests.Network;
using Xunit;
using static InceptionGen.Tests.Training.NetworkGradientCheck;

namespace InceptionGen.Tests.Training;

/// <summary>
/// The generated training pass of a small Inception network with an auxiliary head, against central
/// differences of its own loss: the input gradient and a sample of the weights of every layer.
/// </summary>
public sealed class EndToEndGradientTests
{
    private const int Batch = 3;


    [Fact]
    public void WeightGradientsOfEveryLayerMatchFiniteDifferences()
    {
        var (network, images, labels) = Setup();
        var step = network.TrainingStep;
        network.Backward(images, labels, Batch);
        var analytic = network.Gradients.ReadOnlySpan.ToArray();
        var random = new Random(5);
        var checkedTensors = 0;
        foreach (var tensor in SmallInceptionNet.ParameterTensors)
        {
            for (var sample = 0; sample < 3; sample++)
            {
                var index = tensor.Offset + random.Next(tensor.Length);
                var finite = ParameterDifference(network, images, labels, Batch, step, index);
                AssertClose(analytic[index], finite, $"{tensor.Name}[{index - tensor.Offset}]");
            }

            checkedTensors++;
        }

        Assert.Equal(SmallInceptionNet.ParameterTensors.Count, checkedTensors);
        Assert.Contains(SmallInceptionNet.ParameterTensors, tensor => tensor.Auxiliary);
    }

    [Fact]
    public void InputGradientMatchesFiniteDifferences()
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

    [Fact]
    public void AuxiliaryLossCountsWithItsWeight()
    {
        var (network, images, labels) = Setup();
        var loss = network.Backward(images, labels, Batch);
        Assert.True(loss.Auxiliary > 0f, $"auxiliary loss {loss.Auxiliary}");
        Assert.True(loss.Total > loss.Main);
        // Cross-entropy of 5 classes near chance is near ln 5 for both heads; the auxiliary share is about 0.3 of it.
        Assert.InRange(loss.Auxiliary / loss.Main, 0.1f, 0.6f);
    }

    private static (SmallInceptionNet Network, float[] Images, int[] Labels) Setup()
    {
        var network = new SmallInceptionNet(maxBatch: Batch, seed: 3) { DropoutSeed = 11 };
        var random = new Random(21);
        foreach (var tensor in SmallInceptionNet.ParameterTensors.Where(tensor => tensor.Role == ParameterRole.Bias))
        {
            foreach (ref var value in network.Parameters[tensor])
            {
                value = (float)(random.NextDouble() * 0.2 - 0.05);
            }
        }

        var images = Enumerable.Range(0, Batch * SmallInceptionNet.InputLength).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var labels = new[] { 0, 3, 4 };
        return (network, images, labels);
    }
}
