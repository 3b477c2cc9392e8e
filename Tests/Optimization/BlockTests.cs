using InceptionGen.Tests.Network;
using InceptionGen.Training;
using Xunit;
using static InceptionGen.Tests.Optimization.OptimizerTestData;

namespace InceptionGen.Tests.Optimization;

/// <summary>
/// What holds for every optimizer, whatever its formula: no allocation after the first step, bit-identical
/// results from the same inputs and for the same values anywhere in the block, the store's version moving
/// on each step (so a network repacks its weights), and argument checks. In the allocation collection, which runs
/// alone: the allocation check reads the process-wide counter.
/// </summary>
[Collection(AllocationCollection.Name)]
public class BlockTests
{
    public static TheoryData<string> Optimizers => new() { "sgd", "sgd-nesterov", "sgd-plain", "adam", "adamw" };

    /// <summary>Each kind with weight decay on and biases excluded, so every branch of its update runs.</summary>
    private static BlockOptimizer Create(string kind) => kind switch
    {
        "sgd" => new SgdMomentum(0.05f, 0.9f, weightDecay: 0.01f, decayBiases: false),
        "sgd-nesterov" => new SgdMomentum(0.05f, 0.9f, weightDecay: 0.01f, nesterov: true, decayBiases: false),
        "sgd-plain" => new SgdMomentum(0.05f, 0f, weightDecay: 0.01f, decayBiases: false),
        "adam" => new Adam(0.01f, weightDecay: 0.01f, decayBiases: false),
        "adamw" => Adam.AdamW(0.01f, weightDecay: 0.01f, decayBiases: false),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>
    /// A block over several chunks with weights and biases: tensors of 2500 (weights), 7 (bias), 2500
    /// (weights) and 1000 (bias) floats.
    /// </summary>
    private static ParameterStore LargeStore(int seed) =>
        Store(seed, ("A.Weights", 2500, ParameterRole.Weight), ("A.Bias", 7, ParameterRole.Bias), ("B.Weights", 2500, ParameterRole.Weight), ("B.Bias", 1000, ParameterRole.Bias));

    /// <summary>
    /// After the first step (which allocates the state), steps allocate nothing on any thread (the probe is
    /// checked by <see cref="AllocationProbeTests"/>).
    /// </summary>
    [Theory]
    [MemberData(nameof(Optimizers))]
    public void StepsAfterTheFirstAllocateNothing(string kind)
    {
        var store = LargeStore(seed: 6);
        var gradients = Gradients(store, seed: 7);
        var optimizer = Create(kind);
        optimizer.Step(store, gradients);
        optimizer.Step(store, gradients);

        var allocated = Allocations.Measure(() =>
        {
            for (var step = 0; step < 20; step++)
            {
                optimizer.LearningRate = 0.01f / (step + 1);
                optimizer.Step(store, gradients);
            }
        });

        Assert.True(allocated == 0, $"{kind}: 20 steps allocated {allocated} bytes.");
        // Measure may run the 20 steps more than once (its least over a few runs).
        Assert.True(optimizer.StepCount >= 22 && (optimizer.StepCount - 2) % 20 == 0, $"{optimizer.StepCount} steps counted");
    }

    /// <summary>The first step allocates state as long as the block; before it the state is empty.</summary>
    [Fact]
    public void StateIsLaidOutLikeTheParameters()
    {
        var store = SmallStore(seed: 8);
        var sgd = new SgdMomentum(0.1f);
        var adam = new Adam();
        Assert.Equal(0, sgd.Velocity.Length);
        Assert.Equal(0, adam.FirstMoment.Length);
        Assert.Equal(0, adam.SecondMoment.Length);

        var gradients = Gradients(store, seed: 9);
        sgd.Step(store, gradients);
        adam.Step(SmallStore(seed: 8), gradients);
        Assert.Equal(store.Length, sgd.Velocity.Length);
        Assert.Equal(store.Length, adam.FirstMoment.Length);
        Assert.Equal(store.Length, adam.SecondMoment.Length);

        // Same offsets: after one SGD step from zero velocity, v = g element for element; Adam's m = (1 − β₁)g.
        AssertBitwiseEqual(gradients, sgd.Velocity, "velocity after one step");
        for (var i = 0; i < gradients.Length; i++)
        {
            Assert.Equal(gradients[i] * (1 - 0.9f), adam.FirstMoment[i]);
        }
    }

    /// <summary>Two optimizers given the same start and gradients end bit for bit the same, state included.</summary>
    [Theory]
    [MemberData(nameof(Optimizers))]
    public void SameInputsGiveBitIdenticalResults(string kind)
    {
        var (first, firstState) = RunLarge(kind);
        var (second, secondState) = RunLarge(kind);
        AssertBitwiseEqual(first.ReadOnlySpan, second.ReadOnlySpan, $"{kind}: parameters");
        Assert.Equal(firstState.Length, secondState.Length);
        for (var i = 0; i < firstState.Length; i++)
        {
            AssertBitwiseEqual(firstState[i], secondState[i], $"{kind}: state block {i}");
        }

        // And the run did move the parameters.
        Assert.True(MaxDifference(first, first.ReadOnlySpan, ToDouble(LargeStore(seed: 10).ReadOnlySpan)) > 1e-3);
    }

    /// <summary>
    /// An update depends only on each value's own inputs: two tensors holding the same values and gradients
    /// at different offsets end bit for bit equal. B starts at 2512, which is not a multiple of 32, so any
    /// power-of-two chunking from 32 floats up cuts the two tensors at different elements.
    /// </summary>
    [Theory]
    [MemberData(nameof(Optimizers))]
    public void ResultsDoNotDependOnThePositionInTheBlock(string kind)
    {
        var store = Store(seed: 11, ("A.Weights", 2500, ParameterRole.Weight), ("B.Weights", 2500, ParameterRole.Weight));
        var a = store.Tensors[0];
        var b = store.Tensors[1];
        Assert.Equal(2512, b.Offset);
        store[a].CopyTo(store[b]);
        var optimizer = Create(kind);
        for (var step = 0; step < 5; step++)
        {
            var gradients = Gradients(store, seed: 12 + step);
            gradients.AsSpan(a.Offset, a.Length).CopyTo(gradients.AsSpan(b.Offset, b.Length));
            optimizer.Step(store, gradients);
        }

        AssertBitwiseEqual(store.ReadOnlySpan.Slice(a.Offset, a.Length), store.ReadOnlySpan.Slice(b.Offset, b.Length), $"{kind}: B against A");
    }

    /// <summary>Every step takes the writable span, so the store's version moves on each one.</summary>
    [Theory]
    [MemberData(nameof(Optimizers))]
    public void EachStepMovesTheStoreVersion(string kind)
    {
        var store = SmallStore(seed: 13);
        var optimizer = Create(kind);
        var gradients = Gradients(store, seed: 14);
        for (var step = 0; step < 4; step++)
        {
            var before = store.Version;
            optimizer.Step(store, gradients);
            Assert.True(store.Version > before, $"{kind}, step {step + 1}: the version stayed at {before}.");
        }
    }

    /// <summary>
    /// End to end on a generated network: forward (which packs the weights), one step, forward again. The
    /// second output differs from the first and matches the plain reference on the updated weights, so the
    /// network saw the step and repacked.
    /// </summary>
    [Theory]
    [MemberData(nameof(Optimizers))]
    public void ANetworkSeesTheUpdatedWeights(string kind)
    {
        var net = new SmallGappedNet(maxBatch: 1, seed: 15);
        Differential.RandomizeBiases(net.Parameters, seed: 16);
        var image = Differential.RandomInput(seed: 17, SmallGappedNet.InputLength);
        var before = new float[SmallGappedNet.OutputLength];
        net.Forward(image, before, 1);

        var optimizer = Create(kind);
        optimizer.LearningRate = 0.2f;
        optimizer.Step(net.Parameters, Gradients(net.Parameters, seed: 18));

        var after = new float[SmallGappedNet.OutputLength];
        net.Forward(image, after, 1);
        var expected = SmallNetReference.Forward(net, image);
        Differential.AssertClose(after, expected, $"{kind}: forward after the step");
        var moved = Enumerable.Range(0, after.Length).Max(i => Math.Abs(after[i] - before[i]));
        Assert.True(moved > 100 * Differential.RelativeTolerance * expected.Max(Math.Abs), $"{kind}: the output moved only {moved:G3}.");
    }

    [Fact]
    public void AGradientBlockOfAnotherLengthIsRejectedBeforeAnythingChanges()
    {
        var store = SmallStore(seed: 19);
        var values = store.ReadOnlySpan.ToArray();
        var version = store.Version;
        var optimizer = new SgdMomentum(0.1f);
        Assert.Throws<ArgumentException>(() => optimizer.Step(store, new float[store.Length - 1]));
        Assert.Throws<ArgumentException>(() => optimizer.Step(store, new float[store.Length + 16]));
        Assert.Equal(0, optimizer.StepCount);
        Assert.Equal(version, store.Version);
        AssertBitwiseEqual(values, store.ReadOnlySpan, "parameters");
    }

    [Theory]
    [MemberData(nameof(Optimizers))]
    public void StateForOneBlockLengthIsNotUsedOnAnother(string kind)
    {
        var optimizer = Create(kind);
        var small = SmallStore(seed: 20);
        optimizer.Step(small, Gradients(small, seed: 21));
        var large = LargeStore(seed: 22);
        Assert.Throws<ArgumentException>(() => optimizer.Step(large, Gradients(large, seed: 23)));
        Assert.Equal(1, optimizer.StepCount);
    }

    [Fact]
    public void HyperparametersOutsideTheirRangeAreRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new SgdMomentum(-0.1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SgdMomentum(float.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SgdMomentum(0.1f, momentum: 1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SgdMomentum(0.1f, momentum: -0.1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SgdMomentum(0.1f, weightDecay: -1e-4f));
        Assert.Throws<ArgumentException>(() => new SgdMomentum(0.1f, momentum: 0f, nesterov: true));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Adam(beta1: 1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Adam(beta2: 1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Adam(epsilon: 0f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Adam(weightDecay: float.PositiveInfinity));

        var optimizer = new Adam();
        Assert.Throws<ArgumentOutOfRangeException>(() => optimizer.LearningRate = -1e-3f);
        Assert.Throws<ArgumentOutOfRangeException>(() => optimizer.LearningRate = float.PositiveInfinity);
        optimizer.LearningRate = 0f;
        Assert.Equal(0f, optimizer.LearningRate);
    }

    [Fact]
    public void DecaysFollowsTheRoleAndTheSetting()
    {
        var weight = new ParameterTensor("W", 0, [4], ParameterRole.Weight, 4, false, false);
        var bias = new ParameterTensor("B", 16, [4], ParameterRole.Bias, 4, false, false);
        Assert.True(new SgdMomentum(0.1f, weightDecay: 1e-4f).Decays(bias));
        Assert.False(new SgdMomentum(0.1f, weightDecay: 1e-4f, decayBiases: false).Decays(bias));
        Assert.True(new SgdMomentum(0.1f, weightDecay: 1e-4f, decayBiases: false).Decays(weight));
        Assert.False(new SgdMomentum(0.1f).Decays(weight));
    }

    /// <summary>Runs <paramref name="kind"/> for 5 steps on <see cref="LargeStore"/>; returns the store and the optimizer's state blocks.</summary>
    private static (ParameterStore Store, float[][] State) RunLarge(string kind)
    {
        var store = LargeStore(seed: 10);
        var optimizer = Create(kind);
        for (var step = 0; step < 5; step++)
        {
            optimizer.Step(store, Gradients(store, seed: 30 + step));
        }

        float[][] state = optimizer switch
        {
            SgdMomentum sgd => [sgd.Velocity.ToArray()],
            Adam adam => [adam.FirstMoment.ToArray(), adam.SecondMoment.ToArray()],
            _ => throw new InvalidOperationException(),
        };
        return (store, state);
    }
}
