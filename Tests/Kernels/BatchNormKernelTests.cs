using System.Runtime.InteropServices;
using InceptionGen.Kernels;
using Xunit;

namespace InceptionGen.Tests.Kernels;

/// <summary>
/// BatchNorm: the plane kernels of <see cref="BatchNormKernels"/> against <see cref="BatchNormReference"/> bit for bit on
/// whichever ISA path this process runs (CI runs the suite once per path), and the whole train-mode pipeline
/// (statistics accumulated pass by pass, the per-channel steps of <see cref="BatchNorm"/>, normalize, backward) against
/// PyTorch's formulas evaluated in double on plain NCHW, and against finite differences. Shapes: channel counts that
/// leave padding lanes (1, 5, 17, 24, 33, 70), odd pixel counts, 1x1 maps and rows longer than a cache line.
/// </summary>
public sealed class BatchNormKernelTests(ITestOutputHelper output)
{
    private const int Block = BlockedLayout.BlockSize;
    private const double Epsilon = 1e-5;

    public static TheoryData<int, int, int> PlaneCases()
    {
        var cases = new TheoryData<int, int, int>();
        int[] channels = [1, 5, 16, 17, 24, 33, 48, 70];
        (int Height, int Width)[] maps = [(1, 1), (1, 2), (1, 3), (3, 5), (2, 8), (7, 7), (5, 9), (13, 13), (14, 14), (1, 57), (112, 1), (28, 28)];
        for (var i = 0; i < maps.Length; i++)
        {
            cases.Add(channels[i % channels.Length], maps[i].Height, maps[i].Width);
        }

        // No pixels at all: nothing to do, nothing touched.
        cases.Add(16, 0, 5);
        return cases;
    }

    // ---- Plane kernels: bit for bit against the reference ----

    /// <summary>
    /// Tolerance: none. Both widen each float to double and add it and its square (exact in double) per channel, pixel
    /// by pixel with one accumulator, onto the sums already there.
    /// </summary>
    [Theory, MemberData(nameof(PlaneCases))]
    public void AccumulateStatistics_matches_the_reference_bit_for_bit(int channels, int height, int width)
    {
        var random = new Random(channels * 100 + height * 10 + width);
        var physical = BlockedLayout.PaddedChannels(channels);
        var image = BlockedImage(random, channels, height, width, offset: 3f);
        var startSum = Doubles(random, physical);
        var startSquares = Doubles(random, physical);
        var (expectedSum, expectedSquares) = ((double[])startSum.Clone(), (double[])startSquares.Clone());
        BatchNormReference.AccumulateStatistics(image, physical, height, width, expectedSum, expectedSquares);

        var (sum, squares) = ((double[])startSum.Clone(), (double[])startSquares.Clone());
        var plane = height * width * Block;
        for (var b = 0; b < physical / Block; b++)
        {
            BatchNormKernels.AccumulateStatistics(image.AsSpan(b * plane, plane), height * width, sum.AsSpan(b * Block, Block), squares.AsSpan(b * Block, Block));
        }

        AssertBitwiseEqual(expectedSum, sum, $"Σx of {channels}x{height}x{width}");
        AssertBitwiseEqual(expectedSquares, squares, $"Σx² of {channels}x{height}x{width}");
    }

    /// <summary>Tolerance: none; both compute <c>x·scale + shift</c> in float, then the same max.</summary>
    [Theory, MemberData(nameof(PlaneCases))]
    public void Normalize_matches_the_reference_bit_for_bit_out_of_place_and_in_place(int channels, int height, int width)
    {
        var random = new Random(channels * 100 + height * 10 + width + 1);
        var physical = BlockedLayout.PaddedChannels(channels);
        var image = BlockedImage(random, channels, height, width, offset: 0f);
        var scale = Floats(random, physical, 0.5f, 2f);
        var shift = Floats(random, physical, -1f, 1f);
        var plane = height * width * Block;
        foreach (var relu in new[] { false, true })
        {
            var expected = new float[image.Length];
            BatchNormReference.Normalize(image, expected, physical, height, width, scale, shift, relu);

            var actual = BlockedKernelTests.RunGuarded(image.Length, span =>
            {
                for (var b = 0; b < physical / Block; b++)
                {
                    BatchNormKernels.Normalize(image.AsSpan(b * plane, plane), span.Slice(b * plane, plane), height * width,
                        scale.AsSpan(b * Block, Block), shift.AsSpan(b * Block, Block), relu);
                }
            });
            AssertBitwiseEqual(expected, actual, $"normalize (relu {relu}) of {channels}x{height}x{width}");

            var inPlace = (float[])image.Clone();
            for (var b = 0; b < physical / Block; b++)
            {
                var span = inPlace.AsSpan(b * plane, plane);
                BatchNormKernels.Normalize(span, span, height * width, scale.AsSpan(b * Block, Block), shift.AsSpan(b * Block, Block), relu);
            }

            AssertBitwiseEqual(expected, inPlace, $"in-place normalize (relu {relu}) of {channels}x{height}x{width}");
        }
    }

    /// <summary>Tolerance: none. Both add dy and ((double)x − mean)·dy per channel in double, pixel by pixel, onto the sums there.</summary>
    [Theory, MemberData(nameof(PlaneCases))]
    public void AccumulateGradientStatistics_matches_the_reference_bit_for_bit(int channels, int height, int width)
    {
        var random = new Random(channels * 100 + height * 10 + width + 2);
        var physical = BlockedLayout.PaddedChannels(channels);
        var input = BlockedImage(random, channels, height, width, offset: 2f);
        var gradient = BlockedImage(random, channels, height, width, offset: 0f);
        var mean = Floats(random, physical, 1.5f, 2.5f);
        var startSum = Doubles(random, physical);
        var startProducts = Doubles(random, physical);
        var (expectedSum, expectedProducts) = ((double[])startSum.Clone(), (double[])startProducts.Clone());
        BatchNormReference.AccumulateGradientStatistics(input, gradient, physical, height, width, mean, expectedSum, expectedProducts);

        var (sum, products) = ((double[])startSum.Clone(), (double[])startProducts.Clone());
        var plane = height * width * Block;
        for (var b = 0; b < physical / Block; b++)
        {
            BatchNormKernels.AccumulateGradientStatistics(input.AsSpan(b * plane, plane), gradient.AsSpan(b * plane, plane), height * width,
                mean.AsSpan(b * Block, Block), sum.AsSpan(b * Block, Block), products.AsSpan(b * Block, Block));
        }

        AssertBitwiseEqual(expectedSum, sum, $"Σdy of {channels}x{height}x{width}");
        AssertBitwiseEqual(expectedProducts, products, $"Σdy·(x − mean) of {channels}x{height}x{width}");
    }

    /// <summary>Tolerance: none; both evaluate <c>dx + ((dy − gm) − (x − mean)·k)·s</c> in float in that order.</summary>
    [Theory, MemberData(nameof(PlaneCases))]
    public void AddInputGradient_matches_the_reference_bit_for_bit(int channels, int height, int width)
    {
        var random = new Random(channels * 100 + height * 10 + width + 3);
        var physical = BlockedLayout.PaddedChannels(channels);
        var input = BlockedImage(random, channels, height, width, offset: 2f);
        var gradient = BlockedImage(random, channels, height, width, offset: 0f);
        var start = BlockedImage(random, channels, height, width, offset: 0f);
        var (mean, centeredScale) = (Floats(random, physical, 1.5f, 2.5f), Floats(random, physical, -0.3f, 0.3f));
        var (gradientMean, inputScale) = (Floats(random, physical, -0.2f, 0.2f), Floats(random, physical, 0.5f, 3f));
        var expected = (float[])start.Clone();
        BatchNormReference.AddInputGradient(input, gradient, expected, physical, height, width, mean, centeredScale, gradientMean, inputScale);

        var actual = (float[])start.Clone();
        var plane = height * width * Block;
        for (var b = 0; b < physical / Block; b++)
        {
            var lanes = new Range(b * Block, (b + 1) * Block);
            BatchNormKernels.AddInputGradient(input.AsSpan(b * plane, plane), gradient.AsSpan(b * plane, plane), actual.AsSpan(b * plane, plane), height * width,
                mean.AsSpan()[lanes], centeredScale.AsSpan()[lanes], gradientMean.AsSpan()[lanes], inputScale.AsSpan()[lanes]);
        }

        AssertBitwiseEqual(expected, actual, $"dx of {channels}x{height}x{width}");
    }

    // ---- The train-mode pipeline against PyTorch's formulas in double ----

    /// <summary>
    /// A batch of 5 images run in passes of 2 (2 + 2 + 1), as training runs it, against BN over the whole batch in
    /// double: the output within float rounding of the exact normalization (|Δ| ≤ 1e-5·(1 + |y|): x·scale and shift are
    /// each up to ~15 here and cancel, as in PyTorch's kernel, so their float sum carries up to ~2e-6; a statistic taken over
    /// one pass instead of the batch is off by ~1e-1), padding channels exactly zero, and the running statistics within
    /// 2e-7 relative (one float rounding of a double value) of PyTorch's update with the unbiased variance.
    /// </summary>
    [Theory]
    [InlineData(5, 3, 3, 5, 0.1, false)]
    [InlineData(17, 7, 7, 5, 0.1, true)]
    [InlineData(33, 1, 1, 5, 0.3, false)]
    [InlineData(24, 5, 3, 3, 1.0, true)]
    [InlineData(1, 2, 1, 2, 0.0, false)]
    public void Train_forward_over_passes_matches_whole_batch_normalization_and_updates_running_statistics(
        int channels, int height, int width, int batch, double momentum, bool relu)
    {
        var random = new Random(channels + 7 * height + 31 * batch);
        var plain = Enumerable.Range(0, batch).Select(_ => Floats(random, channels * height * width, -1f, 1f).Select((v, i) => v * (1 + i % 3) + 4f).ToArray()).ToArray();
        var (weight, bias) = (Floats(random, channels, 0.5f, 1.5f), Floats(random, channels, -0.5f, 0.5f));
        var (runningMean, runningVariance) = (Floats(random, channels, -0.1f, 0.1f), Floats(random, channels, 0.8f, 1.2f));
        var expectedRunning = ExpectedRunningStatistics(plain, channels, height * width, momentum, runningMean, runningVariance);

        var layer = new BatchNormTrainingLayer(channels, height, width, weight, bias);
        var outputs = layer.Forward(plain, passSize: 2, relu);
        var tracked = 0L;
        var factor = BatchNorm.RunningUpdateFactor(momentum, ref tracked);
        BatchNorm.UpdateRunningStatistics(layer.Sum, layer.SumOfSquares, layer.Count, channels, default, factor, runningMean, runningVariance);

        Assert.Equal(1, tracked);
        var worst = 0.0;
        var expected = ExpectedTrainOutput(plain, channels, height * width, weight, bias, relu);
        for (var n = 0; n < batch; n++)
        {
            BatchNormTrainingLayer.AssertPaddingLanesZero(outputs[n], channels, height, width);
            var result = new float[channels * height * width];
            ReferenceKernels.BlockedToPlain(outputs[n], default, result, channels, height, width);
            for (var i = 0; i < result.Length; i++)
            {
                var error = Math.Abs(result[i] - expected[n][i]);
                worst = Math.Max(worst, error);
                Assert.True(error <= 1e-5 * (1 + Math.Abs(expected[n][i])), $"image {n}, element {i}: {result[i]:G9}, expected {expected[n][i]:G9}.");
            }
        }

        for (var c = 0; c < channels; c++)
        {
            AssertRelative(expectedRunning.Mean[c], runningMean[c], 2e-7, $"running_mean[{c}]");
            AssertRelative(expectedRunning.Variance[c], runningVariance[c], 2e-7, $"running_var[{c}]");
        }

        output.WriteLine($"{Isa.Current}: worst output error {worst:G3}.");
    }

    /// <summary>
    /// momentum=None is PyTorch's cumulative average: after k batches the running mean is the plain average of the k
    /// batch means (and the running variance of the k unbiased variances), with the initial values forgotten at once.
    /// </summary>
    [Fact]
    public void Momentum_none_averages_every_batch_so_far()
    {
        const int Channels = 3, Pixels = 4, Batches = 4;
        var random = new Random(5);
        float[] runningMean = [7f, 7f, 7f], runningVariance = [9f, 9f, 9f];
        var tracked = 0L;
        var means = new double[Batches, Channels];
        var variances = new double[Batches, Channels];
        for (var k = 0; k < Batches; k++)
        {
            var plain = new[] { Floats(random, Channels * Pixels, -1f, 1f).Select(v => v + k).ToArray(), Floats(random, Channels * Pixels, -2f, 2f) };
            var layer = new BatchNormTrainingLayer(Channels, Pixels, 1, [], []);
            layer.Forward(plain, passSize: 1, relu: false);
            BatchNorm.UpdateRunningStatistics(layer.Sum, layer.SumOfSquares, layer.Count, Channels, default,
                BatchNorm.RunningUpdateFactor(momentum: null, ref tracked), runningMean, runningVariance);
            for (var c = 0; c < Channels; c++)
            {
                var values = plain.SelectMany(image => image.Skip(c * Pixels).Take(Pixels)).Select(v => (double)v).ToArray();
                means[k, c] = values.Average();
                variances[k, c] = values.Sum(v => (v - means[k, c]) * (v - means[k, c])) / (values.Length - 1);
            }

            for (var c = 0; c < Channels; c++)
            {
                // The cumulative average is computed as PyTorch does, f·new + (1 − f)·old in float steps, so allow a few roundings.
                var expectedMean = Enumerable.Range(0, k + 1).Average(j => means[j, c]);
                var expectedVariance = Enumerable.Range(0, k + 1).Average(j => variances[j, c]);
                AssertRelative(expectedMean, runningMean[c], 1e-6, $"batch {k + 1}: running_mean[{c}]");
                AssertRelative(expectedVariance, runningVariance[c], 1e-6, $"batch {k + 1}: running_var[{c}]");
            }
        }

        Assert.Equal(Batches, tracked);
    }

    [Fact]
    public void Training_statistics_of_one_value_per_channel_are_refused_as_in_PyTorch()
    {
        var sums = new double[Block];
        var exception = Assert.Throws<ArgumentException>(() => BatchNorm.TrainingCoefficients(sums, sums, 1, 3, default, [], [], Epsilon,
            new float[Block], new float[Block], new float[Block], new float[Block]));
        Assert.Contains("more than 1 value per channel", exception.Message);
        float[] mean = [0f], variance = [1f];
        Assert.Throws<ArgumentException>(() => BatchNorm.UpdateRunningStatistics(sums, sums, 1, 1, default, 0.1, mean, variance));
    }

    /// <summary>
    /// A channel map with a gap (logical channels 0-7 at physical 0-7, 8-15 at physical 16-23, as after a concat of two
    /// 8-wide branches): the statistics, scale and shift land on the mapped lanes; the gap and padding lanes get zero
    /// coefficients, so they stay zero after normalize.
    /// </summary>
    [Fact]
    public void Channel_map_places_coefficients_on_physical_lanes_and_zeroes_the_gaps()
    {
        const int Channels = 16, Physical = 32, Pixels = 6;
        var map = Enumerable.Range(0, 8).Concat(Enumerable.Range(16, 8)).ToArray();
        var random = new Random(9);
        var image = new float[Physical * Pixels];
        for (var c = 0; c < Channels; c++)
        {
            for (var p = 0; p < Pixels; p++)
            {
                image[BlockedLayout.Index(map[c], p, 0, Pixels, 1)] = 2f * random.NextSingle() + c;
            }
        }

        var (sum, squares) = (new double[Physical], new double[Physical]);
        BatchNormReference.AccumulateStatistics(image, Physical, Pixels, 1, sum, squares);
        var (mean, inverseStd, scale, shift) = (new float[Physical], new float[Physical], new float[Physical], new float[Physical]);
        Array.Fill(scale, float.NaN);
        var weight = Floats(random, Channels, 0.5f, 1.5f);
        var bias = Floats(random, Channels, -1f, 1f);
        BatchNorm.TrainingCoefficients(sum, squares, Pixels, Channels, map, weight, bias, Epsilon, mean, inverseStd, scale, shift);

        for (var p = 0; p < Physical; p++)
        {
            var logical = Array.IndexOf(map, p);
            if (logical < 0)
            {
                Assert.True(scale[p] == 0f && shift[p] == 0f && mean[p] == 0f && inverseStd[p] == 0f, $"unmapped physical channel {p} has coefficients.");
                continue;
            }

            var values = Enumerable.Range(0, Pixels).Select(i => (double)image[BlockedLayout.Index(p, i, 0, Pixels, 1)]).ToArray();
            AssertRelative(values.Average(), mean[p], 1e-7, $"mean of logical {logical}");
            var variance = values.Sum(v => (v - values.Average()) * (v - values.Average())) / Pixels;
            AssertRelative(weight[logical] / Math.Sqrt(variance + Epsilon), scale[p], 1e-6, $"scale of logical {logical}");
        }
    }

    // ---- Backward: exact, against the double formula and finite differences ----

    /// <summary>
    /// The loss Σ r·y (r fixed random) of train-mode BN (no ReLU), differentiated by central differences of a double
    /// forward over the whole batch, against the kernels' dx, dγ and dβ over passes of 2. The double forward is
    /// smooth, h = 1e-4 gives differences accurate to ~1e-8; the kernels work in float, so the tolerance is
    /// 2e-4·max|gradient| (a dropped term of the exact backward, such as mean(dy·x̂), is off by ~1e-1 of it).
    /// </summary>
    [Theory]
    [InlineData(3, 3, 2, 3, true)]
    [InlineData(17, 2, 1, 2, false)]
    public void Backward_in_train_and_frozen_mode_matches_finite_differences(int channels, int height, int width, int batch, bool batchStatistics)
    {
        var random = new Random(channels * 3 + batch);
        var pixels = height * width;
        var plain = Enumerable.Range(0, batch).Select(_ => Floats(random, channels * pixels, -2f, 2f)).ToArray();
        var direction = Enumerable.Range(0, batch).Select(_ => Floats(random, channels * pixels, -1f, 1f)).ToArray();
        var (weight, bias) = (Floats(random, channels, 0.5f, 1.5f), Floats(random, channels, -0.5f, 0.5f));
        var (runningMean, runningVariance) = (Floats(random, channels, -0.3f, 0.3f), Floats(random, channels, 0.5f, 1.5f));

        var layer = new BatchNormTrainingLayer(channels, height, width, weight, bias);
        if (batchStatistics)
        {
            layer.Forward(plain, passSize: 2, relu: false);
        }
        else
        {
            layer.FreezeTo(runningMean, runningVariance);
        }

        var (inputGradient, weightGradient, biasGradient) = layer.Backward(plain, direction, passSize: 2, batchStatistics);

        double Loss(double[][] x, double[] g, double[] b)
        {
            var y = batchStatistics ? DoubleTrainForward(x, channels, pixels, g, b) : DoubleEvalForward(x, channels, pixels, g, b, runningMean, runningVariance);
            return Enumerable.Range(0, batch).Sum(n => Enumerable.Range(0, y[n].Length).Sum(i => y[n][i] * direction[n][i]));
        }

        const double H = 1e-4;
        var x = plain.Select(image => image.Select(v => (double)v).ToArray()).ToArray();
        var (g, b) = (weight.Select(v => (double)v).ToArray(), bias.Select(v => (double)v).ToArray());
        double Central(double[] values, int i)
        {
            var original = values[i];
            values[i] = original + H;
            var plus = Loss(x, g, b);
            values[i] = original - H;
            var minus = Loss(x, g, b);
            values[i] = original;
            return (plus - minus) / (2 * H);
        }

        var dx = x.Select(image => Enumerable.Range(0, image.Length).Select(i => Central(image, i)).ToArray()).ToArray();
        var dg = Enumerable.Range(0, channels).Select(c => Central(g, c)).ToArray();
        var db = Enumerable.Range(0, channels).Select(c => Central(b, c)).ToArray();

        AssertClose(dx.SelectMany(v => v).ToArray(), inputGradient.SelectMany(v => v).ToArray(), 2e-4, "dx");
        AssertClose(dg, weightGradient, 2e-4, "dγ");
        AssertClose(db, biasGradient, 2e-4, "dβ");
    }

    /// <summary>
    /// The kernels' backward over passes against the textbook formula in double, dx = (γ/σ)·(dy − mean(dy) − x̂·mean(dy·x̂)),
    /// with a fused ReLU whose mask is applied to dy first, on a larger map with padding lanes and odd pixels. The
    /// kernels' dx is a float evaluation of the same expression: |Δ| ≤ 1e-5·max|dx| (no ReLU mask: 1e-1 off).
    /// </summary>
    [Theory]
    [InlineData(33, 5, 7, 3)]
    [InlineData(16, 14, 14, 4)]
    [InlineData(70, 1, 1, 5)]
    public void Train_backward_with_fused_relu_matches_the_double_formula(int channels, int height, int width, int batch)
    {
        var random = new Random(channels + height + batch);
        var pixels = height * width;
        var plain = Enumerable.Range(0, batch).Select(_ => Floats(random, channels * pixels, -2f, 2f).Select(v => v + 1f).ToArray()).ToArray();
        var direction = Enumerable.Range(0, batch).Select(_ => Floats(random, channels * pixels, -1f, 1f)).ToArray();
        var (weight, bias) = (Floats(random, channels, 0.5f, 1.5f), Floats(random, channels, -0.5f, 0.5f));

        var layer = new BatchNormTrainingLayer(channels, height, width, weight, bias);
        var outputs = layer.Forward(plain, passSize: 2, relu: true);
        // The fused ReLU's backward: dy is masked by the layer's output first, as for every fused ReLU.
        var masked = new float[batch][];
        for (var n = 0; n < batch; n++)
        {
            var blockedGradient = BatchNormTrainingLayer.Blocked(direction[n], channels, height, width);
            ReferenceBackward.ReluMask(outputs[n], blockedGradient);
            masked[n] = new float[channels * pixels];
            ReferenceKernels.BlockedToPlain(blockedGradient, default, masked[n], channels, height, width);
        }

        var (inputGradient, weightGradient, biasGradient) = layer.Backward(plain, masked, passSize: 2, batchStatistics: true);

        var x = plain.Select(image => image.Select(v => (double)v).ToArray()).ToArray();
        var dy = masked.Select(image => image.Select(v => (double)v).ToArray()).ToArray();
        var (expectedDx, expectedDg, expectedDb) = DoubleTrainBackward(x, dy, channels, pixels, weight);
        AssertClose(expectedDx.SelectMany(v => v).ToArray(), inputGradient.SelectMany(v => v).ToArray(), 1e-5, "dx");
        AssertClose(expectedDg, weightGradient, 1e-5, "dγ");
        AssertClose(expectedDb, biasGradient, 1e-5, "dβ");
    }

    // ---- Eval mode and the fold ----

    /// <summary>Eval mode normalizes with the running statistics: y = (x − running_mean)/√(running_var + eps)·γ + β, to float rounding.</summary>
    [Fact]
    public void Eval_mode_normalizes_with_the_running_statistics()
    {
        const int Channels = 21, Height = 3, Width = 5;
        var random = new Random(21);
        var plain = new[] { Floats(random, Channels * Height * Width, -3f, 3f) };
        var (weight, bias) = (Floats(random, Channels, 0.5f, 1.5f), Floats(random, Channels, -0.5f, 0.5f));
        var (runningMean, runningVariance) = (Floats(random, Channels, -1f, 1f), Floats(random, Channels, 0.2f, 3f));
        var layer = new BatchNormTrainingLayer(Channels, Height, Width, weight, bias);
        layer.FreezeTo(runningMean, runningVariance);
        var result = layer.Normalize(plain, passSize: 1, relu: false);

        var expected = DoubleEvalForward(plain.Select(i => i.Select(v => (double)v).ToArray()).ToArray(), Channels, Height * Width,
            weight.Select(v => (double)v).ToArray(), bias.Select(v => (double)v).ToArray(), runningMean, runningVariance);
        var actual = new float[plain[0].Length];
        ReferenceKernels.BlockedToPlain(result[0], default, actual, Channels, Height, Width);
        for (var i = 0; i < actual.Length; i++)
        {
            Assert.True(Math.Abs(actual[i] - expected[0][i]) <= 2e-6 * (1 + Math.Abs(expected[0][i])), $"element {i}: {actual[i]:G9}, expected {expected[0][i]:G9}.");
        }

        BatchNormTrainingLayer.AssertPaddingLanesZero(result[0], Channels, Height, Width);
    }

    /// <summary>
    /// conv → BN(eval) equals the folded conv: a 3x3 pad-1 convolution (with and without bias) and a 1x3 one, followed by
    /// eval-mode BN, against the same convolution with <see cref="BatchNorm.FoldIntoConvolution"/>'s weights and bias.
    /// Both are float evaluations of the same value: |Δ| ≤ 1e-5·(1 + |y|). Without the fold of the mean into the bias,
    /// or with the scale on the input channels, they differ by ~1.
    /// </summary>
    [Theory]
    [InlineData(5, 7, 3, 3, true)]
    [InlineData(3, 20, 3, 3, false)]
    [InlineData(4, 6, 1, 3, true)]
    public void Conv_then_eval_batchnorm_equals_the_folded_conv(int inChannels, int outChannels, int kernelHeight, int kernelWidth, bool convBias)
    {
        const int Height = 6, Width = 5;
        var random = new Random(inChannels * 10 + outChannels);
        var input = Floats(random, inChannels * Height * Width, -1f, 1f);
        var weights = Floats(random, outChannels * inChannels * kernelHeight * kernelWidth, -0.5f, 0.5f);
        var bias = convBias ? Floats(random, outChannels, -0.5f, 0.5f) : [];
        var (gamma, beta) = (Floats(random, outChannels, 0.5f, 1.5f), Floats(random, outChannels, -0.5f, 0.5f));
        var (runningMean, runningVariance) = (Floats(random, outChannels, -1f, 1f), Floats(random, outChannels, 0.1f, 2f));

        var convolved = PlainConvolution(input, weights, bias, inChannels, outChannels, Height, Width, kernelHeight, kernelWidth);
        var layer = new BatchNormTrainingLayer(outChannels, Height, Width, gamma, beta);
        layer.FreezeTo(runningMean, runningVariance);
        var normalized = new float[convolved.Length];
        ReferenceKernels.BlockedToPlain(layer.Normalize([convolved], passSize: 1, relu: false)[0], default, normalized, outChannels, Height, Width);

        var (foldedWeights, foldedBias) = (new float[weights.Length], new float[outChannels]);
        BatchNorm.FoldIntoConvolution(weights, bias, outChannels, gamma, beta, runningMean, runningVariance, Epsilon, foldedWeights, foldedBias);
        var folded = PlainConvolution(input, foldedWeights, foldedBias, inChannels, outChannels, Height, Width, kernelHeight, kernelWidth);

        for (var i = 0; i < folded.Length; i++)
        {
            Assert.True(Math.Abs(folded[i] - normalized[i]) <= 1e-5 * (1 + Math.Abs(normalized[i])), $"element {i}: folded {folded[i]:G9}, conv then BN {normalized[i]:G9}.");
        }
    }

    // ---- PyTorch's formulas in double, on plain NCHW ----

    private static (double[] Mean, double[] BiasedVariance) DoubleBatchStatistics(double[][] x, int channels, int pixels)
    {
        var (mean, variance) = (new double[channels], new double[channels]);
        for (var c = 0; c < channels; c++)
        {
            var values = x.SelectMany(image => image.Skip(c * pixels).Take(pixels)).ToArray();
            mean[c] = values.Average();
            variance[c] = values.Sum(v => (v - mean[c]) * (v - mean[c])) / values.Length;
        }

        return (mean, variance);
    }

    private static double[][] DoubleTrainForward(double[][] x, int channels, int pixels, double[] weight, double[] bias)
    {
        var (mean, variance) = DoubleBatchStatistics(x, channels, pixels);
        return x.Select(image => image.Select((v, i) => (v - mean[i / pixels]) / Math.Sqrt(variance[i / pixels] + Epsilon) * weight[i / pixels] + bias[i / pixels]).ToArray()).ToArray();
    }

    private static double[][] DoubleEvalForward(double[][] x, int channels, int pixels, double[] weight, double[] bias, float[] runningMean, float[] runningVariance)
        => x.Select(image => image.Select((v, i) => (v - runningMean[i / pixels]) / Math.Sqrt(runningVariance[i / pixels] + Epsilon) * weight[i / pixels] + bias[i / pixels]).ToArray()).ToArray();

    private static double[][] ExpectedTrainOutput(float[][] plain, int channels, int pixels, float[] weight, float[] bias, bool relu)
    {
        var y = DoubleTrainForward(plain.Select(i => i.Select(v => (double)v).ToArray()).ToArray(), channels, pixels,
            weight.Select(v => (double)v).ToArray(), bias.Select(v => (double)v).ToArray());
        return relu ? y.Select(image => image.Select(v => Math.Max(v, 0)).ToArray()).ToArray() : y;
    }

    private static (double[] Mean, double[] Variance) ExpectedRunningStatistics(float[][] plain, int channels, int pixels, double momentum, float[] runningMean, float[] runningVariance)
    {
        var (mean, variance) = DoubleBatchStatistics(plain.Select(i => i.Select(v => (double)v).ToArray()).ToArray(), channels, pixels);
        var n = (double)plain.Length * pixels;
        return (Enumerable.Range(0, channels).Select(c => momentum * mean[c] + (1 - momentum) * runningMean[c]).ToArray(),
                Enumerable.Range(0, channels).Select(c => momentum * variance[c] * n / (n - 1) + (1 - momentum) * runningVariance[c]).ToArray());
    }

    private static (double[][] Dx, double[] Dg, double[] Db) DoubleTrainBackward(double[][] x, double[][] dy, int channels, int pixels, float[] weight)
    {
        var (mean, variance) = DoubleBatchStatistics(x, channels, pixels);
        var count = x.Length * pixels;
        var (dg, db) = (new double[channels], new double[channels]);
        var normalized = x.Select(image => image.Select((v, i) => (v - mean[i / pixels]) / Math.Sqrt(variance[i / pixels] + Epsilon)).ToArray()).ToArray();
        for (var n = 0; n < x.Length; n++)
        {
            for (var i = 0; i < x[n].Length; i++)
            {
                db[i / pixels] += dy[n][i];
                dg[i / pixels] += dy[n][i] * normalized[n][i];
            }
        }

        var dx = x.Select((image, n) => image.Select((_, i) =>
        {
            var c = i / pixels;
            return weight[c] / Math.Sqrt(variance[c] + Epsilon) * (dy[n][i] - db[c] / count - normalized[n][i] * dg[c] / count);
        }).ToArray()).ToArray();
        return (dx, dg, db);
    }

    /// <summary>A direct convolution on plain NCHW, stride 1, "same" zero padding, for the fold test.</summary>
    private static float[] PlainConvolution(float[] input, float[] weights, float[] bias, int inChannels, int outChannels, int height, int width, int kernelHeight, int kernelWidth)
    {
        var result = new float[outChannels * height * width];
        for (var o = 0; o < outChannels; o++)
        {
            for (var y = 0; y < height; y++)
            {
                for (var x = 0; x < width; x++)
                {
                    var sum = bias.Length == 0 ? 0f : bias[o];
                    for (var i = 0; i < inChannels; i++)
                    {
                        for (var ky = 0; ky < kernelHeight; ky++)
                        {
                            for (var kx = 0; kx < kernelWidth; kx++)
                            {
                                var (iy, ix) = (y + ky - kernelHeight / 2, x + kx - kernelWidth / 2);
                                if ((uint)iy < (uint)height && (uint)ix < (uint)width)
                                {
                                    sum += weights[((o * inChannels + i) * kernelHeight + ky) * kernelWidth + kx] * input[(i * height + iy) * width + ix];
                                }
                            }
                        }
                    }

                    result[(o * height + y) * width + x] = sum;
                }
            }
        }

        return result;
    }

    // ---- Helpers ----

    /// <summary>One blocked image: values in [offset − 1, offset + 1] in the logical channels, a few exact zeros, zero padding lanes.</summary>
    private static float[] BlockedImage(Random random, int channels, int height, int width, float offset)
    {
        var plain = Floats(random, channels * height * width, offset - 1f, offset + 1f);
        for (var i = 0; i < plain.Length; i += 11)
        {
            plain[i] = 0f;
        }

        return BatchNormTrainingLayer.Blocked(plain, channels, height, width);
    }

    private static float[] Floats(Random random, int length, float low, float high)
        => Enumerable.Range(0, length).Select(_ => low + (high - low) * random.NextSingle()).ToArray();

    private static double[] Doubles(Random random, int length) => Enumerable.Range(0, length).Select(_ => random.NextDouble() * 10 - 5).ToArray();

    private static void AssertRelative(double expected, float actual, double tolerance, string what)
        => Assert.True(Math.Abs(actual - expected) <= tolerance * Math.Max(Math.Abs(expected), 1e-30), $"{what}: {actual:G9}, expected {expected:G17} (relative tolerance {tolerance}).");

    private static void AssertClose(double[] expected, float[] actual, double relativeToLargest, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        var largest = expected.Max(Math.Abs);
        Assert.True(largest > 0, $"{what}: the expected gradient is all zero, which proves nothing.");
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(actual[i] - expected[i]) <= relativeToLargest * largest, $"{what}[{i}]: {actual[i]:G9}, expected {expected[i]:G9} (tolerance {relativeToLargest * largest:G3}).");
        }
    }

    private static void AssertBitwiseEqual(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        var e = MemoryMarshal.Cast<float, int>(expected);
        var a = MemoryMarshal.Cast<float, int>(actual);
        for (var i = 0; i < e.Length; i++)
        {
            Assert.True(e[i] == a[i], $"{what} on {Isa.Current}: element {i} is {actual[i]:G9}, expected {expected[i]:G9}.");
        }
    }

    private static void AssertBitwiseEqual(double[] expected, double[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(BitConverter.DoubleToInt64Bits(expected[i]) == BitConverter.DoubleToInt64Bits(actual[i]), $"{what} on {Isa.Current}: lane {i} is {actual[i]:G17}, expected {expected[i]:G17}.");
        }
    }
}
