using InceptionGen.Training;
using Xunit;
using static InceptionGen.Tests.Optimization.OptimizerTestData;

namespace InceptionGen.Tests.Optimization;

/// <summary>
/// Each optimizer minimizes f(w) = ½ Σ aᵢ (wᵢ − cᵢ)² over a small store (curvatures aᵢ in [0.5, 2], targets
/// cᵢ in [-1, 1], start in [-1, 1]), with a schedule setting the learning rate before each step, and ends
/// at the minimum with the gaps still zero.
/// </summary>
public class ConvergenceTests(ITestOutputHelper output)
{
    public static TheoryData<string> Cases => new() { "sgd", "sgd-nesterov", "adam", "adamw-no-decay" };

    [Theory]
    [MemberData(nameof(Cases))]
    public void MinimizesAQuadratic(string kind)
    {
        const int steps = 400;
        var store = SmallStore(seed: 40);
        var curvature = new double[store.Length];
        var target = new float[store.Length];
        var random = new Random(41);
        foreach (var tensor in store.Tensors)
        {
            for (var i = tensor.Offset; i < tensor.Offset + tensor.Length; i++)
            {
                curvature[i] = 0.5 + 1.5 * random.NextDouble();
                target[i] = (float)(random.NextDouble() * 2 - 1);
            }
        }

        (IOptimizer optimizer, ILearningRateSchedule schedule) = kind switch
        {
            "sgd" => ((IOptimizer)new SgdMomentum(0.1f), (ILearningRateSchedule)new ConstantSchedule(0.1f)),
            "sgd-nesterov" => (new SgdMomentum(0.1f, nesterov: true), new StepDecaySchedule(0.1f, everyEpochs: 8)),
            "adam" => (new Adam(), new CosineSchedule(0.05f, steps, warmupSteps: 10)),
            "adamw-no-decay" => (Adam.AdamW(weightDecay: 0f), CosineSchedule.OverEpochs(0.05f, totalEpochs: 20, minRate: 0f, warmupEpochs: 0.5)),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };

        var startLoss = Loss(store.ReadOnlySpan, curvature, target, store);
        var gradients = new float[store.Length];
        for (var step = 0; step < steps; step++)
        {
            var w = store.ReadOnlySpan;
            foreach (var tensor in store.Tensors)
            {
                for (var i = tensor.Offset; i < tensor.Offset + tensor.Length; i++)
                {
                    gradients[i] = (float)(curvature[i] * (w[i] - target[i]));
                }
            }

            optimizer.LearningRate = schedule.LearningRate(optimizer.StepCount, epoch: step / 20.0);
            optimizer.Step(store, gradients);
        }

        var loss = Loss(store.ReadOnlySpan, curvature, target, store);
        var distance = MaxDifference(store, store.ReadOnlySpan, ToDouble(target));
        output.WriteLine($"{kind}: loss {startLoss:G4} -> {loss:G4}, max |w − c| = {distance:G3}");
        Assert.True(distance < 1e-4, $"{kind}: max |w − c| = {distance:G3} after {steps} steps.");
        AssertGapsZero(store, store.ReadOnlySpan, kind);
    }

    private static double Loss(ReadOnlySpan<float> w, double[] curvature, float[] target, ParameterStore store)
    {
        var loss = 0.0;
        foreach (var tensor in store.Tensors)
        {
            for (var i = tensor.Offset; i < tensor.Offset + tensor.Length; i++)
            {
                loss += 0.5 * curvature[i] * (w[i] - target[i]) * (w[i] - target[i]);
            }
        }

        return loss;
    }
}
