using InceptionGen.Definitions;
using System.Diagnostics;
using InceptionGen.Diagnostics;
using InceptionGen.Tests.Network;
using InceptionGen.Threading;
using InceptionGen.Training;
using Xunit;

namespace InceptionGen.Tests.TrainingRuns;

/// <summary>
/// Per-op timing of a training step (what <c>bench --train --layers</c> and <c>compare --layers</c> print): the
/// generated code's pool indices must be the ones <see cref="OperationProfile"/> decodes.
/// </summary>
public sealed class OperationProfileTests
{
    [Fact]
    public void ATrainingStepIsTimedPerOpAndPhaseAndTheWholeNetworkWorkByName()
    {
        using var pool = new WorkerPool(2);
        var network = new SmallInceptionNet(maxBatch: 1, seed: 1, pool: pool);
        var images = DeterminismTests.Images(5 * SmallInceptionNet.InputLength, 2);
        int[] labels = [0, 1, 2, 3, 4];
        var optimizer = new SgdMomentum(0.01f, momentum: 0.9f);
        network.TrainStep(images, labels, 5, optimizer);

        OperationProfile.Start(pool, network);
        var clock = Stopwatch.StartNew();
        network.TrainStep(images, labels, 5, optimizer);
        network.TrainStep(images, labels, 5, optimizer);
        var wallMs = clock.Elapsed.TotalMilliseconds / 2;
        var times = OperationProfile.Read(pool, network, runs: 2);

        // Every op that runs in training has a forward time; every convolution and Linear layer both gradients.
        var forward = times.Where(time => time.Phase == OperationPhase.Forward).Select(time => time.Index).ToHashSet();
        var withWeights = SmallInceptionNet.Operations.Select((operation, index) => (operation, index)).Where(pair => pair.operation.MultiplyAdds > 0).ToList();
        Assert.NotEmpty(withWeights);
        foreach (var (operation, index) in withWeights)
        {
            Assert.Contains(index, forward);
            Assert.Contains(times, time => time.Index == index && time.Phase == OperationPhase.InputGradient);
            Assert.Contains(times, time => time.Index == index && time.Phase == OperationPhase.WeightGradient && time.Operation == operation);
        }

        // The parameters moved, so the weights were repacked for both passes and the weight gradients gathered.
        var networkWork = times.Where(time => time.Phase == OperationPhase.Network).Select(time => time.Operation.Name).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["(gather weight gradients)", "(pack transposed weights)", "(pack weights)"], networkWork);
        // Times, not speeds: a listed op was timed (a clock can read 0 for a short op on a coarse or emulated timer), the
        // whole step took time, and the parts, each a wall-clock interval on the caller, fit in the step.
        Assert.All(times, time => Assert.True(time.Milliseconds >= 0 && double.IsFinite(time.Milliseconds), $"{time.Operation.Name} {time.Phase}: {time.Milliseconds} ms"));
        Assert.True(times.Sum(time => time.Milliseconds) > 0, "no op took any time");
        Assert.True(times.Sum(time => time.Milliseconds) <= wallMs, $"the ops took {times.Sum(time => time.Milliseconds):F3} ms of a {wallMs:F3} ms step");
    }

    [Fact]
    public void EveryTrainedTensorHasOneWeightGradientRunAndOnlyLinearGradientsAreWrittenInPlace()
    {
        // The operation table is how the profiler, --freeze and the MPI overlap find backward runs: check it against
        // the parameter block instead of trusting the numbering convention.
        void Check(INetwork network)
        {
            var trained = network.Parameters.Tensors.Where(tensor => !tensor.Role.IsBuffer()).Select(tensor => tensor.Name).Order(StringComparer.Ordinal).ToList();
            var named = network.Operations.SelectMany(operation => operation.Parameters).Order(StringComparer.Ordinal).ToList();
            Assert.Equal(trained, named);
            var numbers = network.Operations.SelectMany(operation => new[] { operation.InputGradientOperation, operation.WeightGradientOperation }).Where(number => number >= 0).ToList();
            Assert.Equal(numbers.Count, numbers.Distinct().Count());
            Assert.DoesNotContain(numbers, number => number < network.Operations.Count);
            foreach (var operation in network.Operations)
            {
                Assert.True(operation.InputGradientOperation >= 0, $"{operation.Name} has no input-gradient run");
                Assert.Equal(operation.Parameters.Count > 0, operation.WeightGradientOperation >= 0);
                Assert.Equal(operation.Description.StartsWith("linear ", StringComparison.Ordinal), operation.WritesGradientsInPlace);
            }
        }

        Check(new GoogLeNet(maxBatch: 1, seed: 1));
        Check(new SmallBatchNormNet(maxBatch: 1, seed: 1));
    }

    [Fact]
    public void ProfilingBeforeStartIsRefusedAndIndicesBeyondTheNetworkAreAnError()
    {
        using var pool = new WorkerPool(1);
        var network = new SmallInceptionNet(maxBatch: 1, seed: 1, pool: pool);
        Assert.Empty(OperationProfile.Read(pool, network, runs: 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => OperationProfile.Read(pool, network, runs: 0));

        // A pool index past the network's ops (another network's profile read against this one) is not guessed at.
        pool.StartProfiling(SmallInceptionNet.Schedule.BackwardOperationBase + 2 * SmallInceptionNet.Operations.Count + 2);
        pool.Run(new NoWork(), SmallInceptionNet.Schedule.BackwardOperationBase + 2 * SmallInceptionNet.Operations.Count, 1);
        var error = Assert.Throws<InvalidOperationException>(() => OperationProfile.Read(pool, network, runs: 1));
        Assert.Contains("no op of SmallInceptionNet", error.Message, StringComparison.Ordinal);
    }

    private sealed class NoWork : IRangeWork
    {
        public void Execute(int operation, int begin, int end) => Thread.SpinWait(1000);
    }
}
