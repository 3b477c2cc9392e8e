using InceptionGen.Training;
using Xunit;
using static InceptionGen.Tests.Optimization.OptimizerTestData;

namespace InceptionGen.Tests.Optimization;

/// <summary>
/// How Adam's L2 weight decay and AdamW's decoupled decay differ, checked exactly: AdamW is "shrink the weights
/// by 1 − lr·λ, then Adam without decay", Adam with L2 is "Adam without decay on the gradient g + λw", and
/// with no gradient the two do visibly different things (a geometric shrink against a step of about lr).
/// </summary>
public class WeightDecayTests
{
    private const float Rate = 0.01f;
    private const float Lambda = 0.1f;
    private const int Steps = 6;

    /// <summary>AdamW(λ) equals Adam(λ = 0) run on weights multiplied by (float)(1 − lr·λ) before each step, bit for bit; biases excluded from decay are not multiplied.</summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void AdamWIsAShrinkThenAdamWithoutDecay(bool decayBiases)
    {
        var decoupledStore = SmallStore(seed: 3);
        var plainStore = SmallStore(seed: 3);
        var adamW = Adam.AdamW(Rate, weightDecay: Lambda, decayBiases: decayBiases);
        var plain = new Adam(Rate);
        Assert.True(adamW.DecoupledWeightDecay);

        for (var step = 0; step < Steps; step++)
        {
            var gradients = Gradients(decoupledStore, seed: 300 + step);
            var shrink = (float)(1 - (double)Rate * Lambda);
            foreach (var tensor in plainStore.Tensors.Where(tensor => decayBiases || tensor.Role != ParameterRole.Bias))
            {
                foreach (ref var w in plainStore[tensor])
                {
                    w *= shrink;
                }
            }

            adamW.Step(decoupledStore, gradients);
            plain.Step(plainStore, gradients);
            AssertBitwiseEqual(plainStore.ReadOnlySpan, decoupledStore.ReadOnlySpan, $"step {step + 1}: parameters");
            AssertBitwiseEqual(plain.FirstMoment, adamW.FirstMoment, $"step {step + 1}: first moment");
            AssertBitwiseEqual(plain.SecondMoment, adamW.SecondMoment, $"step {step + 1}: second moment");
        }

        // The decay did something: the shrunk run is not the undecayed one.
        var undecayed = SmallStore(seed: 3);
        var undecayedAdam = new Adam(Rate);
        for (var step = 0; step < Steps; step++)
        {
            undecayedAdam.Step(undecayed, Gradients(undecayed, seed: 300 + step));
        }

        Assert.True(MaxDifference(undecayed, undecayed.ReadOnlySpan, ToDouble(decoupledStore.ReadOnlySpan)) > 1e-4);
    }

    /// <summary>Adam(λ) with L2 equals Adam(λ = 0) fed g + λw (float arithmetic), bit for bit; the moments see the decayed gradient.</summary>
    [Fact]
    public void AdamL2IsAdamOnTheDecayedGradient()
    {
        var l2Store = SmallStore(seed: 4);
        var plainStore = SmallStore(seed: 4);
        var l2 = new Adam(Rate, weightDecay: Lambda, decayBiases: false);
        var plain = new Adam(Rate);
        Assert.False(l2.DecoupledWeightDecay);

        for (var step = 0; step < Steps; step++)
        {
            var gradients = Gradients(l2Store, seed: 400 + step);
            var decayed = (float[])gradients.Clone();
            foreach (var tensor in plainStore.Tensors.Where(tensor => tensor.Role != ParameterRole.Bias))
            {
                for (var i = tensor.Offset; i < tensor.Offset + tensor.Length; i++)
                {
                    decayed[i] = plainStore.ReadOnlySpan[i] * Lambda + gradients[i];
                }
            }

            l2.Step(l2Store, gradients);
            plain.Step(plainStore, decayed);
            AssertBitwiseEqual(plainStore.ReadOnlySpan, l2Store.ReadOnlySpan, $"step {step + 1}: parameters");
            AssertBitwiseEqual(plain.FirstMoment, l2.FirstMoment, $"step {step + 1}: first moment");
            AssertBitwiseEqual(plain.SecondMoment, l2.SecondMoment, $"step {step + 1}: second moment");
        }
    }

    /// <summary>
    /// With zero gradients, AdamW only shrinks: after k steps w = w₀·cᵏ exactly (c = (float)(1 − lr·λ), one
    /// float multiply a step), and the moments stay 0. Adam's L2 term instead becomes the whole gradient, which
    /// Adam normalizes: the first step moves every weight by lr·|λw|/(|λw| + ε) ≈ lr toward 0, whatever its size.
    /// </summary>
    [Fact]
    public void WithoutGradientsAdamWShrinksGeometricallyAndAdamStepsByTheLearningRate()
    {
        var store = SmallStore(seed: 5);
        var start = store.ReadOnlySpan.ToArray();
        var zero = new float[store.Length];
        var adamW = new Adam(Rate, weightDecay: Lambda, decoupledWeightDecay: true);
        var expected = (float[])start.Clone();
        var c = (float)(1 - (double)Rate * Lambda);
        for (var step = 0; step < Steps; step++)
        {
            adamW.Step(store, zero);
            for (var i = 0; i < expected.Length; i++)
            {
                expected[i] *= c;
            }

            AssertBitwiseEqual(expected, store.ReadOnlySpan, $"AdamW step {step + 1}");
            Assert.All(adamW.FirstMoment.ToArray(), m => Assert.Equal(0f, m));
            Assert.All(adamW.SecondMoment.ToArray(), v => Assert.Equal(0f, v));
        }

        var l2Store = SmallStore(seed: 5);
        var l2 = new Adam(Rate, weightDecay: Lambda);
        l2.Step(l2Store, zero);
        foreach (var tensor in l2Store.Tensors)
        {
            for (var i = tensor.Offset; i < tensor.Offset + tensor.Length; i++)
            {
                var decay = Math.Abs(Lambda * (double)start[i]);
                var move = Rate * decay / (decay + 1e-8);
                Assert.True(Math.Abs(l2Store.ReadOnlySpan[i] - (start[i] - Math.Sign(start[i]) * move)) <= Tolerance,
                    $"Adam (L2), element {i}: {start[i]:G9} went to {l2Store.ReadOnlySpan[i]:G9}, expected a step of {move:G6} toward 0.");
            }
        }
    }
}
