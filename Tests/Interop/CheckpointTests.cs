using InceptionGen.Interop;
using InceptionGen.Tests.Network;
using InceptionGen.Tests.TrainingRuns;
using InceptionGen.Training;
using Xunit;

namespace InceptionGen.Tests.Interop;

public sealed class CheckpointTests
{
    private const int Batch = 5;
    private static readonly int[] s_labels = [0, 1, 2, 3, 4];

    public static TheoryData<string> Optimizers => new() { "sgd", "nesterov", "adam", "adamw" };

    private static IOptimizerState NewOptimizer(string kind) => kind switch
    {
        "sgd" => new SgdMomentum(0.05f, momentum: 0.9f, weightDecay: 1e-4f),
        "nesterov" => new SgdMomentum(0.05f, momentum: 0.9f, nesterov: true),
        "adam" => new Adam(1e-2f, weightDecay: 1e-4f),
        _ => Adam.AdamW(1e-2f),
    };

    private static SmallInceptionNet NewNetwork(ulong seed) => new(maxBatch: 1, seed: seed) { DropoutSeed = 9 };

    [Theory]
    [MemberData(nameof(Optimizers))]
    public void ResumingMatchesAnUninterruptedRunBitForBit(string kind)
    {
        var images = DeterminismTests.Images(Batch * SmallInceptionNet.InputLength, 8);

        var uninterrupted = NewNetwork(4);
        var optimizer = NewOptimizer(kind);
        for (var step = 0; step < 4; step++)
        {
            uninterrupted.TrainStep(images, s_labels, Batch, optimizer);
        }

        using var directory = new TempDirectory();
        var path = directory.File("run.ckpt.safetensors");
        var first = NewNetwork(4);
        var firstOptimizer = NewOptimizer(kind);
        for (var step = 0; step < 2; step++)
        {
            first.TrainStep(images, s_labels, Batch, firstOptimizer);
        }

        Checkpoint.Save(path, first.Parameters, firstOptimizer, new CheckpointState(Step: 2, Epoch: 1, first.DropoutSeed, first.TrainingStep));
        Assert.Equal(new[] { "run.ckpt.safetensors" }, Directory.GetFiles(directory.Path).Select(file => Path.GetFileName(file)).ToArray());

        var resumed = new SmallInceptionNet(maxBatch: 1, seed: 77);
        var resumedOptimizer = NewOptimizer(kind);
        resumedOptimizer.LearningRate = 0.5f;
        var state = Checkpoint.Load(path, resumed.Parameters, resumedOptimizer);
        Assert.Equal(new CheckpointState(2, 1, 9, first.TrainingStep), state);
        Assert.Equal(2, resumedOptimizer.StepCount);
        Assert.Equal(firstOptimizer.LearningRate, resumedOptimizer.LearningRate);
        resumed.DropoutSeed = state.RngSeed;
        resumed.TrainingStep = state.RngStep;
        for (var step = 0; step < 2; step++)
        {
            resumed.TrainStep(images, s_labels, Batch, resumedOptimizer);
        }

        Differential.AssertBitwiseEqual(uninterrupted.Parameters.ReadOnlySpan, resumed.Parameters.ReadOnlySpan, $"{kind}: resumed weights");
        for (var index = 0; index < optimizer.StateNames.Count; index++)
        {
            Differential.AssertBitwiseEqual(optimizer.GetState(index), resumedOptimizer.GetState(index), $"{kind}: resumed {optimizer.StateNames[index]}");
        }
    }

    [Fact]
    public void ResumingWithoutTheOptimizerStateWouldDiverge()
    {
        // The control for the test above: the state the checkpoint carries matters to the result.
        var images = DeterminismTests.Images(Batch * SmallInceptionNet.InputLength, 8);
        var uninterrupted = NewNetwork(4);
        var optimizer = NewOptimizer("sgd");
        for (var step = 0; step < 4; step++)
        {
            uninterrupted.TrainStep(images, s_labels, Batch, optimizer);
        }

        var restarted = NewNetwork(4);
        var firstOptimizer = NewOptimizer("sgd");
        for (var step = 0; step < 2; step++)
        {
            restarted.TrainStep(images, s_labels, Batch, firstOptimizer);
        }

        var freshOptimizer = NewOptimizer("sgd");
        for (var step = 0; step < 2; step++)
        {
            restarted.TrainStep(images, s_labels, Batch, freshOptimizer);
        }

        Assert.NotEqual(uninterrupted.Parameters.ReadOnlySpan.ToArray(), restarted.Parameters.ReadOnlySpan.ToArray());
    }

    [Fact]
    public void ACorruptCheckpointChangesNothing()
    {
        var images = DeterminismTests.Images(Batch * SmallInceptionNet.InputLength, 8);
        using var directory = new TempDirectory();
        var path = directory.File("run.ckpt");
        var network = NewNetwork(4);
        var optimizer = NewOptimizer("adam");
        network.TrainStep(images, s_labels, Batch, optimizer);
        Checkpoint.Save(path, network.Parameters, optimizer, new CheckpointState(1, 0, 9, network.TrainingStep));

        var bytes = File.ReadAllBytes(path);
        bytes[^3] ^= 0x10;
        File.WriteAllBytes(path, bytes);

        var target = NewNetwork(5);
        var targetOptimizer = NewOptimizer("adam");
        target.TrainStep(images, s_labels, Batch, targetOptimizer);
        var weights = target.Parameters.ReadOnlySpan.ToArray();
        var moment = targetOptimizer.GetState(0).ToArray();
        var exception = Assert.Throws<SafeTensorsException>(() => Checkpoint.Load(path, target.Parameters, targetOptimizer));
        Assert.Contains("checksum", exception.Message);
        Differential.AssertBitwiseEqual(weights, target.Parameters.ReadOnlySpan, "weights after a refused load");
        Differential.AssertBitwiseEqual(moment, targetOptimizer.GetState(0), "first moment after a refused load");
        Assert.Equal(1, targetOptimizer.StepCount);
    }

    [Fact]
    public void ACheckpointOfAnotherOptimizerOrNetworkIsRefused()
    {
        using var directory = new TempDirectory();
        var path = directory.File("run.ckpt");
        var network = NewNetwork(4);
        var optimizer = NewOptimizer("sgd");
        network.TrainStep(DeterminismTests.Images(SmallInceptionNet.InputLength, 1), [0], 1, optimizer);
        Checkpoint.Save(path, network.Parameters, optimizer, new CheckpointState(1, 0, 9, 1));

        var adam = NewOptimizer("adam");
        var exception = Assert.Throws<SafeTensorsException>(() => Checkpoint.Load(path, NewNetwork(4).Parameters, adam));
        Assert.Contains("SgdMomentum optimizer, not of a Adam", exception.Message);
        Assert.Equal(0, adam.StepCount);

        var other = new SmallGappedNet(maxBatch: 1, seed: 1);
        exception = Assert.Throws<SafeTensorsException>(() => Checkpoint.Load(path, other.Parameters, NewOptimizer("sgd")));
        Assert.Contains("another network", exception.Message);
    }

    [Fact]
    public void RestoreStateChecksBeforeChanging()
    {
        var optimizer = new Adam();
        Assert.Throws<ArgumentException>(() => optimizer.RestoreState(3, [new float[16]]));
        Assert.Throws<ArgumentException>(() => optimizer.RestoreState(3, [new float[16], new float[32]]));
        Assert.Equal(0, optimizer.StepCount);
        optimizer.RestoreState(3, [new float[16], Enumerable.Repeat(2f, 16).ToArray()]);
        Assert.Equal(3, optimizer.StepCount);
        Assert.Equal(2f, optimizer.GetState(1)[15]);
    }
}
