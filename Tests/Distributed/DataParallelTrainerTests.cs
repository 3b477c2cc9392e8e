using InceptionGen.Distributed;
using InceptionGen.Tests.Network;
using InceptionGen.Tests.TrainingRuns;
using InceptionGen.Threading;
using InceptionGen.Training;
using Xunit;

namespace InceptionGen.Tests.Distributed;

/// <summary>
/// The data-parallel trainer in one process (<see cref="Communicator.Single"/>): its reduction rule, which the
/// multi-process runs of .ci/mpi-tests hold to across processes.
/// </summary>
public sealed class DataParallelTrainerTests
{
    private const int Batch = 8;

    [Fact]
    public void OneShardIsTheSingleProcessTrainStep()
    {
        float[] Train(bool parallel)
        {
            using var pool = new WorkerPool(2);
            var network = new SmallInceptionNet(maxBatch: Batch, seed: 4, pool: pool) { DropoutSeed = 9 };
            using var trainer = new DataParallelTrainer(network, Communicator.Single, Batch, shards: 1);
            var optimizer = new SgdMomentum(0.05f, momentum: 0.9f);
            var (images, labels) = BatchData(1);
            for (var step = 0; step < 3; step++)
            {
                _ = parallel ? trainer.TrainStep(images, labels, optimizer) : network.TrainStep(images, labels, Batch, optimizer);
            }

            return network.Parameters.ReadOnlySpan.ToArray();
        }

        Differential.AssertBitwiseEqual(Train(false), Train(true), "weights after 3 steps, TrainStep and one shard");
    }

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    public void ShardGradientsAreAddedInTreeOrderAndAveraged(int shards)
    {
        var (images, labels) = BatchData(2);
        var shardBatch = Batch / shards;
        var network = new SmallInceptionNet(maxBatch: Batch, seed: 4) { DropoutSeed = 9, TrainingStep = 5 };

        // What the rule says: shard s's own Backward (its dropout seed, the same step), a tree over shards, 1/shards.
        var expected = new float[shards][];
        for (var shard = 0; shard < shards; shard++)
        {
            network.DropoutSeed = DataParallelTrainer.ShardDropoutSeed(9, shard);
            network.TrainingStep = 5;
            network.Backward(images.AsSpan(shard * shardBatch * SmallInceptionNet.InputLength, shardBatch * SmallInceptionNet.InputLength), labels.AsSpan(shard * shardBatch, shardBatch), shardBatch);
            expected[shard] = network.Gradients.ReadOnlySpan.ToArray();
        }

        Communicator.SumInTreeOrder(expected);
        var mean = expected[0].Select(g => g * (1f / shards)).ToArray();

        network.DropoutSeed = 9;
        network.TrainingStep = 5;
        var recorder = new RecordingOptimizer();
        using var trainer = new DataParallelTrainer(network, Communicator.Single, Batch, shards);
        var loss = trainer.TrainStep(images, labels, recorder);

        Differential.AssertBitwiseEqual(mean, recorder.Gradients!, $"gradient of {shards} shards");
        Assert.Equal(9UL, network.DropoutSeed);
        Assert.Equal(6L, network.TrainingStep);
        Assert.True(float.IsFinite(loss.Total) && loss.Total > 0, $"loss {loss.Total}");
        Assert.NotEqual(DataParallelTrainer.ShardDropoutSeed(9, 0), DataParallelTrainer.ShardDropoutSeed(9, 1));
    }

    [Fact]
    public void AlignedBlocksSummedFirstGiveTheSameTreeSum()
    {
        // Why the rank count does not matter: ranks holding aligned power-of-two blocks of shards add their block
        // first, then join the tree over ranks; that is the tree over all shards, bit for bit.
        var random = new Random(3);
        float[][] Items() => Enumerable.Range(0, 8).Select(_ => Enumerable.Range(0, 257).Select(_ => (float)(random.NextDouble() * 2e3 - 1e3) * (float)Math.Pow(10, random.Next(-6, 6))).ToArray()).ToArray();
        var items = Items();
        var whole = items.Select(item => item.ToArray()).ToArray();
        Communicator.SumInTreeOrder(whole);
        foreach (var blockSize in new[] { 1, 2, 4, 8 })
        {
            var partial = items.Chunk(blockSize).Select(block =>
            {
                var copy = block.Select(item => item.ToArray()).ToArray();
                Communicator.SumInTreeOrder(copy);
                return copy[0];
            }).ToArray();
            Communicator.SumInTreeOrder(partial);
            Differential.AssertBitwiseEqual(whole[0], partial[0], $"tree sum of 8 items in blocks of {blockSize}");
        }

        var sequential = items[0].ToArray();
        for (var i = 1; i < items.Length; i++)
        {
            System.Numerics.Tensors.TensorPrimitives.Add(sequential, items[i], sequential);
        }

        Assert.False(sequential.AsSpan().SequenceEqual(whole[0]), "the data should make the summation order visible");
    }

    [Theory]
    [InlineData(3, 9, "power-of-two")]
    [InlineData(3, 6, "power-of-two")]
    [InlineData(4, 6, "does not split")]
    [InlineData(2, 20, "larger than the network's maximum batch")]
    public void ImpossibleShardingsAreRefused(int shards, int batch, string reason)
    {
        var network = new SmallInceptionNet(maxBatch: Batch, seed: 4);
        var error = Assert.Throws<ArgumentException>(() => new DataParallelTrainer(network, Communicator.Single, batch, shards));
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheDescriptionChangesWithWeightsAndOptimizer()
    {
        var network = new SmallInceptionNet(maxBatch: Batch, seed: 4);
        var optimizer = new SgdMomentum(0.05f, momentum: 0.9f);
        var description = RunAgreement.Describe(network, optimizer);
        RunAgreement.Check(Communicator.Single, description);
        Assert.NotEqual(description, RunAgreement.Describe(new SmallInceptionNet(maxBatch: Batch, seed: 5), optimizer));
        Assert.NotEqual(description, RunAgreement.Describe(network, new SgdMomentum(0.01f, momentum: 0.9f)));
        Assert.Contains("parameter_sha256=", description, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    public void BatchNormRunningStatisticsTakeTheMeanChangeOverShards(int shards)
    {
        var inputLength = SmallBatchNormNet.InputLength;
        var images = DeterminismTests.Images(Batch * inputLength, 6);
        var labels = Enumerable.Range(0, Batch).Select(i => (i * 3 + 1) % 5).ToArray();
        var shardBatch = Batch / shards;
        var network = new SmallBatchNormNet(maxBatch: Batch, seed: 4) { DropoutSeed = 9 };
        var buffers = network.Parameters.Tensors.Where(tensor => tensor.Role.IsBuffer()).ToArray();
        Assert.Contains(buffers, tensor => tensor.Role == ParameterRole.BatchCount);
        float[] Buffers() => [.. buffers.SelectMany(tensor => network.Parameters.ReadOnlySpan.Slice(tensor.Offset, tensor.Length).ToArray())];
        var start = network.Parameters.ReadOnlySpan.ToArray();
        var before = Buffers();

        // What the rule says: every shard's Backward from the same start, then start + the tree-summed changes / shards.
        var changes = new float[shards][];
        for (var shard = 0; shard < shards; shard++)
        {
            start.CopyTo(network.Parameters.Span);
            network.DropoutSeed = DataParallelTrainer.ShardDropoutSeed(9, shard);
            network.TrainingStep = 0;
            network.Backward(images.AsSpan(shard * shardBatch * inputLength, shardBatch * inputLength), labels.AsSpan(shard * shardBatch, shardBatch), shardBatch);
            changes[shard] = [.. Buffers().Zip(before, (after, at) => after - at)];
        }

        Assert.False(changes[0].AsSpan().SequenceEqual(changes[1]), "the shards' batches should move the statistics differently");
        Communicator.SumInTreeOrder(changes);
        var expected = before.Zip(changes[0], (at, change) => at + change * (1f / shards)).ToArray();

        start.CopyTo(network.Parameters.Span);
        network.DropoutSeed = 9;
        network.TrainingStep = 0;
        using var trainer = new DataParallelTrainer(network, Communicator.Single, Batch, shards);
        trainer.TrainStep(images, labels, new RecordingOptimizer());

        Differential.AssertBitwiseEqual(expected, Buffers(), $"running statistics after a step of {shards} shards");
        var count = buffers.First(tensor => tensor.Role == ParameterRole.BatchCount);
        Assert.Equal(1f, network.Parameters.ReadOnlySpan[count.Offset]);
    }

    [Fact]
    public void FrozenBatchNormStatisticsStayBitForBitOverShards()
    {
        var network = new SmallBatchNormNet(maxBatch: Batch, seed: 4) { FreezeBatchNorm = true };
        var images = DeterminismTests.Images(Batch * SmallBatchNormNet.InputLength, 7);
        var labels = Enumerable.Range(0, Batch).Select(i => i % 5).ToArray();
        var before = network.Parameters.Tensors.Where(tensor => tensor.Role.IsBuffer()).Select(tensor => network.Parameters.ReadOnlySpan.Slice(tensor.Offset, tensor.Length).ToArray()).ToArray();
        using var trainer = new DataParallelTrainer(network, Communicator.Single, Batch, shards: 4);
        trainer.TrainStep(images, labels, new RecordingOptimizer());
        var after = network.Parameters.Tensors.Where(tensor => tensor.Role.IsBuffer()).Select(tensor => network.Parameters.ReadOnlySpan.Slice(tensor.Offset, tensor.Length).ToArray()).ToArray();
        for (var i = 0; i < before.Length; i++)
        {
            Differential.AssertBitwiseEqual(before[i], after[i], "a frozen BatchNorm buffer");
        }
    }

    private static (float[] Images, int[] Labels) BatchData(int seed)
        => (DeterminismTests.Images(Batch * SmallInceptionNet.InputLength, seed), Enumerable.Range(0, Batch).Select(i => (i * 3 + seed) % 5).ToArray());

    private sealed class RecordingOptimizer : IOptimizer
    {
        public float[]? Gradients { get; private set; }

        public long StepCount { get; private set; }

        public float LearningRate { get; set; }

        public void Step(ParameterStore parameters, ReadOnlySpan<float> gradients)
        {
            Gradients = gradients.ToArray();
            StepCount++;
        }
    }
}
