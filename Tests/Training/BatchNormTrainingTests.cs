using InceptionGen.Tests.Network;
using InceptionGen.Threading;
using InceptionGen.Training;
using Xunit;
using static InceptionGen.Tests.Training.NetworkGradientCheck;

namespace InceptionGen.Tests.Training;

/// <summary>
/// Training of <see cref="SmallBatchNormNet"/> (BN as a convolution option and as layers of its own, folded and not):
/// the gradients against central differences of its own loss, in train mode and frozen; the running statistics after a
/// step against the whole batch's statistics (a batch of 6 runs in two passes of images, so per-pass statistics would
/// fail); results bit for bit the same on 1 and 3 threads; and frozen BN equal to inference.
/// </summary>
public sealed class BatchNormTrainingTests
{
    private const int Batch = 6;
    private static readonly int[] s_labels = [0, 3, 4, 1, 2, 3];


    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Parameter_gradients_match_finite_differences(bool frozen)
    {
        var (network, images) = Setup(frozen);
        network.Backward(images, s_labels, Batch);
        var analytic = network.Gradients.ReadOnlySpan.ToArray();
        var random = new Random(5);
        foreach (var tensor in SmallBatchNormNet.ParameterTensors)
        {
            if (tensor.Role.IsBuffer())
            {
                Assert.All(analytic.AsSpan(tensor.Offset, tensor.Length).ToArray(), value => Assert.Equal(0f, value));
                continue;
            }

            Assert.Contains(analytic.AsSpan(tensor.Offset, tensor.Length).ToArray(), value => value != 0f);
            for (var sample = 0; sample < 3; sample++)
            {
                var index = tensor.Offset + random.Next(tensor.Length);
                AssertClose(analytic[index], ParameterDifference(network, images, s_labels, Batch, network.TrainingStep, index), $"{tensor.Name}[{index - tensor.Offset}]");
            }
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Input_gradient_matches_finite_differences(bool frozen)
    {
        var (network, images) = Setup(frozen);
        var inputGradient = new float[images.Length];
        network.Backward(images, s_labels, Batch, inputGradient);
        var random = new Random(9);
        for (var sample = 0; sample < 16; sample++)
        {
            var index = random.Next(images.Length);
            AssertClose(inputGradient[index], InputDifference(network, images, s_labels, Batch, network.TrainingStep, index), $"input[{index}]");
        }
    }

    [Fact]
    public void Running_statistics_follow_the_whole_batch_as_PyTorch_updates_them()
    {
        var (network, images) = Setup(frozen: false);
        var bn = network.Conv1.BatchNorm!;
        var (meanBefore, varianceBefore) = (bn.RunningMean.ToArray(), bn.RunningVariance.ToArray());
        var norm2Before = network.Norm2.RunningMean.ToArray();
        network.Backward(images, s_labels, Batch);

        // Conv1's BN input is the convolution of each image: the statistics of all 6 images × 6 × 6 pixels per channel.
        var outputs = Enumerable.Range(0, Batch).Select(image => BatchNormNetReference.Conv(
            new Map(images.AsSpan(image * SmallBatchNormNet.InputLength, SmallBatchNormNet.InputLength).ToArray(), 3, 12, 12), network.Conv1, 20, 3, 2, 1).Values).ToArray();
        const int Pixels = 36;
        for (var c = 0; c < 20; c++)
        {
            var values = outputs.SelectMany(output => output.Skip(c * Pixels).Take(Pixels)).Select(value => (double)value).ToArray();
            var mean = values.Average();
            var unbiased = values.Sum(value => (value - mean) * (value - mean)) / (values.Length - 1);
            Assert.Equal(0.9 * meanBefore[c] + 0.1 * mean, bn.RunningMean[c], 1e-5);
            Assert.Equal(0.9 * varianceBefore[c] + 0.1 * unbiased, bn.RunningVariance[c], 1e-5 * Math.Max(1, unbiased));
        }

        Assert.Equal(1, bn.NumBatchesTracked);
        Assert.Equal(1, network.Norm.NumBatchesTracked);
        Assert.Equal(1, network.Norm2.NumBatchesTracked);
        Assert.NotEqual(norm2Before, network.Norm2.RunningMean.ToArray());
        network.Backward(images, s_labels, Batch);
        Assert.Equal(2, network.Norm2.NumBatchesTracked);
    }

    [Fact]
    public void Frozen_batch_norm_keeps_its_running_statistics_and_trains_what_inference_computes()
    {
        var (network, images) = Setup(frozen: true);
        var before = network.Parameters.ReadOnlySpan.ToArray();
        var loss = network.Backward(images, s_labels, Batch);
        Assert.Equal(before, network.Parameters.ReadOnlySpan.ToArray());
        Assert.Equal(0, network.Norm.NumBatchesTracked);

        // The network has no dropout, so frozen training's forward is inference's.
        var logits = new float[Batch * SmallBatchNormNet.OutputLength];
        network.Forward(images, logits, Batch);
        Assert.Equal(MeanCrossEntropy(logits), loss.Main, 1e-5);

        network.FreezeBatchNorm = false;
        var trainMode = network.Backward(images, s_labels, Batch);
        Assert.True(Math.Abs(trainMode.Main - loss.Main) > 1e-3, $"train mode {trainMode.Main}, frozen {loss.Main}: the batch's statistics should differ from the running ones");
    }

    [Fact]
    public void Results_are_bit_for_bit_the_same_on_any_number_of_threads()
    {
        float[] Run(int threads, out float loss)
        {
            using var pool = new WorkerPool(threads);
            var network = new SmallBatchNormNet(maxBatch: Batch, seed: 3, pool: pool);
            BatchNormNetReference.Randomize(network.Parameters, 11);
            var images = BatchNormNetworkTests.Images(Batch, SmallBatchNormNet.InputLength, 21);
            var inputGradient = new float[images.Length];
            loss = network.Backward(images, s_labels, Batch, inputGradient).Total;
            return [.. network.Gradients.ReadOnlySpan.ToArray(), .. network.Parameters.ReadOnlySpan.ToArray(), .. inputGradient];
        }

        var single = Run(1, out var singleLoss);
        var several = Run(3, out var severalLoss);
        Assert.Equal(BitConverter.SingleToInt32Bits(singleLoss), BitConverter.SingleToInt32Bits(severalLoss));
        Assert.True(single.AsSpan().SequenceEqual(several), "gradients, running statistics or input gradient differ between 1 and 3 threads");
    }

    private static (SmallBatchNormNet Network, float[] Images) Setup(bool frozen)
    {
        var network = new SmallBatchNormNet(maxBatch: Batch, seed: 3) { FreezeBatchNorm = frozen };
        BatchNormNetReference.Randomize(network.Parameters, 11);
        return (network, BatchNormNetworkTests.Images(Batch, SmallBatchNormNet.InputLength, 21));
    }

    private static double MeanCrossEntropy(float[] logits)
    {
        var total = 0.0;
        for (var image = 0; image < Batch; image++)
        {
            var row = logits.AsSpan(image * 5, 5).ToArray().Select(value => (double)value).ToArray();
            var max = row.Max();
            total += Math.Log(row.Sum(value => Math.Exp(value - max))) + max - row[s_labels[image]];
        }

        return total / Batch;
    }
}

/// <summary>A training step and a forward pass of a network with BatchNorm allocate nothing once the first step has set up its memory.</summary>
[Collection(AllocationCollection.Name)]
public sealed class BatchNormAllocationTests
{
    [Fact]
    public void TrainStep_and_Forward_allocate_nothing_after_the_first_step()
    {
        using var pool = new WorkerPool(2);
        var network = new SmallBatchNormNet(maxBatch: 6, seed: 1, pool: pool);
        var images = BatchNormNetworkTests.Images(6, SmallBatchNormNet.InputLength, 2);
        int[] labels = [0, 1, 2, 3, 4, 0];
        var optimizer = new SgdMomentum(0.01f);
        var logits = new float[6 * SmallBatchNormNet.OutputLength];
        network.TrainStep(images, labels, 6, optimizer);
        network.TrainStep(images, labels, 6, optimizer);
        network.Forward(images, logits, 6);
        Assert.Equal(0, Allocations.Measure(() => network.TrainStep(images, labels, 6, optimizer)));
        Assert.Equal(0, Allocations.Measure(() => network.Forward(images, logits, 6)));
    }
}
