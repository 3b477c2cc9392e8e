using Xunit;
// Inside namespace InceptionGen.*, a plain "Dropout" binds to the layer handle InceptionGen.Dropout before any using
// directive is consulted, so the kernel class gets an alias.
using DropoutKernel = InceptionGen.Training.Dropout;
using static InceptionGen.Tests.Training.GradientCheck;

namespace InceptionGen.Tests.Training;

public class DropoutTests
{
    private const int Elements = 100_000;
    private const ulong Seed = 0x5EED;

    [Theory]
    [InlineData(0.1f)]
    [InlineData(0.4f)]
    [InlineData(0.5f)]
    [InlineData(0.7f)]
    public void Drops_a_fraction_rate_and_scales_the_rest_by_the_inverse_keep_rate(float rate)
    {
        var input = RandomValues(new Random(1), Elements);
        var (output, mask) = (new float[Elements], new float[Elements]);

        DropoutKernel.Forward(input, output, mask, rate, Seed, step: 12, image: 3, layer: 2);

        // The dropped count is binomial: standard deviation √(rate(1 − rate)/n) ≤ 0.0016 of n; 0.008 is five of them.
        var dropped = mask.Count(value => value == 0f) / (double)Elements;
        Assert.True(Math.Abs(dropped - rate) < 0.008, $"Dropped {dropped:P2}, expected {rate:P0}.");
        var keep = 1f / (1f - rate);
        Assert.All(mask, value => Assert.True(value == 0f || value == keep, $"Mask value {value}, expected 0 or {keep}."));
        for (var i = 0; i < Elements; i++)
        {
            Assert.Equal(input[i] * mask[i], output[i]);
        }
    }

    [Fact]
    public void Rate_zero_keeps_everything_and_a_rate_outside_0_to_1_throws()
    {
        var input = RandomValues(new Random(2), 1000);
        var (output, mask) = (new float[1000], new float[1000]);

        DropoutKernel.Forward(input, output, mask, 0f, Seed, 0, 0, 0);

        Assert.All(mask, value => Assert.Equal(1f, value));
        Assert.Equal(input, output);
        Assert.Throws<ArgumentOutOfRangeException>(() => DropoutKernel.Forward(input, output, mask, 1f, Seed, 0, 0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => DropoutKernel.Forward(input, output, mask, -0.1f, Seed, 0, 0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => DropoutKernel.Forward(input, output, mask, float.NaN, Seed, 0, 0, 0));
    }

    [Fact]
    public void The_mask_is_a_function_of_seed_step_image_layer_and_position_only()
    {
        var mask = Mask(Seed, 7, 1, 4, Elements);

        // Same arguments, same mask; a shorter tensor gets the same prefix (nothing depends on the length or the input).
        Assert.Equal(mask, Mask(Seed, 7, 1, 4, Elements));
        Assert.Equal(mask[..1000], Mask(Seed, 7, 1, 4, 1000));
    }

    [Theory]
    // Each differs from (seed, 7, 1, 4) in one number, or swaps two of them: a naive xor of the four would collide on the swaps.
    [InlineData(Seed + 1, 7L, 1, 4)]
    [InlineData(Seed, 8L, 1, 4)]
    [InlineData(Seed, 7L, 2, 4)]
    [InlineData(Seed, 7L, 1, 5)]
    [InlineData(Seed, 7L, 4, 1)]
    [InlineData(Seed, 1L, 7, 4)]
    [InlineData(Seed, 4L, 1, 7)]
    public void Any_other_seed_step_image_or_layer_gives_an_unrelated_mask(ulong seed, long step, int image, int layer)
    {
        var reference = Mask(Seed, 7, 1, 4, Elements);
        var other = Mask(seed, step, image, layer, Elements);

        // Independent masks at rate 0.5 agree on half the positions (standard deviation 0.0016); a shifted or equal one would not.
        var agreement = reference.Zip(other).Count(pair => pair.First == pair.Second) / (double)Elements;
        Assert.True(Math.Abs(agreement - 0.5) < 0.008, $"The masks agree on {agreement:P2} of the positions, expected 50%.");
    }

    [Fact]
    public void Backward_adds_the_output_gradient_times_the_mask()
    {
        var random = new Random(3);
        var mask = Mask(Seed, 0, 0, 0, 1000);
        var outputGradient = RandomValues(random, mask.Length);
        var prior = RandomValues(random, mask.Length);
        var inputGradient = (float[])prior.Clone();

        DropoutKernel.Backward(mask, outputGradient, inputGradient);

        for (var i = 0; i < mask.Length; i++)
        {
            Assert.Equal(prior[i] + outputGradient[i] * mask[i], inputGradient[i]);
        }

        // An empty input gradient is not needed: skipped, no exception.
        DropoutKernel.Backward(mask, outputGradient, []);
    }

    [Fact]
    public void Backward_matches_finite_differences_of_forward()
    {
        var random = new Random(4);
        var x0 = RandomValues(random, 300);
        var r = RandomValues(random, x0.Length);
        var mask = new float[x0.Length];
        DropoutKernel.Forward(x0, new float[x0.Length], mask, 0.4f, Seed, 5, 6, 7);
        var inputGradient = new float[x0.Length];

        DropoutKernel.Backward(mask, r, inputGradient);

        // Forward itself, in float. It is linear, so a central difference is exact but for rounding: with h = 0.25 (exact
        // in float) the rounding of x ± h and of the product is up to ~4e-7 relative after dividing by 2h, inside 1e-5.
        var expected = CentralDifferences(ToDouble(x0), x =>
        {
            var output = new float[x.Length];
            DropoutKernel.Forward(Array.ConvertAll(x, value => (float)value), output, new float[x.Length], 0.4f, Seed, 5, 6, 7);
            return Dot(r, ToDouble(output));
        }, 0.25);
        AssertClose("input gradient", expected, inputGradient, relativeTolerance: 1e-5);
    }

    private static float[] Mask(ulong seed, long step, int image, int layer, int length)
    {
        var mask = new float[length];
        DropoutKernel.Forward(new float[length], new float[length], mask, 0.5f, seed, step, image, layer);
        return mask;
    }
}
