using InceptionGen.Kernels;
using InceptionGen.Tests.Network;
using Xunit;

namespace InceptionGen.Tests.Kernels;

/// <summary>
/// The input gradient of a 3x3 stride-1 convolution by Winograd (<see cref="WinogradKernels.AccumulateTiles(ReadOnlySpan{float}, Span{float}, ReadOnlySpan{float}, Span{float}, in WinogradGeometry, int, int)"/>,
/// <see cref="ReferenceWinograd.AccumulateTiles"/>, <see cref="WinogradPacking.PackTransposedWeights"/>) against the
/// transposed convolution summed in double, on whichever instruction-set path this process runs (CI runs the Kernels
/// namespace on Vector512, Vector256, Vector128, scalar and NEON under qemu), and against the scalar direct backward
/// (<see cref="ReferenceBackward.Conv2d"/>). The gradient starts with random values (the kernel adds into it) and sits
/// between guard cells.
/// </summary>
public sealed class WinogradInputGradientTests(ITestOutputHelper output)
{
    private const int Block = BlockedLayout.BlockSize;
    private const int Guard = 32;
    private const float GuardValue = 1234.5f;
    private static readonly int[] MapSizes = [1, 2, 3, 4, 5, 6, 7, 13, 14, 28];
    private static readonly int[] InChannels = [1, 3, 16, 17, 33, 64];
    private static readonly int[] OutChannels = [1, 8, 16, 24, 48, 80];

    /// <summary>
    /// Measured bounds, max |Winograd − float64| / max |float64 gradient|, with a margin of about 3x over the worst measured
    /// (the forward's bounds: the same transforms on a map bordered by 2 instead of 1).
    /// </summary>
    private static double Bound(int tileSize) => tileSize == 2 ? 3e-6 : 3e-5;

    public static TheoryData<int, int> Cases()
    {
        var data = new TheoryData<int, int>();
        foreach (var tileSize in new[] { 2, 4 })
        {
            for (var seed = 0; seed < 16; seed++)
            {
                data.Add(tileSize, seed);
            }
        }

        return data;
    }

    [Theory, MemberData(nameof(Cases))]
    public void Random_shapes_match_the_float64_transposed_convolution(int tileSize, int seed)
    {
        var random = new Random(seed * 11 + tileSize);
        var problem = Problem.Create(InChannels[random.Next(InChannels.Length)], OutChannels[random.Next(OutChannels.Length)],
            MapSizes[random.Next(MapSizes.Length)], MapSizes[random.Next(MapSizes.Length)], tileSize, seed);

        var vector = problem.AssertWithinBound(problem.RunVector(), Bound(tileSize), $"F({tileSize},3) input gradient on {Isa.Current}, {problem.Geometry}");
        var scalar = problem.AssertWithinBound(problem.RunScalar(), Bound(tileSize), $"F({tileSize},3) scalar reference input gradient, {problem.Geometry}");
        output.WriteLine($"{problem.Geometry}: vector {vector:G3}, scalar {scalar:G3} of max |dx| on {Isa.Current}");
    }

    /// <summary>The error on GoogLeNet's 3x3 layers' shapes (Conv2 and Inception branches), output gradients in [-1, 1].</summary>
    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    public void Error_on_googlenet_shapes_is_within_the_bound(int tileSize)
    {
        (int Channels, int Size, int OutChannels)[] layers = [(64, 56, 192), (128, 28, 192), (96, 28, 128), (112, 14, 224), (192, 7, 384)];
        var worst = 0.0;
        foreach (var (channels, size, outChannels) in layers)
        {
            var problem = Problem.Create(channels, outChannels, size, size, tileSize, seed: channels + size);
            var relative = problem.AssertWithinBound(problem.RunVector(), Bound(tileSize), $"F({tileSize},3) input gradient on {Isa.Current}, {problem.Geometry}");
            worst = Math.Max(worst, relative);
            output.WriteLine($"F({tileSize},3) input gradient {channels}->{outChannels} at {size}x{size}: {relative:G3} of max |dx|");
        }

        output.WriteLine($"F({tileSize},3) input gradient worst on {Isa.Current}: {worst:G3}");
    }

    /// <summary>The same gradient as the scalar direct backward the generated code falls back to, within the Winograd bound.</summary>
    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    public void Agrees_with_the_direct_reference_backward(int tileSize)
    {
        var problem = Problem.Create(inChannels: 24, outChannels: 40, outHeight: 9, outWidth: 11, tileSize, seed: 3);
        var direct = problem.NewGradient();
        var g = new ConvGeometry(InChannels: problem.InChannels, InHeight: problem.OutHeight + 2, InWidth: problem.OutWidth + 2, OutChannels: problem.OutChannelCount,
            OutHeight: problem.OutHeight, OutWidth: problem.OutWidth, Kernel: 3, Stride: 1, Padding: 0, Relu: false);
        ReferenceBackward.Conv2d(new float[problem.InputGradientLength], default, problem.OutputGradient, problem.Weights, direct.AsSpan(Guard, problem.InputGradientLength),
            default, default, g);
        var winograd = problem.RunVector();
        var (difference, reference, _) = Differential.Compare(winograd.AsSpan(Guard, problem.InputGradientLength), direct.AsSpan(Guard, problem.InputGradientLength));
        Assert.True(difference <= Bound(tileSize) * reference, $"F({tileSize},3) vs ReferenceBackward.Conv2d: {difference:G4} of {reference:G4}");
    }

    /// <summary>Split into tile ranges of any length, the gradient is the whole image's bit for bit (each value the same operations in the same order).</summary>
    [Theory]
    [InlineData(2, 1)]
    [InlineData(2, 7)]
    [InlineData(4, 5)]
    public void Tile_ranges_of_any_length_give_the_whole_result_bit_for_bit(int tileSize, int step)
    {
        var problem = Problem.Create(inChannels: 33, outChannels: 48, outHeight: 13, outWidth: 10, tileSize, seed: 8);
        var g = problem.Geometry;
        var whole = problem.RunVector();
        var pieces = problem.NewGradient();
        var scratch = new float[WinogradKernels.ScratchLength(g, step)];
        for (var first = 0; first < g.Tiles; first += step)
        {
            WinogradKernels.AccumulateTiles(problem.PaddedOutputGradient, pieces.AsSpan(Guard, problem.InputGradientLength), problem.Packed, scratch, g, first, Math.Min(first + step, g.Tiles));
        }

        Differential.AssertBitwiseEqual(whole, pieces, $"F({tileSize},3) input gradient in ranges of {step} tiles");
    }

    /// <summary>
    /// An input with a channel map (an 8-wide and a 16-wide branch: physical channels 0-7 and 16-31): the gap's gradient
    /// gets nothing added (its weights are zero), the logical channels' gradient matches.
    /// </summary>
    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    public void Gapped_input_channels_get_their_gradient_and_the_gap_nothing(int tileSize)
    {
        int[] map = [.. Enumerable.Range(0, 8), .. Enumerable.Range(16, 16)];
        var problem = Problem.Create(inChannels: 24, outChannels: 20, outHeight: 8, outWidth: 6, tileSize, seed: 4, channelMap: map);
        var actual = problem.RunVector();
        problem.AssertWithinBound(actual, Bound(tileSize), $"F({tileSize},3) input gradient with a channel map on {Isa.Current}");
        var plane = (problem.OutHeight + 2) * (problem.OutWidth + 2);
        for (var channel = 8; channel < 16; channel++)
        {
            for (var pixel = 0; pixel < plane; pixel++)
            {
                var index = channel / Block * plane * Block + pixel * Block + channel % Block;
                Assert.Equal(problem.Initial[index], actual[Guard + index]);
            }
        }
    }

    [Fact]
    public void A_relu_or_a_short_span_is_refused()
    {
        var problem = Problem.Create(inChannels: 16, outChannels: 16, outHeight: 4, outWidth: 4, tileSize: 2, seed: 1);
        var g = problem.Geometry;
        var scratch = new float[WinogradKernels.ScratchLength(g, g.Tiles)];
        Assert.Throws<ArgumentException>(() => WinogradKernels.AccumulateTiles(problem.PaddedOutputGradient, new float[problem.InputGradientLength], problem.Packed, scratch, g with { Relu = true }, 0, g.Tiles));
        if (System.Runtime.Intrinsics.Vector128.IsHardwareAccelerated)
        {
            Assert.Throws<ArgumentException>(() => WinogradKernels.AccumulateTiles(problem.PaddedOutputGradient, new float[10], problem.Packed, scratch, g, 0, g.Tiles));
        }
        else
        {
            // The scalar path indexes spans, which throws on its own.
            Assert.ThrowsAny<Exception>(() => WinogradKernels.AccumulateTiles(problem.PaddedOutputGradient, new float[10], problem.Packed, scratch, g, 0, g.Tiles));
        }
    }

    /// <summary>
    /// One convolution's backward data: OIHW weights over the logical input channels, an output gradient (and its copy
    /// bordered by 2), the Winograd packing of the flipped, transposed weights, an initial gradient the kernel adds to,
    /// and the float64 expected gradient of the bordered input.
    /// </summary>
    private sealed class Problem
    {
        public required WinogradGeometry Geometry { get; init; }
        public required int InChannels { get; init; }
        public required int OutChannelCount { get; init; }
        public required int OutHeight { get; init; }
        public required int OutWidth { get; init; }
        public required float[] Weights { get; init; }
        public required float[] OutputGradient { get; init; }
        public required float[] PaddedOutputGradient { get; init; }
        public required float[] Packed { get; init; }
        public required float[] Initial { get; init; }
        public required double[] Expected { get; init; }

        public int InputGradientLength => Expected.Length;

        public static Problem Create(int inChannels, int outChannels, int outHeight, int outWidth, int tileSize, int seed, int[]? channelMap = null)
        {
            var random = new Random(seed);
            var physical = channelMap ?? Enumerable.Range(0, inChannels).ToArray();
            var physicalChannels = BlockedLayout.PaddedChannels(physical.Max() + 1);
            var g = WinogradGeometry.ForInputGradient(outChannels, outHeight, outWidth, physicalChannels, tileSize);
            var bound = Math.Sqrt(6.0 / (9 * inChannels));
            var weights = new float[outChannels * inChannels * 9];
            for (var i = 0; i < weights.Length; i++)
            {
                weights[i] = (float)((random.NextDouble() * 2 - 1) * bound);
            }

            // Padding lanes of the last output block stay zero, as the forward writes them.
            var outputGradient = new float[BlockedLayout.Length(outChannels, outHeight, outWidth)];
            var padded = new float[BlockedLayout.Length(outChannels, g.InHeight, g.InWidth)];
            for (var o = 0; o < outChannels; o++)
            {
                for (var y = 0; y < outHeight; y++)
                {
                    for (var x = 0; x < outWidth; x++)
                    {
                        var value = (float)(random.NextDouble() * 2 - 1);
                        outputGradient[BlockedLayout.Index(o, y, x, outHeight, outWidth)] = value;
                        padded[BlockedLayout.Index(o, y + 2, x + 2, g.InHeight, g.InWidth)] = value;
                    }
                }
            }

            var packed = new float[WinogradPacking.PackedLength(physicalChannels, outChannels, tileSize)];
            WinogradPacking.PackTransposedWeights(weights, packed, outChannels, inChannels, tileSize, channelMap ?? [], physicalChannels);

            // dx[c][y][x] of the bordered input = initial + Σ_o Σ_taps dy[o][y - ky][x - kx] · w[o][c][ky][kx], in double.
            var inHeight = outHeight + 2;
            var inWidth = outWidth + 2;
            var initial = new float[physicalChannels * inHeight * inWidth];
            for (var i = 0; i < initial.Length; i++)
            {
                initial[i] = (float)(random.NextDouble() * 0.2 - 0.1);
            }

            var expected = initial.Select(value => (double)value).ToArray();
            for (var c = 0; c < inChannels; c++)
            {
                for (var y = 0; y < inHeight; y++)
                {
                    for (var x = 0; x < inWidth; x++)
                    {
                        double sum = 0;
                        for (var o = 0; o < outChannels; o++)
                        {
                            for (var ky = 0; ky < 3; ky++)
                            {
                                for (var kx = 0; kx < 3; kx++)
                                {
                                    var (oy, ox) = (y - ky, x - kx);
                                    if (oy >= 0 && oy < outHeight && ox >= 0 && ox < outWidth)
                                    {
                                        sum += (double)outputGradient[BlockedLayout.Index(o, oy, ox, outHeight, outWidth)] * weights[((o * inChannels + c) * 3 + ky) * 3 + kx];
                                    }
                                }
                            }
                        }

                        expected[BlockedLayout.Index(physical[c], y, x, inHeight, inWidth)] += sum;
                    }
                }
            }

            return new Problem
            {
                Geometry = g, InChannels = inChannels, OutChannelCount = outChannels, OutHeight = outHeight, OutWidth = outWidth, Weights = weights,
                OutputGradient = outputGradient, PaddedOutputGradient = padded, Packed = packed, Initial = initial, Expected = expected,
            };
        }

        public float[] NewGradient()
        {
            var result = new float[InputGradientLength + 2 * Guard];
            result.AsSpan().Fill(GuardValue);
            Initial.CopyTo(result, Guard);
            return result;
        }

        public float[] RunVector()
        {
            var result = NewGradient();
            var step = WinogradKernels.SuggestedTilesPerCall(Geometry);
            var scratch = new float[WinogradKernels.ScratchLength(Geometry, step)];
            for (var first = 0; first < Geometry.Tiles; first += step)
            {
                WinogradKernels.AccumulateTiles(PaddedOutputGradient, result.AsSpan(Guard, InputGradientLength), Packed, scratch, Geometry, first, Math.Min(first + step, Geometry.Tiles));
            }

            return result;
        }

        public float[] RunScalar()
        {
            var result = NewGradient();
            ReferenceWinograd.AccumulateTiles(PaddedOutputGradient, result.AsSpan(Guard, InputGradientLength), Packed, Geometry, 0, Geometry.Tiles);
            return result;
        }

        /// <summary>Asserts the guards are intact and max |actual − expected| ≤ bound × max |expected − initial|; returns the relative error.</summary>
        public double AssertWithinBound(float[] actual, double bound, string what)
        {
            for (var i = 0; i < Guard; i++)
            {
                Assert.True(actual[i] == GuardValue && actual[Guard + InputGradientLength + i] == GuardValue, $"{what}: a guard cell was written.");
            }

            var maxDifference = 0.0;
            var maxGradient = 0.0;
            var worst = 0;
            for (var i = 0; i < InputGradientLength; i++)
            {
                var difference = Math.Abs(actual[Guard + i] - Expected[i]);
                if (!(difference <= maxDifference))
                {
                    maxDifference = double.IsNaN(difference) ? double.PositiveInfinity : difference;
                    worst = i;
                }

                maxGradient = Math.Max(maxGradient, Math.Abs(Expected[i] - Initial[i]));
            }

            Assert.True(maxGradient > 0, $"{what}: the gradient is all zeros.");
            var relative = maxDifference / maxGradient;
            Assert.True(relative <= bound, $"{what}: max |Winograd − float64| = {maxDifference:G4} at {worst} (got {actual[Guard + worst]:G9}, expected {Expected[worst]:G9}), {relative:G3} of max |dx| {maxGradient:G4}; bound {bound:G3}.");
            return relative;
        }
    }
}
