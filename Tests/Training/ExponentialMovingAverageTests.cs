using InceptionGen.Interop;
using InceptionGen.Tests.Network;
using InceptionGen.Training;
using Xunit;

namespace InceptionGen.Tests.Training;

/// <summary>The weights' exponential moving average: its recurrence, the BatchNorm buffers, and checkpoints.</summary>
public sealed class ExponentialMovingAverageTests
{
    private static (float[] Images, int[] Labels) Batch(int batch, int length, ulong seed)
    {
        var random = new SplitMix64(seed);
        var images = new float[batch * length];
        foreach (ref var value in images.AsSpan())
        {
            value = 2f * random.NextSingle() - 1f;
        }

        return (images, [.. Enumerable.Range(0, batch).Select(i => i % 3)]);
    }

    [Fact]
    public void The_average_follows_its_recurrence_with_the_warm_up_and_copies_the_batch_count()
    {
        var net = new SmallBatchNormNet(maxBatch: 4, seed: 2);
        var average = new ExponentialMovingAverage(new SgdMomentum(0.05f, momentum: 0.9f), decay: 0.9f);
        var (images, labels) = Batch(4, SmallBatchNormNet.InputLength, 1);

        Assert.True(average.Average.IsEmpty);
        net.TrainStep(images, labels, 4, average);
        Assert.Equal(net.Parameters.ReadOnlySpan.ToArray(), average.Average.ToArray());

        var expected = net.Parameters.ReadOnlySpan.ToArray().Select(v => (double)v).ToArray();
        for (var step = 2; step <= 6; step++)
        {
            net.TrainStep(images, labels, 4, average);
            var decay = Math.Min(0.9, (1.0 + step) / (10.0 + step));
            Assert.Equal((float)decay, average.DecayAt(step));
            var weights = net.Parameters.ReadOnlySpan;
            for (var i = 0; i < expected.Length; i++)
            {
                expected[i] += (1 - decay) * (weights[i] - expected[i]);
            }
        }

        var averaged = average.Average;
        var weightsNow = net.Parameters.ReadOnlySpan;
        foreach (var tensor in net.Parameters.Tensors)
        {
            for (var i = tensor.Offset; i < tensor.Offset + tensor.Length; i++)
            {
                // num_batches_tracked is a count: copied, not averaged (6 steps → 6).
                var want = tensor.Role == ParameterRole.BatchCount ? weightsNow[i] : expected[i];
                Assert.True(Math.Abs(averaged[i] - want) <= 1e-5 + 1e-5 * Math.Abs(want), $"{tensor.Name}[{i - tensor.Offset}]: {averaged[i]} vs {want}");
            }
        }

        var counts = net.Parameters.Tensors.Where(t => t.Role == ParameterRole.BatchCount).Select(t => t.Offset).ToArray();
        Assert.Equal(3, counts.Length);
        foreach (var offset in counts)
        {
            Assert.Equal(6f, weightsNow[offset]);
            Assert.Equal(6f, averaged[offset]);
        }

        // The average lags the weights: it is not just a copy of them.
        Assert.False(averaged.SequenceEqual(weightsNow));

        var copy = new SmallBatchNormNet(maxBatch: 1, seed: 9);
        average.CopyAverageTo(copy.Parameters);
        Assert.Equal(averaged.ToArray(), copy.Parameters.ReadOnlySpan.ToArray());
    }

    [Fact]
    public void A_checkpoint_keeps_the_average_and_a_resumed_run_continues_it_bit_for_bit()
    {
        var (images, labels) = Batch(2, SmallInceptionNet.InputLength, 3);
        ExponentialMovingAverage Optimizer() => new(new Adam(1e-3f), decay: 0.99f);
        var straight = new SmallInceptionNet(maxBatch: 2, seed: 1) { DropoutSeed = 4 };
        var straightAverage = Optimizer();
        for (var step = 0; step < 5; step++)
        {
            straight.TrainStep(images, labels, 2, straightAverage);
        }

        var path = Path.Combine(Path.GetTempPath(), "inceptiongen-ema-" + Guid.NewGuid().ToString("N") + ".safetensors");
        try
        {
            var first = new SmallInceptionNet(maxBatch: 2, seed: 1) { DropoutSeed = 4 };
            var firstAverage = Optimizer();
            for (var step = 0; step < 3; step++)
            {
                first.TrainStep(images, labels, 2, firstAverage);
            }

            Checkpoint.Save(path, first.Parameters, firstAverage, new CheckpointState(3, 0, 4, first.TrainingStep));
            var resumed = new SmallInceptionNet(maxBatch: 2, seed: 7);
            var resumedAverage = Optimizer();
            var state = Checkpoint.Load(path, resumed.Parameters, resumedAverage);
            resumed.DropoutSeed = state.RngSeed;
            resumed.TrainingStep = state.RngStep;
            Assert.Equal(firstAverage.Average.ToArray(), resumedAverage.Average.ToArray());
            for (var step = 3; step < 5; step++)
            {
                resumed.TrainStep(images, labels, 2, resumedAverage);
            }

            Assert.Equal(straightAverage.Average.ToArray(), resumedAverage.Average.ToArray());
            Assert.Equal(straight.Parameters.ReadOnlySpan.ToArray(), resumed.Parameters.ReadOnlySpan.ToArray());

            // A checkpoint without the average (a run without --ema) does not load into one that keeps it.
            var plain = new Adam(1e-3f);
            Checkpoint.Save(path, first.Parameters, plain, new CheckpointState(3, 0, 4, 0));
            Assert.Throws<SafeTensorsException>(() => Checkpoint.Load(path, resumed.Parameters, Optimizer()));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(1f)]
    [InlineData(float.NaN)]
    public void A_decay_outside_0_to_1_is_refused(float decay)
        => Assert.Throws<ArgumentOutOfRangeException>(() => new ExponentialMovingAverage(new SgdMomentum(0.1f), decay));
}
