using InceptionGen.Tests.Network;
using InceptionGen.Threading;
using InceptionGen.Training;
using Xunit;

namespace InceptionGen.Tests.TrainingRuns;

/// <summary>The training API as a user meets it: arguments, allocation, and what Backward leaves behind.</summary>
public sealed class TrainingApiTests
{
    [Fact]
    public void BackwardOverwritesTheGradientsInsteadOfAddingToThem()
    {
        var network = new SmallInceptionNet(maxBatch: 1, seed: 1) { DropoutSeed = 4 };
        var images = DeterminismTests.Images(2 * SmallInceptionNet.InputLength, 3);
        var step = network.TrainingStep;
        network.Backward(images, [1, 2], 2);
        var first = network.Gradients.ReadOnlySpan.ToArray();
        Assert.Contains(first, value => value != 0f);
        network.TrainingStep = step;
        network.Backward(images, [1, 2], 2);
        Differential.AssertBitwiseEqual(first, network.Gradients.ReadOnlySpan, "gradients of the same step computed twice");
    }

    [Fact]
    public void TheBatchMayExceedMaxBatchBecauseTrainingRunsInPasses()
    {
        var network = new SmallInceptionNet(maxBatch: 1, seed: 1);
        var images = DeterminismTests.Images(7 * SmallInceptionNet.InputLength, 5);
        var loss = network.Backward(images, [0, 1, 2, 3, 4, 0, 1], 7);
        Assert.True(float.IsFinite(loss.Total) && loss.Total > 0f);
    }

    [Fact]
    public void BadArgumentsAreRefusedWithTheSizesInTheMessage()
    {
        var network = new SmallInceptionNet(maxBatch: 1, seed: 1);
        var images = new float[2 * SmallInceptionNet.InputLength];
        var label = Assert.Throws<ArgumentOutOfRangeException>(() => network.Backward(images, [0, 5], 2));
        Assert.Contains("image 1", label.Message);
        var shortImages = Assert.Throws<ArgumentException>(() => network.Backward(images.AsSpan(1), [0, 1], 2));
        Assert.Contains($"{2 * SmallInceptionNet.InputLength - 1}", shortImages.Message);
        Assert.Throws<ArgumentException>(() => network.Backward(images, [0], 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => network.Backward(images, [0, 1], 0));
        Assert.Throws<ArgumentNullException>(() => network.TrainStep(images, [0, 1], 2, null!));
    }

    [Fact]
    public void CorrectCountsTheImagesWhoseLabelTheTrainingPassRankedFirst()
    {
        // No dropout, so the training pass's logits are the inference logits: label half the images with the
        // predicted class and half with another one, and Correct must count exactly the first half.
        const int batch = 6;
        var network = new NoDropoutNet(maxBatch: batch, seed: 3);
        var images = DeterminismTests.Images(batch * NoDropoutNet.InputLength, 7);
        var logits = new float[batch * NoDropoutNet.OutputLength];
        network.Forward(images, logits, batch);
        var labels = new int[batch];
        for (var i = 0; i < batch; i++)
        {
            var predicted = System.Numerics.Tensors.TensorPrimitives.IndexOfMax(logits.AsSpan(i * NoDropoutNet.OutputLength, NoDropoutNet.OutputLength));
            labels[i] = i % 2 == 0 ? predicted : (predicted + 1) % NoDropoutNet.OutputLength;
        }

        Assert.Equal(batch / 2, network.Backward(images, labels, batch).Correct);
    }

    [Fact]
    public void InferenceAfterTrainingSeesTheNewWeights()
    {
        var network = new SmallInceptionNet(maxBatch: 2, seed: 1);
        var images = DeterminismTests.Images(2 * SmallInceptionNet.InputLength, 6);
        var before = new float[2 * SmallInceptionNet.OutputLength];
        network.Forward(images, before, 2);
        network.TrainStep(images, [3, 4], 2, new SgdMomentum(0.5f));
        var after = new float[2 * SmallInceptionNet.OutputLength];
        network.Forward(images, after, 2);
        Assert.False(before.AsSpan().SequenceEqual(after), "a training step changed nothing the forward pass sees");
    }
}

/// <summary>A net without dropout, whose training forward pass gives the inference logits.</summary>
[Network(Channels = 2, Height = 6, Width = 6)]
public sealed partial class NoDropoutNet
{
    [Conv(16, Kernel = 3, Padding = 1)]     public partial Conv Conv1 { get; }
    [GlobalAveragePool]                     public partial Pool Pool { get; }
    [Linear(4)]                             public partial Linear Classifier { get; }
}

/// <summary>A training step allocates nothing on any thread once the first steps have set up the optimizer state.</summary>
[Collection(AllocationCollection.Name)]
public sealed class TrainingAllocationTests
{
    [Fact]
    public void TrainStepAllocatesNothingAfterTheFirstStep()
    {
        using var pool = new WorkerPool(2);
        var network = new SmallInceptionNet(maxBatch: 1, seed: 1, pool: pool);
        var images = DeterminismTests.Images(4 * SmallInceptionNet.InputLength, 2);
        int[] labels = [0, 1, 2, 3];
        var optimizer = new SgdMomentum(0.01f);
        network.TrainStep(images, labels, 4, optimizer);
        network.TrainStep(images, labels, 4, optimizer);
        Assert.Equal(0, Allocations.Measure(() => network.TrainStep(images, labels, 4, optimizer)));
    }
}
