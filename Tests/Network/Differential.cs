using System.Runtime.InteropServices;
using Xunit;

namespace InceptionGen.Tests.Network;

/// <summary>Inputs, parameter set-up and comparisons shared by the differential tests.</summary>
internal static class Differential
{
    /// <summary>
    /// Allowed error of a generated output against the reference, relative to the largest reference value.
    /// The generated kernels sum in float, the reference in double; see the GoogLeNet test for the margin.
    /// </summary>
    public const double RelativeTolerance = 1e-4;

    /// <summary>Seeded values uniform in [-1, 1].</summary>
    public static float[] RandomInput(int seed, int length)
    {
        var random = new Random(seed);
        var values = new float[length];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = (float)(random.NextDouble() * 2 - 1);
        }

        return values;
    }

    /// <summary>
    /// Sets every bias to a seeded value in [-0.1, 0.1]. The initializer leaves biases at 0, which would let
    /// a kernel that ignores its bias, or reads another tensor's, pass every comparison.
    /// </summary>
    public static void RandomizeBiases(ParameterStore parameters, int seed)
    {
        var random = new Random(seed);
        foreach (var tensor in parameters.Tensors.Where(tensor => tensor.Role == ParameterRole.Bias))
        {
            foreach (ref var value in parameters[tensor])
            {
                value = (float)(random.NextDouble() * 0.2 - 0.1);
            }
        }
    }

    /// <summary>Image <paramref name="image"/> of a batch laid out image after image.</summary>
    public static float[] Row(float[] batch, int image, int length) => batch.AsSpan(image * length, length).ToArray();

    /// <summary>Largest |actual − expected| and largest |expected|; a NaN or infinite difference counts as infinite.</summary>
    public static (double MaxDifference, double MaxReference, int WorstIndex) Compare(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected)
    {
        Assert.Equal(expected.Length, actual.Length);
        var maxDifference = 0.0;
        var maxReference = 0.0;
        var worst = -1;
        for (var i = 0; i < expected.Length; i++)
        {
            var difference = Math.Abs((double)actual[i] - expected[i]);
            if (!double.IsFinite(difference))
            {
                difference = double.PositiveInfinity;
            }

            if (difference > maxDifference || worst < 0)
            {
                maxDifference = difference;
                worst = i;
            }

            maxReference = Math.Max(maxReference, Math.Abs((double)expected[i]));
        }

        return (maxDifference, maxReference, worst);
    }

    /// <summary>
    /// Asserts max |actual − expected| ≤ <see cref="RelativeTolerance"/> × max |expected|, and that the
    /// reference is not all zeros (which would make the bound 0 and the comparison meaningless).
    /// Returns the relative error, for the test output.
    /// </summary>
    public static double AssertClose(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected, string what)
    {
        var (maxDifference, maxReference, worst) = Compare(actual, expected);
        Assert.True(double.IsFinite(maxReference) && maxReference > 0, $"{what}: the reference is all zeros or not finite (max |reference| = {maxReference}).");
        var relative = maxDifference / maxReference;
        Assert.True(relative <= RelativeTolerance,
            $"{what}: max |generated − reference| = {maxDifference:G6} at index {worst} (generated {actual[worst]:G9}, reference {expected[worst]:G9}), " +
            $"{relative:G3} of max |reference| = {maxReference:G6}; allowed {RelativeTolerance:G3}.");
        return relative;
    }

    /// <summary>Asserts two float spans are equal bit for bit, naming the first index that differs.</summary>
    public static void AssertBitwiseEqual(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        var expectedBits = MemoryMarshal.Cast<float, int>(expected);
        var actualBits = MemoryMarshal.Cast<float, int>(actual);
        for (var i = 0; i < expectedBits.Length; i++)
        {
            if (expectedBits[i] != actualBits[i])
            {
                Assert.Fail($"{what}: element {i} is {actual[i]:G9}, expected {expected[i]:G9} bit for bit.");
            }
        }
    }
}
