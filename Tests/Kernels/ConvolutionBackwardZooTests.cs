using InceptionGen.Kernels;
using InceptionGen.Tests.Network;
using Xunit;

namespace InceptionGen.Tests.Kernels;

/// <summary>
/// The generated training pass of the <see cref="BackwardZoo"/> networks against the plain reference
/// (<see cref="BackwardZooNet.Gradients"/>), on whichever instruction-set path this process runs (CI runs this
/// namespace once per path): every element of every parameter gradient and of the input gradient. On the
/// vectorized paths this checks the emitted weight-gradient tiles, the transposed convolutions with their packed
/// flipped weights, the gathering of packed gradients into OIHW, and the gradient memory plan; on the scalar path
/// the plumbing around <see cref="ReferenceBackward"/>.
/// </summary>
public sealed class ConvolutionBackwardZooTests(ITestOutputHelper output)
{
    /// <summary>A pass of 4 images and a pass of 1 (training runs in passes of 4).</summary>
    private const int Batch = 5;

    /// <summary>
    /// Both sides sum in float, in different orders (the reference pixel by pixel, the tiles by vector lanes and bands,
    /// with FMA where the hardware has it), over at most 5·17·19 = 1615 products for a weight gradient. Measured on
    /// AVX-512 the worst tensor is 8e-7 (relative L2) and 1.1e-6 (max, of the largest value); 1e-5 leaves a wide
    /// margin for the other paths, while a dropped tap, channel, image or bias term is off by ≥ 1e-2 of the tensor.
    /// </summary>
    private const double RelativeL2Tolerance = 1e-5;

    private const double MaxTolerance = 1e-5;

    public static TheoryData<string> Networks() => new(BackwardZoo.Networks.Select(net => net.Name));

    [Theory, MemberData(nameof(Networks))]
    public void Every_gradient_element_matches_ReferenceBackward_on_a_batch_of_5(string name)
    {
        var zoo = BackwardZoo.Get(name);
        var net = zoo.Create(Batch);
        Assert.Equal(zoo.Input.Length, net.InputLength);
        Differential.RandomizeBiases(net.Parameters, seed: name.Length);
        net.Parameters.MarkChanged();
        var images = Differential.RandomInput(seed: 91, Batch * net.InputLength);
        var labels = Enumerable.Range(0, Batch).Select(image => image % zoo.Classes).ToArray();

        var inputGradient = new float[images.Length];
        zoo.Backward(net, images, labels, Batch, inputGradient);
        var (expected, expectedInput) = zoo.Gradients(net, images, labels);

        var report = new List<string>();
        foreach (var tensor in net.Parameters.Tensors)
        {
            Assert.True(expected.TryGetValue(tensor.Name, out var reference), $"{name}: no reference gradient for {tensor.Name}.");
            report.Add(AssertClose(net.Gradients[tensor], reference, $"{name}.{tensor.Name} on {Isa.Current}"));
        }

        Assert.Equal(expected.Count, net.Parameters.Tensors.Count);
        report.Add(AssertClose(inputGradient, expectedInput, $"{name} input gradient on {Isa.Current}"));
        output.WriteLine($"{name} on {Isa.Current}:");
        report.ForEach(output.WriteLine);
    }

    /// <summary>A second step on the same network gives the same gradients bit for bit: nothing accumulates across steps.</summary>
    [Theory, MemberData(nameof(Networks))]
    public void A_second_backward_gives_the_same_gradients_bit_for_bit(string name)
    {
        var zoo = BackwardZoo.Get(name);
        var net = zoo.Create(Batch);
        Differential.RandomizeBiases(net.Parameters, seed: name.Length);
        net.Parameters.MarkChanged();
        var images = Differential.RandomInput(seed: 92, Batch * net.InputLength);
        var labels = Enumerable.Range(0, Batch).Select(image => (image + 1) % zoo.Classes).ToArray();

        var firstInput = new float[images.Length];
        zoo.Backward(net, images, labels, Batch, firstInput);
        var first = net.Gradients.ReadOnlySpan.ToArray();
        var secondInput = new float[images.Length];
        zoo.Backward(net, images, labels, Batch, secondInput);

        Differential.AssertBitwiseEqual(first, net.Gradients.ReadOnlySpan, $"{name}: parameter gradients of the second step");
        Differential.AssertBitwiseEqual(firstInput, secondInput, $"{name}: input gradient of the second step");
    }

    /// <summary>The zoo keeps covering what it is for.</summary>
    [Fact]
    public void Backward_zoo_covers_kernels_strides_paddings_and_odd_channel_counts()
    {
        var convolutions = BackwardZoo.Networks.SelectMany(net => net.Shapes()).ToList();
        Assert.Superset(new HashSet<int> { 1, 3, 5, 7 }, convolutions.Select(c => c.Spec.Kernel).ToHashSet());
        Assert.Superset(new HashSet<int> { 1, 2 }, convolutions.Select(c => c.Spec.Stride).ToHashSet());
        Assert.Superset(new HashSet<int> { 0, 1, 2, 3 }, convolutions.Select(c => c.Spec.Padding).ToHashSet());
        Assert.Contains(convolutions, c => c.Spec.Padding > c.Spec.Kernel / 2);
        Assert.True(convolutions.Count(c => c.Input.Channels % 16 != 0) >= 5, "too few input channel counts off the 16-wide blocks");
        Assert.True(convolutions.Count(c => c.Spec.OutChannels % 16 != 0) >= 5, "too few output channel counts off the 16-wide blocks");
        Assert.Contains(convolutions, c => c.Spec.OutChannels == 64);
        Assert.Contains(convolutions, c => c.Input.Height % 2 == 1 && c.Input.Width % 2 == 1);
        Assert.Contains(convolutions, c => c.Input.Height != c.Input.Width);
        Assert.Contains(convolutions, c => c.Spec.Stride == 2 && c.Spec.Kernel == 7);
        Assert.Superset(new HashSet<(bool, bool)> { (true, true), (true, false), (false, true), (false, false) },
            convolutions.Select(c => (c.Spec.Bias, c.Spec.Relu)).ToHashSet());
        Assert.Contains(BackwardZoo.Networks, net => net.Convolutions.Length >= 3);
        // Both input-gradient routes: the transposed convolution (stride 1) after another convolution, and the strided one.
        Assert.Contains(BackwardZoo.Networks, net => net.Shapes().Skip(1).Any(c => c.Spec.Stride == 1 && c.Spec.Kernel > 1));
        Assert.Contains(BackwardZoo.Networks, net => net.Shapes().Skip(1).Any(c => c.Spec.Stride == 2));
        // Rectangular kernels with both input-gradient routes: a transposed 7x1 and 3x1 after another convolution, and a
        // strided 3x5 (stride 2x1) inside a chain.
        Assert.Superset(new HashSet<(int, int)> { (1, 7), (7, 1), (1, 3), (3, 1), (3, 5), (5, 3) }, convolutions.Select(c => (c.Spec.KernelY, c.Spec.KernelX)).ToHashSet());
        Assert.Contains(BackwardZoo.Networks, net => net.Shapes().Skip(1).Any(c => c.Spec is { KernelY: 7, KernelX: 1, StrideY: 1, StrideX: 1 }));
        Assert.Contains(BackwardZoo.Networks, net => net.Shapes().Skip(1).Any(c => c.Spec is { KernelY: 3, KernelX: 5, StrideY: 2, StrideX: 1 }));
        Assert.Contains(convolutions, c => c.Spec.StrideY != c.Spec.StrideX);
    }

    /// <summary>
    /// Relative L2 error ≤ <see cref="RelativeL2Tolerance"/> and max |actual − expected| ≤ <see cref="MaxTolerance"/> × max |expected|,
    /// over every element; the reference must not be all zero. Returns a line for the test output.
    /// </summary>
    private static string AssertClose(ReadOnlySpan<float> actual, float[] expected, string what)
    {
        var (maxDifference, maxReference, worst) = Differential.Compare(actual, expected);
        double errorSquares = 0, referenceSquares = 0;
        for (var i = 0; i < expected.Length; i++)
        {
            var difference = (double)actual[i] - expected[i];
            errorSquares += difference * difference;
            referenceSquares += (double)expected[i] * expected[i];
        }

        Assert.True(maxReference > 0 && double.IsFinite(maxReference), $"{what}: the reference gradient is all zeros or not finite.");
        var relativeL2 = Math.Sqrt(errorSquares / referenceSquares);
        var relativeMax = maxDifference / maxReference;
        Assert.True(relativeL2 <= RelativeL2Tolerance && relativeMax <= MaxTolerance,
            $"{what}: relative L2 error {relativeL2:G3} (allowed {RelativeL2Tolerance:G1}), max difference {maxDifference:G3} at {worst} " +
            $"(actual {actual[worst]:G9}, reference {expected[worst]:G9}) = {relativeMax:G3} of max |reference| {maxReference:G4} (allowed {MaxTolerance:G1}).");
        return $"  {what}: {expected.Length} elements, relative L2 {relativeL2:G2}, max {relativeMax:G2}";
    }
}
