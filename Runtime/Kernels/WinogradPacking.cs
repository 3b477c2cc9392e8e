namespace InceptionGen.Kernels;

/// <summary>
/// The Winograd weight transform, done when weights are packed: <c>U = G g Gᵀ</c> per (output, input) channel pair, in
/// double and rounded once, into <c>[ξ][out-block][in-channel][16 out-channels]</c> for the α² positions ξ. For each
/// ξ that is the layout of a 1x1 convolution's packed weights, so the element-wise stage is α² batched GEMMs run by
/// the same broadcast × vector register tiles. Input channels are physical (gaps get zeros) and output lanes past the
/// real count are zero, as in <see cref="WeightPacking.PackConvolution(System.ReadOnlySpan{float}, System.Span{float}, int, int, int, int, System.ReadOnlySpan{int}, int)"/>.
/// </summary>
public static class WinogradPacking
{
    /// <summary>Floats of one convolution's transformed weights.</summary>
    public static int PackedLength(int outChannels, int loopChannels, int tileSize)
    {
        var alpha = tileSize + 2;
        return alpha * alpha * BlockedLayout.Blocks(outChannels) * loopChannels * BlockedLayout.BlockSize;
    }

    /// <param name="weights">OIHW 3x3 weights over logical channels, as in the parameter block.</param>
    /// <param name="inputChannelMap">Physical channel of each logical input channel; empty for identity.</param>
    /// <param name="loopChannels">Input channels the kernel iterates: physical when there is a map, else logical.</param>
    public static void PackWeights(ReadOnlySpan<float> weights, Span<float> packed, int outChannels, int inChannels, int tileSize,
        ReadOnlySpan<int> inputChannelMap, int loopChannels)
    {
        const int block = BlockedLayout.BlockSize;
        var alpha = tileSize + 2;
        var outBlocks = BlockedLayout.Blocks(outChannels);
        packed[..PackedLength(outChannels, loopChannels, tileSize)].Clear();
        Span<double> transformed = stackalloc double[alpha * alpha];
        Span<double> half = stackalloc double[alpha * 3];
        for (var o = 0; o < outChannels; o++)
        {
            for (var i = 0; i < inChannels; i++)
            {
                var physical = BlockedLayout.Physical(inputChannelMap, i);
                Transform(weights.Slice((o * inChannels + i) * 9, 9), flipped: false, tileSize, half, transformed);
                for (var position = 0; position < alpha * alpha; position++)
                {
                    packed[((position * outBlocks + o / block) * loopChannels + physical) * block + o % block] = (float)transformed[position];
                }
            }
        }
    }

    /// <summary>
    /// The weights of the transposed convolution that computes a 3x3 stride-1 convolution's input gradient
    /// (<see cref="WinogradKernels.AccumulateTiles(ReadOnlySpan{float}, Span{float}, ReadOnlySpan{float}, in WinogradGeometry, int, int)"/>):
    /// each kernel flipped, the roles of input and output channels swapped, then <c>G g Gᵀ</c> in double, into
    /// <c>[ξ][in-block][out-channel][16 in-channels]</c>. The output channels are the GEMM's inner dimension and the
    /// forward input's physical channels its outer one: gaps of a channel map and padding lanes are zero, so their
    /// gradient gets nothing added. The same flip and transpose as <see cref="WeightPacking.PackTransposedConvolution(ReadOnlySpan{float}, Span{float}, int, int, int, ReadOnlySpan{int}, int)"/>.
    /// </summary>
    /// <param name="weights">OIHW 3x3 weights over logical channels, as in the parameter block.</param>
    /// <param name="inputChannelMap">Physical channel of each logical input channel; empty for identity.</param>
    /// <param name="inputPhysicalChannels">The forward input's physical channels (whole blocks): the gradient's channels.</param>
    public static void PackTransposedWeights(ReadOnlySpan<float> weights, Span<float> packed, int outChannels, int inChannels, int tileSize,
        ReadOnlySpan<int> inputChannelMap, int inputPhysicalChannels)
    {
        const int block = BlockedLayout.BlockSize;
        var alpha = tileSize + 2;
        var inBlocks = BlockedLayout.Blocks(inputPhysicalChannels);
        packed[..PackedLength(inputPhysicalChannels, outChannels, tileSize)].Clear();
        Span<double> transformed = stackalloc double[alpha * alpha];
        Span<double> half = stackalloc double[alpha * 3];
        for (var o = 0; o < outChannels; o++)
        {
            for (var i = 0; i < inChannels; i++)
            {
                var physical = BlockedLayout.Physical(inputChannelMap, i);
                Transform(weights.Slice((o * inChannels + i) * 9, 9), flipped: true, tileSize, half, transformed);
                for (var position = 0; position < alpha * alpha; position++)
                {
                    packed[((position * inBlocks + physical / block) * outChannels + o) * block + physical % block] = (float)transformed[position];
                }
            }
        }
    }

    /// <summary><c>G g Gᵀ</c> of one 3x3 kernel (rotated by 180° when <paramref name="flipped"/>), in double: α × α values, ξ = a·α + b.</summary>
    private static void Transform(ReadOnlySpan<float> kernel, bool flipped, int tileSize, Span<double> half, Span<double> transformed)
    {
        var alpha = tileSize + 2;
        var g = WinogradTransforms.Weight(tileSize);
        // G g: α × 3.
        for (var a = 0; a < alpha; a++)
        {
            for (var x = 0; x < 3; x++)
            {
                double sum = 0;
                for (var y = 0; y < 3; y++)
                {
                    sum += g[a * 3 + y] * (flipped ? kernel[(2 - y) * 3 + 2 - x] : kernel[y * 3 + x]);
                }

                half[a * 3 + x] = sum;
            }
        }

        // (G g) Gᵀ: α × α.
        for (var a = 0; a < alpha; a++)
        {
            for (var b = 0; b < alpha; b++)
            {
                double sum = 0;
                for (var x = 0; x < 3; x++)
                {
                    sum += half[a * 3 + x] * g[b * 3 + x];
                }

                transformed[a * alpha + b] = sum;
            }
        }
    }
}
