using InceptionGen.Definitions;
using InceptionGen.Tests.Network;
using InceptionGen.Threading;
using InceptionGen.Training;
using Xunit;

namespace InceptionGen.Tests.TrainingRuns;

/// <summary>Training is a pure function of the seed: the same steps give bit-identical weights, whatever the thread count.</summary>
public sealed class DeterminismTests
{
    [Theory]
    [InlineData(2, 2)]
    [InlineData(1, 2)]
    public void SmallNetworkWeightsAreBitIdenticalAfterSeveralSteps(int firstThreads, int secondThreads)
    {
        var first = TrainSmall(firstThreads);
        var second = TrainSmall(secondThreads);
        Differential.AssertBitwiseEqual(first, second, $"SmallInceptionNet weights after 4 steps with {firstThreads} and {secondThreads} thread(s)");
    }

    [Fact]
    public void DifferentDropoutSeedsGiveDifferentWeights()
    {
        var first = TrainSmall(2, dropoutSeed: 1);
        var second = TrainSmall(2, dropoutSeed: 2);
        Assert.False(first.AsSpan().SequenceEqual(second), "the dropout seed changed nothing");
    }

    [Fact]
    public void GoogLeNetWeightsAreBitIdenticalAfterTwoSteps()
    {
        float[] Train()
        {
            using var pool = new WorkerPool(2);
            var network = new GoogLeNet(maxBatch: 1, seed: 5, pool: pool) { DropoutSeed = 3 };
            var images = Images(3 * GoogLeNet.InputLength, 17);
            var optimizer = new SgdMomentum(0.01f, momentum: 0.9f);
            for (var step = 0; step < 2; step++)
            {
                network.TrainStep(images, [1, 500, 999], 3, optimizer);
            }

            return network.Parameters.ReadOnlySpan.ToArray();
        }

        Differential.AssertBitwiseEqual(Train(), Train(), "GoogLeNet weights after 2 steps");
    }

    private static float[] TrainSmall(int threads, ulong dropoutSeed = 9)
    {
        using var pool = new WorkerPool(threads);
        var network = new SmallInceptionNet(maxBatch: 1, seed: 4, pool: pool) { DropoutSeed = dropoutSeed };
        var images = Images(5 * SmallInceptionNet.InputLength, 8);
        var optimizer = new SgdMomentum(0.05f, momentum: 0.9f, weightDecay: 1e-4f);
        for (var step = 0; step < 4; step++)
        {
            network.TrainStep(images, [0, 1, 2, 3, 4], 5, optimizer);
        }

        return network.Parameters.ReadOnlySpan.ToArray();
    }

    internal static float[] Images(int length, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, length).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
    }
}
