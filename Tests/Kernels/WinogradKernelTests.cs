using InceptionGen.Kernels;
using InceptionGen.Tests.Network;
using Xunit;

namespace InceptionGen.Tests.Kernels;

/// <summary>
/// Winograd F(2x2,3x3) and F(4x4,3x3) (<see cref="WinogradKernels"/>, <see cref="ReferenceWinograd"/>) against a direct
/// 3x3 convolution summed in double, on whichever instruction-set path this process runs (CI runs the Kernels namespace
/// on Vector512, Vector256, Vector128, scalar and NEON under qemu). Shapes are seeded random: output maps 1-9, 13, 14,
/// 28 and 30 wide and high (so partial tiles at the right and bottom edges), input channels 1, 3, 15-17, 33, 64 and
/// output channels 1-96 (so groups of 4 output blocks and a remainder on AVX-512). Output spans start full of NaN and
/// sit between guard cells: a pixel the kernel forgets, or a write past either end, fails.
/// </summary>
public sealed class WinogradKernelTests(ITestOutputHelper output)
{
    private const int Block = BlockedLayout.BlockSize;
    private const int Guard = 32;
    private const float GuardValue = 1234.5f;
    private static readonly int[] MapSizes = [1, 2, 3, 4, 5, 6, 7, 8, 9, 13, 14, 28, 30];
    private static readonly int[] InChannels = [1, 3, 15, 16, 17, 33, 64];
    private static readonly int[] OutChannels = [1, 8, 16, 24, 48, 64, 80, 96];

    /// <summary>
    /// Measured error bounds, max |Winograd − float64 direct| / max |float64 direct|, with about a 3× margin over the
    /// worst measured on these shapes and on GoogLeNet's (see <see cref="Error_on_googlenet_shapes_is_within_the_stated_bound"/>):
    /// F(2,3)'s transforms are exact in float but for G's halves, F(4,3)'s multiply by up to 8 and 1/24 and lose more.
    /// </summary>
    private static double Bound(int tileSize) => tileSize == 2 ? 1e-6 * 3 : 1e-5 * 3;

    public static TheoryData<int, int> Cases()
    {
        var data = new TheoryData<int, int>();
        foreach (var tileSize in new[] { 2, 4 })
        {
            for (var seed = 0; seed < 24; seed++)
            {
                data.Add(tileSize, seed);
            }
        }

        return data;
    }

    [Theory, MemberData(nameof(Cases))]
    public void Random_shapes_match_the_float64_direct_convolution(int tileSize, int seed)
    {
        var random = new Random(seed * 7 + tileSize);
        var g = new WinogradGeometry(
            Channels: InChannels[random.Next(InChannels.Length)],
            InHeight: MapSizes[random.Next(MapSizes.Length)] + 2,
            InWidth: MapSizes[random.Next(MapSizes.Length)] + 2,
            OutChannels: OutChannels[random.Next(OutChannels.Length)],
            TileSize: tileSize,
            Relu: random.Next(2) == 1);
        var problem = Problem.Create(g, seed);

        var actual = problem.RunVector(g);
        var relative = problem.AssertWithinBound(actual, Bound(tileSize), $"F({tileSize},3) vector on {Isa.Current}, {g}");
        var scalar = problem.RunScalar(g);
        var scalarRelative = problem.AssertWithinBound(scalar, Bound(tileSize), $"F({tileSize},3) scalar reference, {g}");
        output.WriteLine($"{g}: vector {relative:G3}, scalar {scalarRelative:G3} of max |y| on {Isa.Current}");
    }

    /// <summary>
    /// The error bound stated in the README, measured on GoogLeNet's 3x3 layers' shapes (a 56x56 map from 64 channels and
    /// 28x28, 14x14, 7x7 maps from 96-192) with He-uniform weights and inputs uniform in [0, 1] (post-ReLU activations).
    /// </summary>
    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    public void Error_on_googlenet_shapes_is_within_the_stated_bound(int tileSize)
    {
        (int Channels, int Size, int OutChannels)[] layers = [(64, 56, 192), (128, 28, 192), (96, 28, 128), (112, 14, 224), (192, 7, 384)];
        var worst = 0.0;
        foreach (var (channels, size, outChannels) in layers)
        {
            var g = new WinogradGeometry(channels, size + 2, size + 2, outChannels, tileSize, Relu: false);
            var problem = Problem.Create(g, seed: channels + size, nonNegativeInput: true);
            var relative = problem.AssertWithinBound(problem.RunVector(g), Bound(tileSize), $"F({tileSize},3) on {Isa.Current}, {g}");
            worst = Math.Max(worst, relative);
            output.WriteLine($"F({tileSize},3) {channels}->{outChannels} at {size}x{size}: {relative:G3} of max |y|");
        }

        output.WriteLine($"F({tileSize},3) worst on {Isa.Current}: {worst:G3}");
    }

    /// <summary>
    /// A convolution split into tile ranges of any length gives the whole image's result bit for bit (each output value is
    /// the same operations in the same order), so the worker pool's split never changes a result.
    /// </summary>
    [Theory]
    [InlineData(2, 1)]
    [InlineData(2, 5)]
    [InlineData(4, 1)]
    [InlineData(4, 7)]
    public void Tile_ranges_of_any_length_give_the_whole_result_bit_for_bit(int tileSize, int step)
    {
        var g = new WinogradGeometry(Channels: 33, InHeight: 15, InWidth: 19, OutChannels: 80, TileSize: tileSize, Relu: true);
        var problem = Problem.Create(g, seed: 5);
        var whole = problem.RunVector(g);
        var pieces = problem.NewOutput();
        var scratch = new float[WinogradKernels.ScratchLength(g, step)];
        for (var first = 0; first < g.Tiles; first += step)
        {
            WinogradKernels.ConvolveTiles(problem.Input, pieces.AsSpan(Guard, problem.OutputLength), problem.Packed, problem.Bias, scratch, g, first, Math.Min(first + step, g.Tiles));
        }

        Differential.AssertBitwiseEqual(whole, pieces, $"F({tileSize},3) in ranges of {step} tiles");
    }

    /// <summary>
    /// An input with a channel map (a concat of an 8-wide and a 16-wide branch: physical channels 0-7 and 16-31): the
    /// packing puts each logical channel's weights at its physical row and zeros in the gap, as the direct packing does.
    /// </summary>
    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    public void Gapped_input_channels_match_the_direct_reference(int tileSize)
    {
        int[] map = [.. Enumerable.Range(0, 8), .. Enumerable.Range(16, 16)];
        var g = new WinogradGeometry(Channels: 32, InHeight: 11, InWidth: 10, OutChannels: 24, TileSize: tileSize, Relu: false);
        var problem = Problem.Create(g, seed: 9, channelMap: map);
        var actual = problem.RunVector(g);
        problem.AssertWithinBound(actual, Bound(tileSize), $"F({tileSize},3) with a channel map on {Isa.Current}");
    }

    [Fact]
    public void A_short_span_is_refused()
    {
        var g = new WinogradGeometry(Channels: 16, InHeight: 6, InWidth: 6, OutChannels: 16, TileSize: 4, Relu: false);
        var problem = Problem.Create(g, seed: 1);
        if (!System.Runtime.Intrinsics.Vector128.IsHardwareAccelerated)
        {
            // The scalar path indexes spans, which throws on its own.
            Assert.ThrowsAny<Exception>(() => WinogradKernels.ConvolveTiles(problem.Input, new float[10], problem.Packed, problem.Bias, new float[WinogradKernels.ScratchLength(g, g.Tiles)], g, 0, g.Tiles));
            return;
        }

        Assert.Throws<ArgumentException>(() => WinogradKernels.ConvolveTiles(problem.Input, new float[10], problem.Packed, problem.Bias, new float[WinogradKernels.ScratchLength(g, g.Tiles)], g, 0, g.Tiles));
        Assert.Throws<ArgumentException>(() => WinogradKernels.ConvolveTiles(problem.Input, new float[problem.OutputLength], problem.Packed, problem.Bias, new float[10], g, 0, g.Tiles));
    }

    /// <summary>One convolution's data: a zero-bordered blocked input, OIHW weights, their Winograd packing, and the float64 direct result.</summary>
    private sealed class Problem
    {
        public required float[] Input { get; init; }
        public required float[] Packed { get; init; }
        public required float[] Bias { get; init; }
        public required double[] Expected { get; init; }
        public required int OutputLength { get; init; }

        public static Problem Create(WinogradGeometry g, int seed, bool nonNegativeInput = false, int[]? channelMap = null)
        {
            var random = new Random(seed);
            var logicalChannels = channelMap?.Length ?? g.Channels;
            var inPlane = g.InHeight * g.InWidth;
            var input = new float[BlockedLayout.Blocks(g.Channels) * inPlane * Block];
            var physicalChannels = channelMap ?? Enumerable.Range(0, g.Channels).ToArray();
            foreach (var channel in physicalChannels)
            {
                // Interior only: the border is the padding, zero as the pad op writes it.
                for (var y = 1; y < g.InHeight - 1; y++)
                {
                    for (var x = 1; x < g.InWidth - 1; x++)
                    {
                        input[BlockedLayout.Index(channel, y, x, g.InHeight, g.InWidth)] = (float)(nonNegativeInput ? random.NextDouble() : random.NextDouble() * 2 - 1);
                    }
                }
            }

            var bound = Math.Sqrt(6.0 / (9 * logicalChannels));
            var weights = new float[g.OutChannels * logicalChannels * 9];
            for (var i = 0; i < weights.Length; i++)
            {
                weights[i] = (float)((random.NextDouble() * 2 - 1) * bound);
            }

            var bias = new float[BlockedLayout.PaddedChannels(g.OutChannels)];
            for (var o = 0; o < g.OutChannels; o++)
            {
                bias[o] = (float)(random.NextDouble() * 0.2 - 0.1);
            }

            var packed = new float[WinogradPacking.PackedLength(g.OutChannels, g.Channels, g.TileSize)];
            WinogradPacking.PackWeights(weights, packed, g.OutChannels, logicalChannels, g.TileSize, channelMap ?? [], g.Channels);

            // Direct convolution in double over the padded map; padding lanes of the last block are zero.
            var expected = new double[BlockedLayout.Length(g.OutChannels, g.OutHeight, g.OutWidth)];
            for (var o = 0; o < g.OutChannels; o++)
            {
                for (var oy = 0; oy < g.OutHeight; oy++)
                {
                    for (var ox = 0; ox < g.OutWidth; ox++)
                    {
                        double sum = bias[o];
                        for (var i = 0; i < logicalChannels; i++)
                        {
                            for (var tap = 0; tap < 9; tap++)
                            {
                                sum += (double)weights[(o * logicalChannels + i) * 9 + tap] * input[BlockedLayout.Index(physicalChannels[i], oy + tap / 3, ox + tap % 3, g.InHeight, g.InWidth)];
                            }
                        }

                        expected[BlockedLayout.Index(o, oy, ox, g.OutHeight, g.OutWidth)] = g.Relu ? Math.Max(sum, 0) : sum;
                    }
                }
            }

            return new Problem { Input = input, Packed = packed, Bias = bias, Expected = expected, OutputLength = expected.Length };
        }

        public float[] NewOutput()
        {
            var result = new float[OutputLength + 2 * Guard];
            result.AsSpan().Fill(GuardValue);
            result.AsSpan(Guard, OutputLength).Fill(float.NaN);
            return result;
        }

        public float[] RunVector(WinogradGeometry g)
        {
            var result = NewOutput();
            WinogradKernels.Conv2d(Input, result.AsSpan(Guard, OutputLength), Packed, Bias, new float[WinogradKernels.ScratchLength(g, WinogradKernels.SuggestedTilesPerCall(g))], g);
            return result;
        }

        public float[] RunScalar(WinogradGeometry g)
        {
            var result = NewOutput();
            ReferenceWinograd.Conv2d(Input, result.AsSpan(Guard, OutputLength), Packed, Bias, g);
            return result;
        }

        /// <summary>Asserts the guards are intact and max |actual − expected| ≤ bound × max |expected|; returns the relative error.</summary>
        public double AssertWithinBound(float[] actual, double bound, string what)
        {
            for (var i = 0; i < Guard; i++)
            {
                Assert.True(actual[i] == GuardValue && actual[Guard + OutputLength + i] == GuardValue, $"{what}: a guard cell was written.");
            }

            var maxDifference = 0.0;
            var maxReference = 0.0;
            var worst = 0;
            for (var i = 0; i < OutputLength; i++)
            {
                var difference = Math.Abs(actual[Guard + i] - Expected[i]);
                if (!(difference <= maxDifference))
                {
                    // NaN (an unwritten pixel) lands here too and stays the worst.
                    maxDifference = double.IsNaN(difference) ? double.PositiveInfinity : difference;
                    worst = i;
                }

                maxReference = Math.Max(maxReference, Math.Abs(Expected[i]));
            }

            Assert.True(maxReference > 0, $"{what}: the reference is all zeros.");
            var relative = maxDifference / maxReference;
            Assert.True(relative <= bound, $"{what}: max |Winograd − direct| = {maxDifference:G4} at {worst} (got {actual[Guard + worst]:G9}, expected {Expected[worst]:G9}), {relative:G3} of max |y| {maxReference:G4}; bound {bound:G3}.");
            return relative;
        }
    }
}
