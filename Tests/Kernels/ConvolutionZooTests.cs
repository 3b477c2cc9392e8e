using InceptionGen.Generator.Planning;
using InceptionGen.Kernels;
using InceptionGen.Tests.Network;
using Xunit;

namespace InceptionGen.Tests.Kernels;

/// <summary>
/// The emitted register-tiled convolutions of the <see cref="Zoo"/> networks against the NCHW reference, on
/// whichever instruction-set path this process runs (CI runs the suite once per path). Each network runs
/// batches of 3 (a pass of 2 images, then a pass of 1) and 2, with every bias set to a nonzero value.
/// </summary>
public sealed class ConvolutionZooTests(ITestOutputHelper output)
{
    /// <summary>
    /// Tolerance: 1e-5 of the largest reference value. The kernels sum in float (with FMA where the hardware
    /// has it) in tile order, the reference in double; over at most 33·7·7 = 1617 terms of He-scaled weights the
    /// rounding differs by about 1e-6. A wrong tap, channel, block or bias is off by a sizeable fraction.
    /// </summary>
    private const double RelativeTolerance = 1e-5;

    public static TheoryData<string> Networks() => new(Zoo.Networks.Select(net => net.Name));

    [Theory, MemberData(nameof(Networks))]
    public void Forward_matches_the_reference_on_every_image_of_batches_of_3_and_2(string name)
    {
        var zoo = Zoo.Get(name);
        var net = zoo.Create(3);
        Assert.Equal(zoo.Input.Length, net.InputLength);
        Assert.Equal(zoo.Output.Length, net.OutputLength);
        RandomizeBiases(net.Parameters, seed: name.Length);

        var input = Differential.RandomInput(seed: 77, 3 * net.InputLength);
        var batch3 = new float[3 * net.OutputLength];
        net.Forward(input, batch3, 3);
        var batch2 = new float[2 * net.OutputLength];
        net.Forward(input, batch2, 2);

        for (var image = 0; image < 3; image++)
        {
            var expected = zoo.Reference(net, Differential.Row(input, image, net.InputLength));
            AssertClose(Differential.Row(batch3, image, net.OutputLength), expected, $"{name} on {Isa.Current}, image {image} of 3");
            if (image < 2)
            {
                AssertClose(Differential.Row(batch2, image, net.OutputLength), expected, $"{name} on {Isa.Current}, image {image} of 2");
            }
        }

        var tiles = string.Join("; ", zoo.Shapes().Select(pair => Describe(pair.Spec, pair.Input)));
        output.WriteLine($"{name} on {Isa.Current}: {tiles}");
    }

    /// <summary>
    /// An image's result does not depend on the batch it is in or its place there: batch 1 gives row 0 of batch 2
    /// bit for bit (the same code on other arena offsets), and the third image of a batch of 3 (a pass of its own)
    /// gives what it gives alone.
    /// </summary>
    [Theory, MemberData(nameof(Networks))]
    public void Batch_of_1_equals_its_row_of_a_larger_batch_bit_for_bit(string name)
    {
        var zoo = Zoo.Get(name);
        var net = zoo.Create(3);
        RandomizeBiases(net.Parameters, seed: name.Length);
        var input = Differential.RandomInput(seed: 78, 3 * net.InputLength);

        var batch2 = new float[2 * net.OutputLength];
        net.Forward(input, batch2, 2);
        var batch3 = new float[3 * net.OutputLength];
        net.Forward(input, batch3, 3);
        var first = new float[net.OutputLength];
        net.Forward(input.AsSpan(0, net.InputLength), first, 1);
        var third = new float[net.OutputLength];
        net.Forward(input.AsSpan(2 * net.InputLength, net.InputLength), third, 1);

        Differential.AssertBitwiseEqual(Differential.Row(batch2, 0, net.OutputLength), first, $"{name}: batch 1 against row 0 of batch 2");
        Differential.AssertBitwiseEqual(Differential.Row(batch3, 2, net.OutputLength), third, $"{name}: batch 1 against row 2 of batch 3");
        Differential.AssertBitwiseEqual(batch2, batch3.AsSpan(0, batch2.Length), $"{name}: batch 2 against rows 0-1 of batch 3");
    }

    /// <summary>
    /// The zoo keeps covering what it is for, by the planner's own tile choice: wide tiles (Vector512) of 1, 2, 3
    /// and 4 output blocks, rows with and without a remainder tile on both the wide and the narrow (Vector256 and
    /// Vector128) paths, each kernel size, stride and padding, and the listed channel counts and widths.
    /// </summary>
    [Fact]
    public void Zoo_covers_the_tile_shapes_and_convolution_options()
    {
        var convolutions = Zoo.Networks.SelectMany(net => net.Shapes()).ToList();
        var tilings = convolutions.Select(pair => (pair.Spec, pair.Input, Output: pair.Spec.Output(pair.Input),
            Tiling: Planner.ChooseTiling(BlockedLayout.Blocks(pair.Spec.OutChannels), pair.Spec.Output(pair.Input).Width))).ToList();

        Assert.Superset(new HashSet<int> { 1, 2, 3, 4 }, tilings.Select(t => t.Tiling.WideBlocks).ToHashSet());
        Assert.Contains(tilings, t => t.Output.Width % t.Tiling.WidePixels != 0);
        Assert.Contains(tilings, t => t.Output.Width % t.Tiling.NarrowPixels != 0);
        Assert.Contains(tilings, t => t.Output.Width / t.Tiling.WidePixels > 1);
        Assert.Contains(tilings, t => t.Output.Width / t.Tiling.NarrowPixels > 1);
        Assert.Contains(tilings, t => t.Tiling.WideBlocks == 4 && t.Output.Width % t.Tiling.WidePixels != 0);
        // Strided rows step the input by pixels × stride per tile: several full tiles and a remainder on both paths.
        Assert.Contains(tilings, t => t.Spec.Stride > 1 && t.Output.Width % t.Tiling.WidePixels != 0 && t.Output.Width / t.Tiling.WidePixels > 1);
        Assert.Contains(tilings, t => t.Spec.Stride > 1 && t.Output.Width % t.Tiling.NarrowPixels != 0 && t.Output.Width / t.Tiling.NarrowPixels > 1);

        Assert.Superset(new HashSet<int> { 1, 3, 5, 7 }, convolutions.Select(c => c.Spec.Kernel).ToHashSet());
        Assert.Superset(new HashSet<int> { 1, 2, 3 }, convolutions.Select(c => c.Spec.Stride).ToHashSet());
        Assert.Superset(new HashSet<int> { 0, 1, 2, 3 }, convolutions.Select(c => c.Spec.Padding).ToHashSet());
        Assert.Superset(new HashSet<int> { 1, 3, 15, 16, 17, 33 }, convolutions.Select(c => c.Input.Channels).ToHashSet());
        Assert.Superset(new HashSet<int> { 1, 8, 16, 24, 48, 64, 80 }, convolutions.Select(c => c.Spec.OutChannels).ToHashSet());
        Assert.Superset(new HashSet<int> { 1, 30 }, tilings.Select(t => t.Output.Width).ToHashSet());
        Assert.Contains(tilings, t => t.Output.Height != t.Output.Width);
        Assert.Contains(convolutions, c => c.Spec.Padding > c.Spec.Kernel / 2);
        // Rectangular kernels, strides and paddings.
        Assert.Superset(new HashSet<(int, int)> { (1, 7), (7, 1), (1, 3), (3, 1), (3, 5), (5, 3) }, convolutions.Select(c => (c.Spec.KernelY, c.Spec.KernelX)).ToHashSet());
        Assert.Contains(convolutions, c => c.Spec.StrideY > c.Spec.StrideX);
        Assert.Contains(convolutions, c => c.Spec.StrideY < c.Spec.StrideX);
        Assert.Contains(convolutions, c => c.Spec.PaddingY != c.Spec.PaddingX);
        Assert.Superset(new HashSet<(bool, bool)> { (true, true), (true, false), (false, true), (false, false) },
            convolutions.Select(c => (c.Spec.Bias, c.Spec.Relu)).ToHashSet());
        Assert.Equal(2, Zoo.Networks.Count(net => net.Prefix is not null));

        foreach (var t in tilings)
        {
            output.WriteLine($"{t.Input} -> {Describe(t.Spec, t.Input)}");
        }
    }

    // ---- Helpers ----

    private static string Describe(ConvSpec spec, FeatureShape input)
    {
        var result = spec.Output(input);
        var tiling = Planner.ChooseTiling(BlockedLayout.Blocks(spec.OutChannels), result.Width);
        return $"conv {spec.KernelY}x{spec.KernelX}/{spec.StrideY}x{spec.StrideX} pad {spec.PaddingY}x{spec.PaddingX} -> {result}, wide tile {tiling.WideBlocks}x{tiling.WidePixels}" +
               $"{Remainder(result.Width, tiling.WidePixels)}, narrow 1x{tiling.NarrowPixels}{Remainder(result.Width, tiling.NarrowPixels)}";

        static string Remainder(int width, int pixels) => width % pixels == 0 ? "" : $" + {width % pixels}";
    }

    /// <summary>Every bias to a seeded value of magnitude 0.05-0.5 and random sign: never zero, and large enough to move ReLU's cut.</summary>
    private static void RandomizeBiases(ParameterStore parameters, int seed)
    {
        var random = new Random(seed);
        foreach (var tensor in parameters.Tensors.Where(tensor => tensor.Role == ParameterRole.Bias))
        {
            foreach (ref var value in parameters[tensor])
            {
                value = (0.05f + 0.45f * random.NextSingle()) * (random.Next(2) == 0 ? -1 : 1);
            }
        }
    }

    private static void AssertClose(ReadOnlySpan<float> actual, float[] expected, string what)
    {
        var (maxDifference, maxReference, worst) = Differential.Compare(actual, expected);
        Assert.True(maxReference > 0 && double.IsFinite(maxReference), $"{what}: the reference is all zeros or not finite.");
        Assert.True(maxDifference <= RelativeTolerance * maxReference,
            $"{what}: element {worst} is {actual[worst]:G9}, the reference {expected[worst]:G9}; max difference {maxDifference:G3} " +
            $"is {maxDifference / maxReference:G3} of max |reference| {maxReference:G4}, allowed {RelativeTolerance:G1}.");
    }
}
