using InceptionGen.Kernels;
using InceptionGen.Tests.Reference;
using Xunit;
using static InceptionGen.Tests.Training.GradientCheck;

namespace InceptionGen.Tests.Training;

/// <summary>
/// Checks every <see cref="ReferenceBackward"/> kernel against central differences of a double-precision forward
/// (<see cref="DoubleForward"/>; <see cref="GradientCheck"/> explains the tolerance), on small shapes: channel counts that
/// leave padding in the last block, concat layouts whose channel maps have gaps, strides 1-3, kernels 1/3/5/7, paddings
/// through <see cref="ReferenceKernels.Pad"/> and ceil-mode pools whose last window is clipped. Physical channels that
/// a kernel must not read (concat gaps, block padding, an output gradient's padding channels) hold NaN, so reading one
/// fails. Then: the += convention and the empty-input-gradient skip for every kernel, and max pooling's tie rule.
/// </summary>
public class ReferenceBackwardTests
{
    private const int Seed = 4321;

    /// <summary>
    /// For the linear and piecewise-linear ops central differences are exact up to rounding (~1e-16 · |L| / h ≈ 1e-10);
    /// a small step keeps ReLU kinks and max-pool winner changes (inputs 2/length apart, ≥ 1e-4) out of reach.
    /// </summary>
    private const double LinearStep = 1e-6;

    /// <summary>LRN is smooth: truncation h²/6 · |f'''| ≈ 1e-8 · |f'''| and rounding ≈ 1e-12, both far below the tolerance.</summary>
    private const double SmoothStep = 1e-4;

    // ---- Finite-difference checks ----

    [Theory]
    // branches, height, width, out channels, kernel, stride, padding, bias, relu, padding in the kernel (instead of Pad)
    [InlineData(new[] { 1 }, 5, 5, 3, 1, 1, 0, true, false, false)]
    [InlineData(new[] { 3 }, 7, 6, 5, 3, 1, 1, true, true, false)]
    [InlineData(new[] { 17 }, 6, 7, 4, 3, 2, 1, false, false, false)]
    [InlineData(new[] { 3, 17 }, 7, 7, 3, 3, 3, 2, true, true, false)]
    [InlineData(new[] { 15, 1 }, 9, 8, 2, 5, 2, 2, true, false, false)]
    [InlineData(new[] { 2 }, 9, 9, 17, 7, 1, 0, true, true, false)]
    [InlineData(new[] { 5 }, 8, 10, 3, 7, 3, 3, false, false, false)]
    [InlineData(new[] { 24, 5 }, 4, 5, 3, 1, 2, 0, true, false, false)]
    [InlineData(new[] { 1 }, 11, 11, 2, 5, 3, 0, true, true, false)]
    // Generated code pads with Pad and convolves with padding 0, but the kernel's own padding must mean what the forward's does.
    [InlineData(new[] { 3, 17 }, 6, 5, 3, 3, 1, 1, true, false, true)]
    [InlineData(new[] { 4 }, 7, 7, 2, 5, 2, 2, false, true, true)]
    public void Conv2d_gradients_match_finite_differences(int[] branches, int height, int width, int outChannels, int kernel, int stride, int padding,
        bool hasBias, bool relu, bool paddingInKernel)
    {
        var random = new Random(Seed);
        var map = BlockedMap.Of(branches, height, width);
        var input = map.Scatter(RandomValues(random, map.PlainLength), float.NaN);
        var weights = RandomValues(random, outChannels * map.Channels * kernel * kernel);
        float[] bias = hasBias ? RandomValues(random, outChannels) : [];
        var outMap = BlockedMap.Of([outChannels], NchwReference.OutputSize(height, kernel, stride, padding), NchwReference.OutputSize(width, kernel, stride, padding));
        var r = RandomValues(random, outMap.PlainLength);

        // Forward as the generated code runs it: Pad, then the convolution with padding 0 (or the kernel's own padding).
        var convInput = input;
        var border = paddingInKernel ? 0 : padding;
        if (!paddingInKernel)
        {
            convInput = new float[map.PhysicalChannels * (height + 2 * padding) * (width + 2 * padding)];
            ReferenceKernels.Pad(input, convInput, map.PhysicalChannels, height, width, padding);
        }

        var g = new ConvGeometry(map.Channels, height + 2 * border, width + 2 * border, outChannels, outMap.Height, outMap.Width,
            kernel, stride, paddingInKernel ? padding : 0, relu);
        var output = new float[outMap.Length];
        ReferenceKernels.Conv2d(convInput, map.ChannelMap, output, weights, bias, g);

        // Backward: the ReLU mask first (the caller's job), then the convolution, then Pad.
        var outputGradient = outMap.Scatter(r, float.NaN);
        if (relu)
        {
            ReferenceBackward.ReluMask(output, outputGradient);
        }

        var convInputGradient = new float[convInput.Length];
        var weightGradient = new float[weights.Length];
        var biasGradient = new float[bias.Length];
        ReferenceBackward.Conv2d(convInput, map.ChannelMap, outputGradient, weights, convInputGradient, weightGradient, biasGradient, g);
        var inputGradient = convInputGradient;
        if (!paddingInKernel)
        {
            inputGradient = new float[input.Length];
            ReferenceBackward.Pad(convInputGradient, inputGradient, map.PhysicalChannels, height, width, padding);
        }

        var (x0, w0, b0) = (ToDouble(input), ToDouble(weights), ToDouble(bias));
        AssertClose("input gradient", CentralDifferences(x0, x => Objective(x, w0, b0), LinearStep), inputGradient);
        AssertClose("weight gradient", CentralDifferences(w0, w => Objective(x0, w, b0), LinearStep), weightGradient);
        if (hasBias)
        {
            AssertClose("bias gradient", CentralDifferences(b0, b => Objective(x0, w0, b), LinearStep), biasGradient);
        }

        double Objective(double[] x, double[] w, double[] b)
        {
            var y = DoubleForward.Conv2d(map.Gather(x), map.Channels, height, width, w, hasBias ? b : null,
                outChannels, outMap.Height, outMap.Width, kernel, stride, padding);
            return Dot(r, relu ? DoubleForward.Relu(y) : y);
        }
    }

    [Theory]
    // physical channels, height, width, padding
    [InlineData(16, 1, 1, 1)]
    [InlineData(16, 3, 4, 1)]
    [InlineData(32, 5, 3, 2)]
    [InlineData(16, 2, 2, 3)]
    [InlineData(16, 3, 3, 0)]
    public void Pad_gradient_matches_finite_differences(int physicalChannels, int height, int width, int padding)
    {
        var random = new Random(Seed);
        var map = BlockedMap.Physical(physicalChannels, height, width);
        var input = RandomValues(random, map.Length);
        var paddedMap = BlockedMap.Physical(physicalChannels, height + 2 * padding, width + 2 * padding);
        var r = RandomValues(random, paddedMap.PlainLength);

        var inputGradient = new float[map.Length];
        ReferenceBackward.Pad(paddedMap.Scatter(r, 0f), inputGradient, physicalChannels, height, width, padding);

        var expected = CentralDifferences(ToDouble(input),
            x => Dot(r, DoubleForward.Pad(map.Gather(x), physicalChannels, height, width, padding)), LinearStep);
        AssertClose("input gradient", expected, inputGradient);
    }

    /// <summary>
    /// Pool shapes: physical channels, height, width, kernel, stride, padding, ceil mode. Ceil-mode cases clip the last
    /// window at the input's edge (6/3/2, 14/3/2 like GoogLeNet's pool1, 12/5/3, 5/3/3, 9/7/3 with padding 3), or have
    /// Caffe's rule drop a window that would start in the padding (5x8/3/3 with padding 1).
    /// </summary>
    public static TheoryData<int, int, int, int, int, int, bool> PoolCases() => new()
    {
        { 16, 6, 6, 3, 2, 0, true },
        { 16, 6, 7, 3, 2, 0, true },
        { 16, 14, 13, 3, 2, 0, true },
        { 16, 5, 8, 3, 3, 1, true },
        { 16, 7, 7, 5, 3, 2, true },
        { 16, 12, 12, 5, 3, 0, true },
        { 16, 5, 5, 3, 3, 0, true },
        { 16, 9, 9, 7, 3, 3, true },
        { 32, 4, 5, 3, 2, 1, true },
        { 16, 7, 7, 7, 1, 3, false },
        { 16, 4, 4, 1, 1, 0, false },
        { 16, 8, 5, 2, 2, 0, false },
        { 16, 7, 9, 3, 1, 1, false },
        { 16, 10, 10, 5, 3, 0, false },
    };

    [Theory, MemberData(nameof(PoolCases))]
    public void MaxPool2d_gradient_matches_finite_differences(int physicalChannels, int height, int width, int kernel, int stride, int padding, bool ceilMode)
    {
        var random = new Random(Seed);
        var map = BlockedMap.Physical(physicalChannels, height, width);
        var g = PoolGeometryOf(physicalChannels, height, width, kernel, stride, padding, ceilMode);
        var outMap = BlockedMap.Physical(physicalChannels, g.OutHeight, g.OutWidth);
        // Distinct values: no ties, so the max is differentiable and central differences see the same winner.
        var input = DistinctValues(random, map.Length);
        var output = new float[outMap.Length];
        ReferenceKernels.MaxPool2d(input, output, g);
        var r = RandomValues(random, outMap.PlainLength);

        var inputGradient = new float[map.Length];
        ReferenceBackward.MaxPool2d(input, output, outMap.Scatter(r, 0f), inputGradient, g);

        var expected = CentralDifferences(ToDouble(input),
            x => Dot(r, DoubleForward.MaxPool2d(map.Gather(x), physicalChannels, height, width, kernel, stride, padding, g.OutHeight, g.OutWidth)), LinearStep);
        AssertClose("input gradient", expected, inputGradient);
    }

    [Theory, MemberData(nameof(PoolCases))]
    public void AvgPool2d_gradient_matches_finite_differences(int physicalChannels, int height, int width, int kernel, int stride, int padding, bool ceilMode)
    {
        var random = new Random(Seed);
        var map = BlockedMap.Physical(physicalChannels, height, width);
        var g = PoolGeometryOf(physicalChannels, height, width, kernel, stride, padding, ceilMode);
        var outMap = BlockedMap.Physical(physicalChannels, g.OutHeight, g.OutWidth);
        var input = RandomValues(random, map.Length);
        var r = RandomValues(random, outMap.PlainLength);

        var inputGradient = new float[map.Length];
        ReferenceBackward.AvgPool2d(outMap.Scatter(r, 0f), inputGradient, g);

        var expected = CentralDifferences(ToDouble(input),
            x => Dot(r, DoubleForward.AvgPool2d(map.Gather(x), physicalChannels, height, width, kernel, stride, padding, g.OutHeight, g.OutWidth)), LinearStep);
        AssertClose("input gradient", expected, inputGradient);
    }

    [Theory]
    [InlineData(16, 1, 1)]
    [InlineData(16, 3, 5)]
    [InlineData(32, 7, 7)]
    [InlineData(48, 2, 9)]
    public void GlobalAveragePool_gradient_matches_finite_differences(int physicalChannels, int height, int width)
    {
        var random = new Random(Seed);
        var map = BlockedMap.Physical(physicalChannels, height, width);
        var input = RandomValues(random, map.Length);
        var r = RandomValues(random, physicalChannels);

        var inputGradient = new float[map.Length];
        ReferenceBackward.GlobalAveragePool(r, inputGradient, physicalChannels, height, width);

        var expected = CentralDifferences(ToDouble(input),
            x => Dot(r, DoubleForward.GlobalAveragePool(map.Gather(x), physicalChannels, height, width)), LinearStep);
        AssertClose("input gradient", expected, inputGradient);
    }

    [Theory]
    // branches, height, width, size, alpha, beta, k. Few channels, so most windows are clipped at one end or both.
    [InlineData(new[] { 3 }, 2, 3, 3, 2f, 0.75f, 1f)]
    [InlineData(new[] { 3 }, 2, 2, 5, 0.5f, 0.5f, 2f)]
    [InlineData(new[] { 5 }, 3, 2, 5, 2f, 0.75f, 1f)]
    [InlineData(new[] { 17 }, 2, 2, 3, 1e-4f, 0.75f, 1f)]
    [InlineData(new[] { 17 }, 1, 3, 5, 2f, 0.5f, 1f)]
    [InlineData(new[] { 1 }, 3, 3, 5, 2f, 0.75f, 1f)]
    [InlineData(new[] { 4 }, 2, 2, 1, 2f, 0.75f, 1f)]
    // Concats: windows span the gap between branches (logical neighbours in different blocks).
    [InlineData(new[] { 3, 17 }, 2, 2, 5, 1f, 0.75f, 2f)]
    [InlineData(new[] { 15, 1 }, 2, 3, 3, 2f, 0.5f, 1f)]
    [InlineData(new[] { 24, 40 }, 1, 2, 5, 0.5f, 0.75f, 1f)]
    public void LocalResponseNorm_gradient_matches_finite_differences(int[] branches, int height, int width, int size, float alpha, float beta, float k)
    {
        var random = new Random(Seed);
        var map = BlockedMap.Of(branches, height, width);
        var input = map.Scatter(RandomValues(random, map.PlainLength), float.NaN);
        var output = new float[map.Length];
        ReferenceKernels.LocalResponseNorm(input, map.ChannelMap, output, map.Channels, height, width, size, alpha, beta, k);
        var r = RandomValues(random, map.PlainLength);

        var inputGradient = new float[map.Length];
        ReferenceBackward.LocalResponseNorm(input, output, map.Scatter(r, float.NaN), map.ChannelMap, inputGradient,
            map.Channels, height, width, size, alpha, beta, k);

        var expected = CentralDifferences(ToDouble(input),
            x => Dot(r, DoubleForward.LocalResponseNorm(map.Gather(x), map.Channels, height, width, size, alpha, beta, k)), SmoothStep);
        AssertClose("input gradient", expected, inputGradient);
    }

    [Theory]
    // branches (a C×1×1 map), out features, bias, relu
    [InlineData(new[] { 1 }, 1, true, false)]
    [InlineData(new[] { 3 }, 5, false, false)]
    [InlineData(new[] { 17 }, 3, true, true)]
    [InlineData(new[] { 3, 17 }, 4, true, false)]
    [InlineData(new[] { 15, 1 }, 6, false, true)]
    [InlineData(new[] { 24, 40 }, 17, true, true)]
    public void Linear_gradients_match_finite_differences(int[] branches, int outFeatures, bool hasBias, bool relu)
    {
        var random = new Random(Seed);
        var map = BlockedMap.Of(branches, 1, 1);
        var input = map.Scatter(RandomValues(random, map.PlainLength), float.NaN);
        var weights = RandomValues(random, outFeatures * map.Channels);
        float[] bias = hasBias ? RandomValues(random, outFeatures) : [];
        var r = RandomValues(random, outFeatures);
        var output = new float[outFeatures];
        ReferenceKernels.Linear(input, map.ChannelMap, output, weights, bias, map.Channels, outFeatures, relu);

        var outputGradient = (float[])r.Clone();
        if (relu)
        {
            ReferenceBackward.ReluMask(output, outputGradient);
        }

        var inputGradient = new float[map.Length];
        var weightGradient = new float[weights.Length];
        var biasGradient = new float[bias.Length];
        ReferenceBackward.Linear(input, map.ChannelMap, outputGradient, weights, inputGradient, weightGradient, biasGradient, map.Channels, outFeatures);

        var (x0, w0, b0) = (ToDouble(input), ToDouble(weights), ToDouble(bias));
        AssertClose("input gradient", CentralDifferences(x0, x => Objective(x, w0, b0), LinearStep), inputGradient);
        AssertClose("weight gradient", CentralDifferences(w0, w => Objective(x0, w, b0), LinearStep), weightGradient);
        if (hasBias)
        {
            AssertClose("bias gradient", CentralDifferences(b0, b => Objective(x0, w0, b), LinearStep), biasGradient);
        }

        double Objective(double[] x, double[] w, double[] b)
        {
            var y = DoubleForward.Linear(map.Gather(x), w, hasBias ? b : null, outFeatures);
            return Dot(r, relu ? DoubleForward.Relu(y) : y);
        }
    }

    [Theory]
    [InlineData(new[] { 1 }, 1, 1)]
    [InlineData(new[] { 17 }, 2, 3)]
    [InlineData(new[] { 3, 17 }, 3, 2)]
    [InlineData(new[] { 15, 1 }, 2, 2)]
    [InlineData(new[] { 24, 40 }, 1, 3)]
    public void BlockedToPlain_gradient_matches_finite_differences(int[] branches, int height, int width)
    {
        var random = new Random(Seed);
        var map = BlockedMap.Of(branches, height, width);
        var input = map.Scatter(RandomValues(random, map.PlainLength), float.NaN);
        var r = RandomValues(random, map.PlainLength);

        var inputGradient = new float[map.Length];
        ReferenceBackward.BlockedToPlain(r, map.ChannelMap, inputGradient, map.Channels, height, width);

        // Flatten is the logical NCHW map itself.
        var expected = CentralDifferences(ToDouble(input), x => Dot(r, map.Gather(x)), LinearStep);
        AssertClose("input gradient", expected, inputGradient);
    }

    [Fact]
    public void ReluMask_gradient_matches_finite_differences()
    {
        var random = new Random(Seed);
        // Pre-activations at least 0.05 from the kink, with both signs.
        var z = RandomValues(random, 200, 0.05f, 1f);
        for (var i = 0; i < z.Length; i += 2)
        {
            z[i] = -z[i];
        }

        random.Shuffle(z);
        var output = Array.ConvertAll(z, value => MathF.Max(value, 0f));
        var r = RandomValues(random, z.Length);

        var gradient = (float[])r.Clone();
        ReferenceBackward.ReluMask(output, gradient);

        var expected = CentralDifferences(ToDouble(z), x => Dot(r, DoubleForward.Relu(x)), LinearStep);
        AssertClose("pre-activation gradient", expected, gradient);
    }

    [Fact]
    public void ReluMask_zeroes_the_gradient_where_the_output_is_zero_and_rejects_unequal_lengths()
    {
        float[] output = [0f, -0f, 1e-30f, 2f, 0f];
        float[] gradient = [1f, 2f, 3f, 4f, 5f];

        ReferenceBackward.ReluMask(output, gradient);

        Assert.Equal([0f, 0f, 3f, 4f, 0f], gradient);
        Assert.Throws<ArgumentException>(() => ReferenceBackward.ReluMask(new float[3], new float[4]));
    }

    // ---- Max pooling ties ----

    [Fact]
    public void MaxPool2d_routes_a_tied_window_to_its_first_max_in_row_major_order()
    {
        // One 3x3 window over a 3x3 map. Channel 5 holds its max, 1, at (1, 2), (2, 0) and (2, 2): a row-major scan meets
        // (1, 2) first, a column-major scan would pick (2, 0) and a last-max rule (2, 2). Channel 6 ties -0 at (0, 1) with
        // +0 at (0, 2) above negatives: equal values, so the first wins. Every other channel has distinct values.
        var map = BlockedMap.Physical(16, 3, 3);
        var input = new float[map.Length];
        for (var i = 0; i < input.Length; i++)
        {
            input[i] = -1f - 0.01f * ((i * 37) % input.Length);
        }

        foreach (var (y, x) in new[] { (1, 2), (2, 0), (2, 2) })
        {
            input[map.Offset(5, y, x)] = 1f;
        }

        input[map.Offset(6, 0, 1)] = -0f;
        input[map.Offset(6, 0, 2)] = 0f;
        var g = new PoolGeometry(16, 3, 3, 1, 1, 3, 3, 0);
        var output = new float[16];
        ReferenceKernels.MaxPool2d(input, output, g);
        var outputGradient = Enumerable.Range(1, 16).Select(c => (float)c).ToArray();

        var inputGradient = new float[map.Length];
        ReferenceBackward.MaxPool2d(input, output, outputGradient, inputGradient, g);

        var expected = new float[map.Length];
        for (var c = 0; c < 16; c++)
        {
            var winner = c switch
            {
                5 => map.Offset(5, 1, 2),
                6 => map.Offset(6, 0, 1),
                _ => Enumerable.Range(0, 9).Select(cell => map.Offset(c, cell / 3, cell % 3)).MaxBy(offset => input[offset]),
            };
            expected[winner] = outputGradient[c];
        }

        Assert.Equal(expected, inputGradient);
    }

    // ---- Conventions: += and the empty input gradient ----

    /// <summary>A backward call on fixed data; the gradient buffers are the arguments.</summary>
    private delegate void BackwardCall(float[] inputGradient, float[] weightGradient, float[] biasGradient);

    private sealed record Scenario(int InputGradientLength, int WeightGradientLength, int BiasGradientLength, BackwardCall Run);

    public static TheoryData<string> Kernels() => new()
    {
        "Conv2d", "Pad", "MaxPool2d", "AvgPool2d", "GlobalAveragePool", "LocalResponseNorm", "Linear", "BlockedToPlain",
    };

    [Theory, MemberData(nameof(Kernels))]
    public void Backward_adds_into_every_gradient_buffer(string kernel)
    {
        var scenario = ScenarioFor(kernel);
        float[] freshInput = new float[scenario.InputGradientLength], freshWeights = new float[scenario.WeightGradientLength],
            freshBias = new float[scenario.BiasGradientLength];
        scenario.Run(freshInput, freshWeights, freshBias);

        // Gradients already there, as from another branch that reads the same tensor.
        var random = new Random(99);
        var (priorInput, priorWeights, priorBias) = (RandomValues(random, freshInput.Length), RandomValues(random, freshWeights.Length),
            RandomValues(random, freshBias.Length));
        var (input, weights, bias) = ((float[])priorInput.Clone(), (float[])priorWeights.Clone(), (float[])priorBias.Clone());
        scenario.Run(input, weights, bias);

        AssertAdded("input gradient", priorInput, freshInput, input);
        AssertAdded("weight gradient", priorWeights, freshWeights, weights);
        AssertAdded("bias gradient", priorBias, freshBias, bias);
    }

    [Theory, MemberData(nameof(Kernels))]
    public void Empty_input_gradient_skips_only_the_input_gradient(string kernel)
    {
        var scenario = ScenarioFor(kernel);
        float[] weights = new float[scenario.WeightGradientLength], bias = new float[scenario.BiasGradientLength];
        scenario.Run(new float[scenario.InputGradientLength], weights, bias);

        // A kernel that wrote the input gradient anyway would index the empty span and throw.
        float[] skippedWeights = new float[weights.Length], skippedBias = new float[bias.Length];
        scenario.Run([], skippedWeights, skippedBias);

        Assert.Equal(weights, skippedWeights);
        Assert.Equal(bias, skippedBias);
    }

    /// <summary>One call of each kernel on a small concat-shaped input (gaps in the channel map where the kernel takes one).</summary>
    private static Scenario ScenarioFor(string kernel)
    {
        var random = new Random(Seed);
        switch (kernel)
        {
            case "Conv2d":
            {
                var map = BlockedMap.Of([3, 17], 5, 6);
                var input = map.Scatter(RandomValues(random, map.PlainLength), 0f);
                var g = new ConvGeometry(map.Channels, 5, 6, 5, 2, 2, 3, 2, 0, false);
                var weights = RandomValues(random, 5 * map.Channels * 9);
                var outputGradient = RandomValues(random, BlockedLayout.Length(5, 2, 2));
                return new Scenario(map.Length, weights.Length, 5,
                    (dx, dw, db) => ReferenceBackward.Conv2d(input, map.ChannelMap, outputGradient, weights, dx, dw, db, g));
            }

            case "Pad":
            {
                var paddedGradient = RandomValues(random, 16 * 6 * 7);
                return new Scenario(16 * 4 * 5, 0, 0, (dx, _, _) => ReferenceBackward.Pad(paddedGradient, dx, 16, 4, 5, 1));
            }

            case "MaxPool2d":
            {
                var g = new PoolGeometry(16, 6, 6, 3, 3, 3, 2, 0);
                var input = DistinctValues(random, 16 * 36);
                var output = new float[16 * 9];
                ReferenceKernels.MaxPool2d(input, output, g);
                var outputGradient = RandomValues(random, output.Length);
                return new Scenario(input.Length, 0, 0, (dx, _, _) => ReferenceBackward.MaxPool2d(input, output, outputGradient, dx, g));
            }

            case "AvgPool2d":
            {
                var g = new PoolGeometry(16, 6, 6, 3, 3, 3, 2, 0);
                var outputGradient = RandomValues(random, 16 * 9);
                return new Scenario(16 * 36, 0, 0, (dx, _, _) => ReferenceBackward.AvgPool2d(outputGradient, dx, g));
            }

            case "GlobalAveragePool":
            {
                var outputGradient = RandomValues(random, 32);
                return new Scenario(32 * 12, 0, 0, (dx, _, _) => ReferenceBackward.GlobalAveragePool(outputGradient, dx, 32, 3, 4));
            }

            case "LocalResponseNorm":
            {
                var map = BlockedMap.Of([3, 17], 2, 3);
                var input = map.Scatter(RandomValues(random, map.PlainLength), 0f);
                var output = new float[map.Length];
                ReferenceKernels.LocalResponseNorm(input, map.ChannelMap, output, map.Channels, 2, 3, 5, 1f, 0.75f, 1f);
                var outputGradient = map.Scatter(RandomValues(random, map.PlainLength), 0f);
                return new Scenario(map.Length, 0, 0, (dx, _, _) => ReferenceBackward.LocalResponseNorm(input, output, outputGradient, map.ChannelMap, dx,
                    map.Channels, 2, 3, 5, 1f, 0.75f, 1f));
            }

            case "Linear":
            {
                var map = BlockedMap.Of([3, 17], 1, 1);
                var input = map.Scatter(RandomValues(random, map.PlainLength), 0f);
                var weights = RandomValues(random, 7 * map.Channels);
                var outputGradient = RandomValues(random, 7);
                return new Scenario(map.Length, weights.Length, 7,
                    (dx, dw, db) => ReferenceBackward.Linear(input, map.ChannelMap, outputGradient, weights, dx, dw, db, map.Channels, 7));
            }

            case "BlockedToPlain":
            {
                var map = BlockedMap.Of([3, 17], 2, 2);
                var plainGradient = RandomValues(random, map.PlainLength);
                return new Scenario(map.Length, 0, 0, (dx, _, _) => ReferenceBackward.BlockedToPlain(plainGradient, map.ChannelMap, dx, map.Channels, 2, 2));
            }

            default:
                throw new ArgumentOutOfRangeException(nameof(kernel), kernel, "No scenario for this kernel.");
        }
    }

    /// <summary>
    /// Asserts <paramref name="accumulated"/> = <paramref name="prior"/> + <paramref name="fresh"/>, up to float rounding of
    /// the different summation order (1e-5 of the magnitudes); overwriting instead of adding is off by the prior itself.
    /// </summary>
    private static void AssertAdded(string what, float[] prior, float[] fresh, float[] accumulated)
    {
        if (prior.Length == 0)
        {
            return;
        }

        Assert.True(fresh.Any(value => value != 0f), $"{what}: the kernel's own gradient is all zero, so adding could not be told from keeping.");
        var tolerance = 1e-5f * (prior.Max(MathF.Abs) + fresh.Max(MathF.Abs));
        for (var i = 0; i < prior.Length; i++)
        {
            if (!(MathF.Abs(accumulated[i] - (prior[i] + fresh[i])) <= tolerance))
            {
                Assert.Fail($"{what}[{i}]: {prior[i]} before plus {fresh[i]} from the kernel should give {prior[i] + fresh[i]}, got {accumulated[i]}.");
            }
        }
    }

    /// <summary>The geometry of a pool on one image, with the output size from the floor/ceil rule; every window must overlap the input.</summary>
    private static PoolGeometry PoolGeometryOf(int physicalChannels, int height, int width, int kernel, int stride, int padding, bool ceilMode)
    {
        var outHeight = NchwReference.OutputSize(height, kernel, stride, padding, ceilMode);
        var outWidth = NchwReference.OutputSize(width, kernel, stride, padding, ceilMode);
        Assert.True((outHeight - 1) * stride - padding < height && (outWidth - 1) * stride - padding < width, "A window lies wholly in the padding.");
        return new PoolGeometry(physicalChannels, height, width, outHeight, outWidth, kernel, stride, padding);
    }
}
