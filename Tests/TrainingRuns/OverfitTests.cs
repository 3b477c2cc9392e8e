using InceptionGen.Definitions;
using InceptionGen.Training;
using Xunit;

namespace InceptionGen.Tests.TrainingRuns;

/// <summary>
/// The full GoogLeNet at 224x224 with both auxiliary heads memorizes a fixed batch: the whole training
/// path (every layer's backward, the auxiliary losses, dropout, the optimizer) has to be right for that.
/// </summary>
public sealed class OverfitTests(ITestOutputHelper output)
{
    private const int Batch = 4;
    private const int MaximumSteps = 120;

    [Fact]
    public void GoogLeNetDrivesTheLossOfAFixedBatchBelowATenthOfItsStart()
    {
        var network = new GoogLeNet(maxBatch: 1, seed: 1) { DropoutSeed = 2 };
        var images = DeterminismTests.Images(Batch * GoogLeNet.InputLength, 3);
        int[] labels = [3, 141, 592, 653];
        var optimizer = new Adam(learningRate: 2e-4f);
        var losses = new List<float>();
        for (var step = 0; step < MaximumSteps; step++)
        {
            losses.Add(network.TrainStep(images, labels, Batch, optimizer).Total);
            // Dropout keeps the loss noisy: judge the mean of the last five steps.
            if (losses.Count >= 5 && losses.TakeLast(5).Average() < 0.1f * losses[0])
            {
                break;
            }
        }

        var last = losses.TakeLast(5).Average();
        output.WriteLine($"start {losses[0]:F3}, mean of the last 5 of {losses.Count} steps {last:F3}");
        Assert.All(losses, loss => Assert.True(float.IsFinite(loss)));
        Assert.True(last < 0.1f * losses[0], $"after {losses.Count} steps the loss is {last:F3}, not below a tenth of {losses[0]:F3}");
    }
}
