using InceptionGen.Training;
using Xunit;
using static InceptionGen.Tests.Optimization.OptimizerTestData;

namespace InceptionGen.Tests.Optimization;

/// <summary>
/// <see cref="SgdMomentum"/> and <see cref="Adam"/> against <see cref="TorchReference"/> over several steps on
/// <see cref="OptimizerTestData.SmallStore"/> (two weights, two biases, four gaps), with the learning rate
/// changed between steps as a schedule would. After every step: the parameters and the exposed state match
/// the reference within <see cref="OptimizerTestData.Tolerance"/>, and every gap is still exactly +0.
/// </summary>
public class ReferenceTests(ITestOutputHelper output)
{
    /// <summary>Learning rates of successive steps, relative to the case's base rate.</summary>
    private static readonly double[] RateMultipliers = [1, 1, 0.5, 2, 1, 0.25, 1, 1];

    [Theory]
    [InlineData(0.9f, 0f, false, true)]
    [InlineData(0.9f, 0.05f, false, true)]
    [InlineData(0.9f, 0.05f, false, false)]
    [InlineData(0.9f, 0.05f, true, true)]
    [InlineData(0.9f, 0.05f, true, false)]
    [InlineData(0.5f, 0f, true, true)]
    [InlineData(0f, 0.05f, false, true)]
    public void SgdMomentumMatchesPyTorch(float momentum, float weightDecay, bool nesterov, bool decayBiases)
    {
        const float baseRate = SgdRate;
        var store = SmallStore(SgdSeed);
        var theta = ToDouble(store.ReadOnlySpan);
        var optimizer = new SgdMomentum(baseRate, momentum, weightDecay, nesterov, decayBiases);
        var reference = new TorchReference.Sgd(momentum, weightDecay, nesterov, decayBiases ? TorchReference.All : TorchReference.WeightsOnly);
        Assert.True(optimizer.Velocity.IsEmpty);

        var worst = 0.0;
        for (var step = 0; step < RateMultipliers.Length; step++)
        {
            var rate = (float)(baseRate * RateMultipliers[step]);
            var gradients = Gradients(store, seed: SgdSeed * 100 + step);
            optimizer.LearningRate = rate;
            optimizer.Step(store, gradients);
            reference.Step(store.Tensors, theta, gradients, rate);

            Assert.Equal(step + 1, optimizer.StepCount);
            worst = Math.Max(worst, AssertClose(store, store.ReadOnlySpan, theta, $"step {step + 1}: parameters"));
            AssertGapsZero(store, store.ReadOnlySpan, $"step {step + 1}: parameters");
            if (momentum == 0)
            {
                // Plain SGD keeps no velocity, as PyTorch keeps no momentum buffer.
                Assert.True(optimizer.Velocity.IsEmpty, $"step {step + 1}: μ = 0 but there is a velocity of {optimizer.Velocity.Length}.");
            }
            else
            {
                AssertClose(store, optimizer.Velocity, reference.Buffer, $"step {step + 1}: velocity");
                AssertGapsZero(store, optimizer.Velocity, $"step {step + 1}: velocity");
            }
        }

        output.WriteLine($"max |optimizer − reference| over {RateMultipliers.Length} steps: {worst:G3}");
    }

    [Theory]
    [InlineData(0.9f, 0.999f, 1e-8f, 0f, false, true)]
    [InlineData(0.9f, 0.999f, 1e-8f, 0.05f, false, true)]
    [InlineData(0.9f, 0.999f, 1e-8f, 0.05f, false, false)]
    [InlineData(0.9f, 0.999f, 1e-8f, 0.05f, true, true)]
    [InlineData(0.9f, 0.999f, 1e-8f, 0.05f, true, false)]
    [InlineData(0.9f, 0.999f, 1e-2f, 0f, false, true)]
    [InlineData(0.8f, 0.99f, 1e-3f, 0.1f, true, true)]
    [InlineData(0f, 0.9f, 1e-8f, 0f, false, true)]
    public void AdamMatchesPyTorch(float beta1, float beta2, float epsilon, float weightDecay, bool decoupled, bool decayBiases)
    {
        const float baseRate = AdamRate;
        var store = SmallStore(AdamSeed);
        var theta = ToDouble(store.ReadOnlySpan);
        var optimizer = new Adam(baseRate, beta1, beta2, epsilon, weightDecay, decoupled, decayBiases);
        var reference = new TorchReference.Adam(beta1, beta2, epsilon, weightDecay, decoupled, decayBiases ? TorchReference.All : TorchReference.WeightsOnly);
        Assert.True(optimizer.FirstMoment.IsEmpty && optimizer.SecondMoment.IsEmpty);

        var worst = 0.0;
        for (var step = 0; step < RateMultipliers.Length; step++)
        {
            var rate = (float)(baseRate * RateMultipliers[step]);
            var gradients = Gradients(store, seed: AdamSeed * 100 + step);
            optimizer.LearningRate = rate;
            optimizer.Step(store, gradients);
            reference.Step(store.Tensors, theta, gradients, rate);

            Assert.Equal(step + 1, optimizer.StepCount);
            worst = Math.Max(worst, AssertClose(store, store.ReadOnlySpan, theta, $"step {step + 1}: parameters"));
            AssertClose(store, optimizer.FirstMoment, reference.FirstMoment, $"step {step + 1}: first moment");
            AssertClose(store, optimizer.SecondMoment, reference.SecondMoment, $"step {step + 1}: second moment");
            AssertGapsZero(store, store.ReadOnlySpan, $"step {step + 1}: parameters");
            AssertGapsZero(store, optimizer.FirstMoment, $"step {step + 1}: first moment");
            AssertGapsZero(store, optimizer.SecondMoment, $"step {step + 1}: second moment");
        }

        output.WriteLine($"max |optimizer − reference| over {RateMultipliers.Length} steps: {worst:G3}");
    }

    /// <summary>
    /// The comparisons above can tell every option apart: after the same steps, the optimizer's result is
    /// more than 50× <see cref="OptimizerTestData.Tolerance"/> away from a reference with one option changed
    /// (decay off, biases decayed, Nesterov off, another momentum, L2 and decoupled decay swapped, no bias
    /// correction, ε before the bias correction, one step fewer), and within the tolerance of the right one.
    /// </summary>
    [Fact]
    public void EachOptionMovesTheResultFarBeyondTheTolerance()
    {
        const double margin = 50 * Tolerance;

        var sgd = Run(new SgdMomentum(SgdRate, 0.9f, 0.05f, nesterov: true, decayBiases: false), SgdRate, SgdSeed);
        CheckSgd("the same options", new(0.9f, 0.05f, true, TorchReference.WeightsOnly), expectClose: true);
        CheckSgd("no weight decay", new(0.9f, 0, true, TorchReference.All), expectClose: false);
        CheckSgd("biases decayed", new(0.9f, 0.05f, true, TorchReference.All), expectClose: false);
        CheckSgd("no Nesterov", new(0.9f, 0.05f, false, TorchReference.WeightsOnly), expectClose: false);
        CheckSgd("momentum 0.8", new(0.8f, 0.05f, true, TorchReference.WeightsOnly), expectClose: false);

        foreach (var decoupled in new[] { false, true })
        {
            var adam = Run(new Adam(AdamRate, 0.9f, 0.999f, 1e-3f, 0.1f, decoupled, decayBiases: false), AdamRate, AdamSeed);
            CheckAdam("the same options", new(0.9f, 0.999f, 1e-3f, 0.1f, decoupled, TorchReference.WeightsOnly), expectClose: true);
            CheckAdam("no weight decay", new(0.9f, 0.999f, 1e-3f, 0, decoupled, TorchReference.All), expectClose: false);
            CheckAdam("biases decayed", new(0.9f, 0.999f, 1e-3f, 0.1f, decoupled, TorchReference.All), expectClose: false);
            CheckAdam(decoupled ? "L2 instead of decoupled" : "decoupled instead of L2", new(0.9f, 0.999f, 1e-3f, 0.1f, !decoupled, TorchReference.WeightsOnly), expectClose: false);
            CheckAdam("no bias correction", new(0.9f, 0.999f, 1e-3f, 0.1f, decoupled, TorchReference.WeightsOnly, TorchReference.AdamVariant.NoBiasCorrection), expectClose: false);
            CheckAdam("ε before the bias correction", new(0.9f, 0.999f, 1e-3f, 0.1f, decoupled, TorchReference.WeightsOnly, TorchReference.AdamVariant.EpsilonBeforeCorrection), expectClose: false);
            CheckAdam("one step fewer", new(0.9f, 0.999f, 1e-3f, 0.1f, decoupled, TorchReference.WeightsOnly), expectClose: false, steps: RateMultipliers.Length - 1);

            void CheckAdam(string name, TorchReference.Adam reference, bool expectClose, int steps = -1) =>
                Check($"Adam (decoupled: {decoupled}), {name}", adam, AdamSeed, AdamRate, (g, t, r) => reference.Step(t.Store.Tensors, t.Theta, g, r), expectClose, steps);
        }

        void CheckSgd(string name, TorchReference.Sgd reference, bool expectClose) =>
            Check($"SGD, {name}", sgd, SgdSeed, SgdRate, (g, t, r) => reference.Step(t.Store.Tensors, t.Theta, g, r), expectClose, -1);

        void Check(string what, ParameterStore result, int seed, double baseRate, Action<float[], (ParameterStore Store, double[] Theta), double> step, bool expectClose, int steps)
        {
            var start = SmallStore(seed);
            var theta = ToDouble(start.ReadOnlySpan);
            for (var i = 0; i < (steps < 0 ? RateMultipliers.Length : steps); i++)
            {
                step(Gradients(start, seed * 100 + i), (start, theta), (float)(baseRate * RateMultipliers[i]));
            }

            var difference = MaxDifference(result, result.ReadOnlySpan, theta);
            output.WriteLine($"{what}: max difference {difference:G3}");
            Assert.True(expectClose ? difference <= Tolerance : difference > margin, $"{what}: max difference {difference:G3}.");
        }
    }

    private const float SgdRate = 0.1f;
    private const float AdamRate = 0.01f;
    private const int SgdSeed = 1;
    private const int AdamSeed = 2;

    /// <summary>Steps <paramref name="optimizer"/> through <see cref="RateMultipliers"/> from <see cref="OptimizerTestData.SmallStore"/>(<paramref name="seed"/>), with gradient seeds seed·100 + step.</summary>
    private static ParameterStore Run(BlockOptimizer optimizer, double baseRate, int seed)
    {
        var store = SmallStore(seed);
        for (var step = 0; step < RateMultipliers.Length; step++)
        {
            optimizer.LearningRate = (float)(baseRate * RateMultipliers[step]);
            optimizer.Step(store, Gradients(store, seed * 100 + step));
        }

        return store;
    }
}
