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
        var g = WinogradTransforms.Weight(tileSize);
        var outBlocks = BlockedLayout.Blocks(outChannels);
        packed[..PackedLength(outChannels, loopChannels, tileSize)].Clear();
        Span<double> half = stackalloc double[alpha * 3];
        for (var o = 0; o < outChannels; o++)
        {
            for (var i = 0; i < inChannels; i++)
            {
                var physical = BlockedLayout.Physical(inputChannelMap, i);
                var kernel = weights.Slice((o * inChannels + i) * 9, 9);
                // G g: α × 3.
                for (var a = 0; a < alpha; a++)
                {
                    for (var x = 0; x < 3; x++)
                    {
                        double sum = 0;
                        for (var y = 0; y < 3; y++)
                        {
                            sum += g[a * 3 + y] * kernel[y * 3 + x];
                        }

                        half[a * 3 + x] = sum;
                    }
                }

                // (G g) Gᵀ: α × α, one value per position ξ = a·α + b.
                for (var a = 0; a < alpha; a++)
                {
                    for (var b = 0; b < alpha; b++)
                    {
                        double sum = 0;
                        for (var x = 0; x < 3; x++)
                        {
                            sum += half[a * 3 + x] * g[b * 3 + x];
                        }

                        var position = a * alpha + b;
                        packed[((position * outBlocks + o / block) * loopChannels + physical) * block + o % block] = (float)sum;
                    }
                }
            }
        }
    }
}
