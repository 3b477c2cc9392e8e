using InceptionGen.Training;
using Xunit;

namespace InceptionGen.Tests.Training;

/// <summary>
/// Central differences of a generated network's own float32 training loss, for the end-to-end gradient checks. A loss
/// near 1.5 with h = 1e-3 carries ~1e-7·1.5/1e-3 ≈ 2e-4 of rounding error, and a ReLU or max that switches inside ±h
/// adds a little more: hence 3e-3 absolute + 3% relative. Each difference runs the step with the same
/// <see cref="ITrainableNetwork.TrainingStep"/>, so dropout masks are the same in both halves.
/// </summary>
internal static class NetworkGradientCheck
{
    public const float Step = 1e-3f;
    public const float AbsoluteTolerance = 3e-3f;
    public const float RelativeTolerance = 0.03f;

    /// <summary>The central difference of the loss in parameter <paramref name="index"/> of the parameter block.</summary>
    public static float ParameterDifference(ITrainableNetwork network, float[] images, int[] labels, int batch, long step, int index)
    {
        var original = network.Parameters.Span[index];
        network.Parameters.Span[index] = original + Step;
        var plus = Loss(network, images, labels, batch, step);
        network.Parameters.Span[index] = original - Step;
        var minus = Loss(network, images, labels, batch, step);
        network.Parameters.Span[index] = original;
        return (plus - minus) / (2 * Step);
    }

    /// <summary>The central difference of the loss in input value <paramref name="index"/>.</summary>
    public static float InputDifference(ITrainableNetwork network, float[] images, int[] labels, int batch, long step, int index)
    {
        var original = images[index];
        images[index] = original + Step;
        var plus = Loss(network, images, labels, batch, step);
        images[index] = original - Step;
        var minus = Loss(network, images, labels, batch, step);
        images[index] = original;
        return (plus - minus) / (2 * Step);
    }

    public static void AssertClose(float analytic, float finite, string what)
        => Assert.True(Math.Abs(analytic - finite) <= AbsoluteTolerance + RelativeTolerance * Math.Abs(finite),
            $"{what}: analytic {analytic:G6}, finite difference {finite:G6}");

    private static float Loss(ITrainableNetwork network, float[] images, int[] labels, int batch, long step)
    {
        network.TrainingStep = step;
        return network.Backward(images, labels, batch).Total;
    }
}
