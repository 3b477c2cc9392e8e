namespace InceptionGen.Kernels;

/// <summary>
/// Plain scalar Winograd F(m×m, 3×3): the matrices of <see cref="WinogradTransforms"/> applied tile by tile, channel
/// by channel, in float, from the weights <see cref="WinogradPacking"/> transformed. It is the oracle of the vector
/// Winograd kernels (same algorithm, so their difference is rounding order only) and their path when the machine has
/// no SIMD. The direct <see cref="ReferenceKernels.Conv2d"/> is the oracle of both.
/// </summary>
public static class ReferenceWinograd
{
    /// <summary>Every tile of one image.</summary>
    public static void Conv2d(ReadOnlySpan<float> input, Span<float> output, ReadOnlySpan<float> packedWeights, ReadOnlySpan<float> packedBias, in WinogradGeometry g)
        => ConvolveTiles(input, output, packedWeights, packedBias, g, 0, g.Tiles);

    /// <summary>Tiles [<paramref name="firstTile"/>, <paramref name="endTile"/>) of one image (tiles are numbered row by row).</summary>
    public static void ConvolveTiles(ReadOnlySpan<float> input, Span<float> output, ReadOnlySpan<float> packedWeights, ReadOnlySpan<float> packedBias,
        in WinogradGeometry g, int firstTile, int endTile)
        => ConvolveTiles(input, output, packedWeights, packedBias, g, firstTile, endTile, accumulate: false);

    /// <summary>
    /// The input gradient of a 3x3 stride-1 convolution over tiles [<paramref name="firstTile"/>, <paramref name="endTile"/>),
    /// as <see cref="WinogradKernels.AccumulateTiles(ReadOnlySpan{float}, Span{float}, ReadOnlySpan{float}, in WinogradGeometry, int, int)"/>:
    /// the output gradient bordered by 2, convolved with the transformed flipped, transposed weights, added into the output.
    /// </summary>
    public static void AccumulateTiles(ReadOnlySpan<float> paddedOutputGradient, Span<float> inputGradient, ReadOnlySpan<float> packedTransposedWeights,
        in WinogradGeometry g, int firstTile, int endTile)
        => ConvolveTiles(paddedOutputGradient, inputGradient, packedTransposedWeights, default, g, firstTile, endTile, accumulate: true);

    private static void ConvolveTiles(ReadOnlySpan<float> input, Span<float> output, ReadOnlySpan<float> packedWeights, ReadOnlySpan<float> packedBias,
        in WinogradGeometry g, int firstTile, int endTile, bool accumulate)
    {
        const int block = BlockedLayout.BlockSize;
        var (m, alpha) = (g.TileSize, g.Alpha);
        var positions = alpha * alpha;
        var inPlane = g.InHeight * g.InWidth * block;
        var outPlane = g.OutHeight * g.OutWidth * block;
        var outBlocks = BlockedLayout.Blocks(g.OutChannels);
        var bt = WinogradTransforms.InputTransposed(m);
        var at = WinogradTransforms.OutputTransposed(m);
        Span<float> patch = stackalloc float[positions];
        Span<float> half = stackalloc float[positions];
        Span<float> transformed = stackalloc float[positions * g.Channels];
        Span<float> product = stackalloc float[positions];
        Span<float> tile = stackalloc float[m * alpha];
        for (var t = firstTile; t < endTile; t++)
        {
            var y0 = t / g.TileColumns * m;
            var x0 = t % g.TileColumns * m;
            // Input transform per channel: V = Bᵀ d B, reading zeros past the map.
            for (var c = 0; c < g.Channels; c++)
            {
                for (var i = 0; i < alpha; i++)
                {
                    for (var j = 0; j < alpha; j++)
                    {
                        var (y, x) = (y0 + i, x0 + j);
                        patch[i * alpha + j] = y < g.InHeight && x < g.InWidth ? input[c / block * inPlane + (y * g.InWidth + x) * block + c % block] : 0f;
                    }
                }

                Multiply(bt, patch, half, alpha, alpha, alpha);
                MultiplyTransposed(half, bt, transformed.Slice(c * positions, positions), alpha, alpha, alpha);
            }

            for (var o = 0; o < outBlocks * block; o++)
            {
                // Element-wise stage: M[ξ] = Σ_c U[ξ][o][c] V[ξ][c].
                for (var position = 0; position < positions; position++)
                {
                    var sum = 0f;
                    for (var c = 0; c < g.Channels; c++)
                    {
                        sum += packedWeights[((position * outBlocks + o / block) * g.Channels + c) * block + o % block] * transformed[c * positions + position];
                    }

                    product[position] = sum;
                }

                // Output transform: Y = Aᵀ M A, then bias and ReLU, the pixels that exist.
                Multiply(at, product, tile, m, alpha, alpha);
                MultiplyTransposed(tile, at, half, m, alpha, m);
                for (var i = 0; i < m && y0 + i < g.OutHeight; i++)
                {
                    for (var j = 0; j < m && x0 + j < g.OutWidth; j++)
                    {
                        var index = o / block * outPlane + ((y0 + i) * g.OutWidth + x0 + j) * block + o % block;
                        var value = half[i * m + j] + (accumulate ? output[index] : packedBias[o]);
                        output[index] = g.Relu ? MathF.Max(value, 0f) : value;
                    }
                }
            }
        }
    }

    /// <summary>result (rows × columns) = left (rows × inner) · right (inner × columns).</summary>
    private static void Multiply(ReadOnlySpan<float> left, ReadOnlySpan<float> right, Span<float> result, int rows, int inner, int columns)
    {
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < columns; c++)
            {
                var sum = 0f;
                for (var k = 0; k < inner; k++)
                {
                    sum += left[r * inner + k] * right[k * columns + c];
                }

                result[r * columns + c] = sum;
            }
        }
    }

    /// <summary>result (rows × columns) = left (rows × inner) · rightᵀ, where right is columns × inner.</summary>
    private static void MultiplyTransposed(ReadOnlySpan<float> left, ReadOnlySpan<float> right, Span<float> result, int rows, int inner, int columns)
    {
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < columns; c++)
            {
                var sum = 0f;
                for (var k = 0; k < inner; k++)
                {
                    sum += left[r * inner + k] * right[c * inner + k];
                }

                result[r * columns + c] = sum;
            }
        }
    }
}
