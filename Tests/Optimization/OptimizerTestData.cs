using System.Runtime.InteropServices;
using InceptionGen.Training;
using Xunit;

namespace InceptionGen.Tests.Optimization;

/// <summary>Small parameter stores with alignment gaps, seeded values and gradients, and the checks the optimizer tests share.</summary>
internal static class OptimizerTestData
{
    /// <summary>
    /// Largest allowed |float optimizer − double reference| over a few steps: the float code rounds each of its ~10
    /// operations per value per step (about 6e-8 relative on values below 2). A missing or misplaced term
    /// changes values by 1e-4 or more (see <c>ReferenceTests.EachOptionMovesTheResultFarBeyondTheTolerance</c>).
    /// </summary>
    public const double Tolerance = 2e-6;

    /// <summary>
    /// Four tensors in a 96-float block: Fc.Weights [3, 5] at 0 (gap 15), Fc.Bias [3] at 16 (gap 19–31),
    /// Conv.Weights [4, 3, 3] at 32 (gap 68–79), Conv.Bias [4] at 80 (gap 84–95, the end of the block).
    /// </summary>
    public static ParameterStore SmallStore(int seed)
    {
        ParameterTensor[] tensors =
        [
            new("Fc.Weights", 0, [3, 5], ParameterRole.Weight, 5, false, false),
            new("Fc.Bias", 16, [3], ParameterRole.Bias, 5, false, false),
            new("Conv.Weights", 32, [4, 3, 3, 1], ParameterRole.Weight, 9, true, false),
            new("Conv.Bias", 80, [4], ParameterRole.Bias, 9, true, false),
        ];
        var store = new ParameterStore(tensors, 96);
        Fill(store, store.Span, seed, scale: 1);
        return store;
    }

    /// <summary>A store of the given tensor lengths, each on the next 16-float boundary, with seeded values in [-1, 1].</summary>
    public static ParameterStore Store(int seed, params (string Name, int Length, ParameterRole Role)[] layout)
    {
        var tensors = new List<ParameterTensor>();
        var offset = 0;
        foreach (var (name, length, role) in layout)
        {
            tensors.Add(new ParameterTensor(name, offset, [length], role, 1, false, false));
            offset += (length + AlignedBuffer.AlignmentFloats - 1) / AlignedBuffer.AlignmentFloats * AlignedBuffer.AlignmentFloats;
        }

        var store = new ParameterStore(tensors, offset + AlignedBuffer.AlignmentFloats);
        Fill(store, store.Span, seed, scale: 1);
        return store;
    }

    /// <summary>A gradient block for <paramref name="store"/>: seeded values in [-scale, scale] inside the tensors, zero in the gaps.</summary>
    public static float[] Gradients(ParameterStore store, int seed, double scale = 1)
    {
        var gradients = new float[store.Length];
        Fill(store, gradients, seed, scale);
        return gradients;
    }

    /// <summary>Seeded values in [-scale, scale] in every tensor of <paramref name="block"/>; the gaps are left alone.</summary>
    public static void Fill(ParameterStore store, Span<float> block, int seed, double scale)
    {
        var random = new Random(seed);
        foreach (var tensor in store.Tensors)
        {
            foreach (ref var value in block.Slice(tensor.Offset, tensor.Length))
            {
                value = (float)((random.NextDouble() * 2 - 1) * scale);
            }
        }
    }

    /// <summary>Indices of the block that no tensor covers.</summary>
    public static int[] GapIndices(ParameterStore store)
    {
        var covered = new bool[store.Length];
        foreach (var tensor in store.Tensors)
        {
            covered.AsSpan(tensor.Offset, tensor.Length).Fill(true);
        }

        return [.. Enumerable.Range(0, store.Length).Where(i => !covered[i])];
    }

    /// <summary>Asserts every gap of <paramref name="block"/> holds +0 exactly (bit pattern 0), and that there are gaps to check.</summary>
    public static void AssertGapsZero(ParameterStore store, ReadOnlySpan<float> block, string what)
    {
        var gaps = GapIndices(store);
        Assert.NotEmpty(gaps);
        Assert.Equal(store.Length, block.Length);
        var bits = MemoryMarshal.Cast<float, int>(block);
        foreach (var i in gaps)
        {
            Assert.True(bits[i] == 0, $"{what}: gap element {i} is {block[i]:G9} (bits 0x{bits[i]:X8}), not +0.");
        }
    }

    /// <summary>Asserts |actual − expected| ≤ <see cref="Tolerance"/> over every tensor element, naming the worst.</summary>
    public static double AssertClose(ParameterStore store, ReadOnlySpan<float> actual, double[] expected, string what)
    {
        var worst = -1;
        var maxDifference = 0.0;
        foreach (var tensor in store.Tensors)
        {
            for (var i = tensor.Offset; i < tensor.Offset + tensor.Length; i++)
            {
                var difference = Math.Abs(actual[i] - expected[i]);
                if (worst < 0 || !(difference <= maxDifference))
                {
                    maxDifference = double.IsNaN(difference) ? double.PositiveInfinity : difference;
                    worst = i;
                }
            }
        }

        Assert.True(worst >= 0, $"{what}: no tensor elements to compare.");
        Assert.True(maxDifference <= Tolerance,
            $"{what}: max |optimizer − reference| = {maxDifference:G4} at {worst} (optimizer {actual[worst]:G9}, reference {expected[worst]:G9}); allowed {Tolerance:G3}.");
        return maxDifference;
    }

    /// <summary>Largest |a − b| over the tensor elements.</summary>
    public static double MaxDifference(ParameterStore store, ReadOnlySpan<float> a, double[] b)
    {
        var max = 0.0;
        foreach (var tensor in store.Tensors)
        {
            for (var i = tensor.Offset; i < tensor.Offset + tensor.Length; i++)
            {
                max = Math.Max(max, Math.Abs(a[i] - b[i]));
            }
        }

        return max;
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

    public static double[] ToDouble(ReadOnlySpan<float> values)
    {
        var result = new double[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            result[i] = values[i];
        }

        return result;
    }
}
