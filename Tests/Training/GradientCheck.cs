using Xunit;

namespace InceptionGen.Tests.Training;

/// <summary>
/// Finite differences and the assertions that compare them with a kernel's analytic gradient.
/// <para>
/// Every check is of a scalar objective <c>L = Σ r ⊙ f(x)</c>, r random and fixed, so the analytic gradient is the
/// backward kernel run with output gradient r, and the numerical one is a central difference of L. f is evaluated
/// in double by <see cref="DoubleForward"/>, not by the float32 forward kernels: with a float32 forward, the rounding
/// of L (~1e-7 · |L|) divided by a step of 1e-2..1e-3 leaves only ~1e-2 relative accuracy, loose enough to hide a
/// missing term. In double the rounding is ~1e-16 · |L| / h and the truncation error of a central difference is
/// h²/6 · |f'''| (zero for the piecewise-linear ops), both far below 1e-8 for the steps used here, so the
/// numerical gradient is accurate to ~1e-8 and the tolerance is set by the kernel's own float32 arithmetic:
/// each gradient value is a float sum of at most a few hundred products of O(1) numbers. Measured on these cases
/// the worst difference is 9e-8 of the largest gradient, so <see cref="DefaultTolerance"/> is 1e-6. A wrong index,
/// window, divisor or term is off by a sizeable fraction of the gradient itself.
/// </para>
/// </summary>
internal static class GradientCheck
{
    /// <summary>
    /// Relative to the largest expected magnitude. The float32 kernels stay within 1e-7 of it on these cases (worst
    /// measured 9e-8); 1e-6 leaves a factor of 10 for other instruction sets and shapes, while a real error (a dropped,
    /// doubled or misplaced term) is ≥ 1e-2.
    /// </summary>
    public const double DefaultTolerance = 1e-6;

    /// <summary>Central differences of <paramref name="objective"/> at <paramref name="point"/>, one coordinate at a time.</summary>
    public static double[] CentralDifferences(double[] point, Func<double[], double> objective, double step)
    {
        var x = (double[])point.Clone();
        var gradient = new double[x.Length];
        for (var i = 0; i < x.Length; i++)
        {
            var saved = x[i];
            x[i] = saved + step;
            var plus = objective(x);
            x[i] = saved - step;
            var minus = objective(x);
            x[i] = saved;
            gradient[i] = (plus - minus) / (2 * step);
        }

        return gradient;
    }

    /// <summary>
    /// Asserts that <paramref name="actual"/> matches <paramref name="expected"/> element by element within
    /// <paramref name="relativeTolerance"/> of the largest expected magnitude, and that the expected gradient is not
    /// all zero (a check against zeros would prove little). NaN fails.
    /// </summary>
    public static void AssertClose(string what, double[] expected, ReadOnlySpan<float> actual, double relativeTolerance = DefaultTolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        var scale = expected.Max(Math.Abs);
        Assert.True(scale > 0, $"{what}: the expected gradient is all zero, so the check would prove nothing.");
        var tolerance = relativeTolerance * scale;
        for (var i = 0; i < expected.Length; i++)
        {
            if (!(Math.Abs(expected[i] - actual[i]) <= tolerance))
            {
                Assert.Fail($"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R} (tolerance {tolerance:G3}).");
            }
        }
    }

    /// <summary>Σ r ⊙ y in double.</summary>
    public static double Dot(float[] r, double[] y)
    {
        Assert.Equal(r.Length, y.Length);
        var sum = 0.0;
        for (var i = 0; i < r.Length; i++)
        {
            sum += r[i] * y[i];
        }

        return sum;
    }

    public static float[] RandomValues(Random random, int length, float low = -1f, float high = 1f)
    {
        var values = new float[length];
        for (var i = 0; i < length; i++)
        {
            values[i] = low + (high - low) * random.NextSingle();
        }

        return values;
    }

    /// <summary>
    /// Values that are pairwise distinct by at least 2/length: a shuffled grid over [-1, 1). Max pooling has no ties on
    /// them, so a step below half the gap never changes which cell wins and central differences are exact.
    /// </summary>
    public static float[] DistinctValues(Random random, int length)
    {
        var values = new float[length];
        for (var i = 0; i < length; i++)
        {
            values[i] = -1f + 2f * i / length;
        }

        random.Shuffle(values);
        return values;
    }

    public static double[] ToDouble(float[] values) => Array.ConvertAll(values, value => (double)value);
}

/// <summary>
/// One image's blocked map laid out the way a concat of branches leaves it: each branch starts on a block
/// boundary, so a branch width that is not a multiple of 16 leaves physical channels no logical channel maps to
/// (gaps), plus the last block's padding. One branch means an ordinary map with an empty (identity) channel map.
/// Offsets come from the layout's definition, [channel blocks][height][width][16], not from the runtime.
/// </summary>
internal sealed class BlockedMap
{
    private readonly int[] _physical;

    private BlockedMap(int[] branches, int height, int width)
    {
        Height = height;
        Width = width;
        Channels = branches.Sum();
        var physical = new List<int>();
        var first = 0;
        foreach (var branch in branches)
        {
            physical.AddRange(Enumerable.Range(first, branch));
            first += (branch + 15) / 16 * 16;
        }

        PhysicalChannels = first;
        _physical = physical.ToArray();
        ChannelMap = branches.Length == 1 ? [] : _physical;
    }

    public int Channels { get; }

    public int PhysicalChannels { get; }

    public int Height { get; }

    public int Width { get; }

    /// <summary>What the kernels get: the physical channel of each logical one, or empty for identity.</summary>
    public int[] ChannelMap { get; }

    /// <summary>Floats of the blocked storage.</summary>
    public int Length => PhysicalChannels * Height * Width;

    /// <summary>Floats of the logical NCHW map.</summary>
    public int PlainLength => Channels * Height * Width;

    public static BlockedMap Of(int[] branches, int height, int width) => new(branches, height, width);

    /// <summary>A map of <paramref name="physicalChannels"/> (a multiple of 16) channels with no padding, for ops that treat every physical channel alike.</summary>
    public static BlockedMap Physical(int physicalChannels, int height, int width)
    {
        Assert.Equal(0, physicalChannels % 16);
        return new BlockedMap([physicalChannels], height, width);
    }

    public int Offset(int physicalChannel, int y, int x) => ((physicalChannel / 16 * Height + y) * Width + x) * 16 + physicalChannel % 16;

    /// <summary>Blocked storage holding <paramref name="plain"/> (logical NCHW) and <paramref name="fill"/> in every unmapped float.</summary>
    public float[] Scatter(float[] plain, float fill)
    {
        Assert.Equal(PlainLength, plain.Length);
        var storage = new float[Length];
        Array.Fill(storage, fill);
        for (var c = 0; c < Channels; c++)
        {
            for (var y = 0; y < Height; y++)
            {
                for (var x = 0; x < Width; x++)
                {
                    storage[Offset(_physical[c], y, x)] = plain[(c * Height + y) * Width + x];
                }
            }
        }

        return storage;
    }

    /// <summary>The logical NCHW map in <paramref name="storage"/>; unmapped floats are not read.</summary>
    public double[] Gather(double[] storage)
    {
        Assert.Equal(Length, storage.Length);
        var plain = new double[PlainLength];
        for (var c = 0; c < Channels; c++)
        {
            for (var y = 0; y < Height; y++)
            {
                for (var x = 0; x < Width; x++)
                {
                    plain[(c * Height + y) * Width + x] = storage[Offset(_physical[c], y, x)];
                }
            }
        }

        return plain;
    }
}
