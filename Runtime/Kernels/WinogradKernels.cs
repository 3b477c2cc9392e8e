using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace InceptionGen.Kernels;

/// <summary>
/// Winograd F(2x2,3x3) and F(4x4,3x3) for 3x3 stride-1 convolutions on NCHW16c. A call runs a range of output tiles of
/// one image through three stages, all in a scratch sized by the range (no transformed tensor of the whole map):
/// <list type="number">
/// <item>input transform: each tile's α×α patch of each input block, <c>Bᵀ d B</c> on 16-channel vectors, into
/// <c>V[ξ][in-block][tile][16]</c>;</item>
/// <item>element-wise stage: for each of the α² positions ξ, a GEMM <c>M[ξ] = U[ξ] · V[ξ]</c> over the input channels, run
/// by broadcast × vector register tiles (R output blocks × <see cref="TileWidth"/> tiles of accumulators, MLAS's scheme,
/// with tiles in place of pixels); output blocks go in groups of R, each group's weights of one ξ stay in L1 while
/// every tile of the range passes;</item>
/// <item>output transform: <c>Aᵀ M A</c> per tile and output block, bias and ReLU, storing the pixels that exist.</item>
/// </list>
/// The weights are transformed once when packed (<see cref="WinogradPacking"/>). Every output value is computed by the
/// same operations in the same order whichever range or thread computes it, so results do not depend on how a
/// convolution is split into items. One driver picks Vector512 (R = 4), Vector256 or Vector128 (R = 1), else the scalar
/// <see cref="ReferenceWinograd"/>.
/// </summary>
public static class WinogradKernels
{
    private const int Block = BlockedLayout.BlockSize;

    /// <summary>Tiles per register tile: the broadcast side of the GEMM's accumulators.</summary>
    public const int TileWidth = 6;

    /// <summary>Output blocks per register tile where a block is one register (AVX-512): 4 × 6 accumulators.</summary>
    public const int WideBlocks = 4;

    /// <summary>Largest scratch, in floats (384 KB), that <see cref="ConvolveTiles(ReadOnlySpan{float}, Span{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, in WinogradGeometry, int, int)"/> takes from the stack.</summary>
    public const int MaxStackScratch = 96 * 1024;

    /// <summary>Floats of scratch one call over <paramref name="tiles"/> tiles needs (each thread its own).</summary>
    public static int ScratchLength(in WinogradGeometry g, int tiles)
    {
        var positions = g.Alpha * g.Alpha;
        var slots = RoundUp(Math.Max(tiles, 1), TileWidth);
        return positions * slots * Block * (BlockedLayout.Blocks(g.Channels) + WideBlocks) + 2 * positions * Block;
    }

    /// <summary>
    /// A range length that keeps one call's transformed input (<c>V</c>) within 64K floats (256 KB, a core's share of L2),
    /// a multiple of <see cref="TileWidth"/>, and no longer than the image's tiles rounded up.
    /// </summary>
    public static int SuggestedTilesPerCall(in WinogradGeometry g)
    {
        var perTile = g.Alpha * g.Alpha * BlockedLayout.Blocks(g.Channels) * Block;
        var tiles = Math.Max(TileWidth, 65536 / perTile / TileWidth * TileWidth);
        return Math.Min(tiles, RoundUp(g.Tiles, TileWidth));
    }

    /// <summary>
    /// Output tiles [<paramref name="firstTile"/>, <paramref name="endTile"/>) of one image (row by row). The input is the
    /// zero-bordered map of <c>Blocks(Channels)</c> blocks, the output the convolution's <c>Blocks(OutChannels)</c> blocks.
    /// </summary>
    public static void ConvolveTiles(ReadOnlySpan<float> input, Span<float> output, ReadOnlySpan<float> packedWeights, ReadOnlySpan<float> packedBias,
        Span<float> scratch, in WinogradGeometry g, int firstTile, int endTile)
    {
        if (g.TileSize == 4) ConvolveTiles<TileF4>(input, output, packedWeights, packedBias, scratch, g, firstTile, endTile, accumulate: false);
        else if (g.TileSize == 2) ConvolveTiles<TileF2>(input, output, packedWeights, packedBias, scratch, g, firstTile, endTile, accumulate: false);
        else throw new ArgumentOutOfRangeException(nameof(g), g.TileSize, "Winograd tiles are 2x2 or 4x4.");
    }

    /// <summary>
    /// As the overload with a scratch span, with the scratch on the stack (no allocation): for the generated code, whose
    /// planner keeps <see cref="ScratchLength"/> of a range within <see cref="MaxStackScratch"/>.
    /// </summary>
    [SkipLocalsInit]
    public static void ConvolveTiles(ReadOnlySpan<float> input, Span<float> output, ReadOnlySpan<float> packedWeights, ReadOnlySpan<float> packedBias,
        in WinogradGeometry g, int firstTile, int endTile)
    {
        var length = ScratchLength(g, endTile - firstTile);
        if (length > MaxStackScratch)
        {
            throw new ArgumentException($"A range of {endTile - firstTile} tiles needs {length} floats of scratch, more than the {MaxStackScratch} taken from the stack.");
        }

        Span<float> scratch = stackalloc float[length];
        ConvolveTiles(input, output, packedWeights, packedBias, scratch, g, firstTile, endTile);
    }

    /// <summary>
    /// The input gradient of a 3x3 stride-1 convolution over tiles [<paramref name="firstTile"/>, <paramref name="endTile"/>):
    /// a 3x3 convolution of the output gradient, zero-bordered by 2 (<paramref name="paddedOutputGradient"/>), with the
    /// flipped, transposed weights <see cref="WinogradPacking.PackTransposedWeights"/> transformed, added into
    /// <paramref name="inputGradient"/> (the gradient of the forward convolution's bordered input). No bias and no ReLU:
    /// <paramref name="g"/> is <see cref="WinogradGeometry.ForInputGradient"/>'s, whose <c>Relu</c> is false.
    /// </summary>
    public static void AccumulateTiles(ReadOnlySpan<float> paddedOutputGradient, Span<float> inputGradient, ReadOnlySpan<float> packedTransposedWeights,
        Span<float> scratch, in WinogradGeometry g, int firstTile, int endTile)
    {
        if (g.Relu)
        {
            throw new ArgumentException("An input gradient has no ReLU: the forward ReLU's mask was applied to the output gradient.", nameof(g));
        }

        if (g.TileSize == 4) ConvolveTiles<TileF4>(paddedOutputGradient, inputGradient, packedTransposedWeights, default, scratch, g, firstTile, endTile, accumulate: true);
        else if (g.TileSize == 2) ConvolveTiles<TileF2>(paddedOutputGradient, inputGradient, packedTransposedWeights, default, scratch, g, firstTile, endTile, accumulate: true);
        else throw new ArgumentOutOfRangeException(nameof(g), g.TileSize, "Winograd tiles are 2x2 or 4x4.");
    }

    /// <summary>As the overload with a scratch span, with the scratch on the stack (no allocation), for the generated backward pass.</summary>
    [SkipLocalsInit]
    public static void AccumulateTiles(ReadOnlySpan<float> paddedOutputGradient, Span<float> inputGradient, ReadOnlySpan<float> packedTransposedWeights,
        in WinogradGeometry g, int firstTile, int endTile)
    {
        var length = ScratchLength(g, endTile - firstTile);
        if (length > MaxStackScratch)
        {
            throw new ArgumentException($"A range of {endTile - firstTile} tiles needs {length} floats of scratch, more than the {MaxStackScratch} taken from the stack.");
        }

        Span<float> scratch = stackalloc float[length];
        AccumulateTiles(paddedOutputGradient, inputGradient, packedTransposedWeights, scratch, g, firstTile, endTile);
    }

    /// <summary>Every tile of one image, in calls of <see cref="SuggestedTilesPerCall"/> tiles.</summary>
    public static void Conv2d(ReadOnlySpan<float> input, Span<float> output, ReadOnlySpan<float> packedWeights, ReadOnlySpan<float> packedBias,
        Span<float> scratch, in WinogradGeometry g)
    {
        var step = SuggestedTilesPerCall(g);
        for (var first = 0; first < g.Tiles; first += step)
        {
            ConvolveTiles(input, output, packedWeights, packedBias, scratch, g, first, Math.Min(first + step, g.Tiles));
        }
    }

    /// <summary>The driver; with <paramref name="accumulate"/> there is no bias (<paramref name="packedBias"/> is empty) and the result adds into the output.</summary>
    private static void ConvolveTiles<TTile>(ReadOnlySpan<float> input, Span<float> output, ReadOnlySpan<float> packedWeights, ReadOnlySpan<float> packedBias,
        Span<float> scratch, in WinogradGeometry g, int firstTile, int endTile, bool accumulate)
        where TTile : struct, IWinogradTile
    {
        if (Vector512.IsHardwareAccelerated) ConvolveTiles<Block512, TTile>(input, output, packedWeights, packedBias, scratch, g, firstTile, endTile, WideBlocks, accumulate);
        else if (Vector256.IsHardwareAccelerated) ConvolveTiles<Block256, TTile>(input, output, packedWeights, packedBias, scratch, g, firstTile, endTile, 1, accumulate);
        else if (Vector128.IsHardwareAccelerated) ConvolveTiles<Block128, TTile>(input, output, packedWeights, packedBias, scratch, g, firstTile, endTile, 1, accumulate);
        else if (accumulate) ReferenceWinograd.AccumulateTiles(input, output, packedWeights, g, firstTile, endTile);
        else ReferenceWinograd.ConvolveTiles(input, output, packedWeights, packedBias, g, firstTile, endTile);
    }

    private static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;

    private static void ConvolveTiles<TBlock, TTile>(ReadOnlySpan<float> input, Span<float> output, ReadOnlySpan<float> packedWeights, ReadOnlySpan<float> packedBias,
        Span<float> scratch, in WinogradGeometry g, int firstTile, int endTile, int wideBlocks, bool accumulate)
        where TBlock : struct, IChannelBlock<TBlock>
        where TTile : struct, IWinogradTile
    {
        var count = endTile - firstTile;
        if (count <= 0)
        {
            return;
        }

        var alpha = TTile.Size + 2;
        var positions = alpha * alpha;
        var slots = RoundUp(count, TileWidth);
        var inBlocks = BlockedLayout.Blocks(g.Channels);
        var outBlocks = BlockedLayout.Blocks(g.OutChannels);
        var inPlane = g.InHeight * g.InWidth * Block;
        var outPlane = g.OutHeight * g.OutWidth * Block;
        var transformedLength = positions * inBlocks * slots * Block;
        var productLength = positions * wideBlocks * slots * Block;
        // Every access below stays inside these checked lengths.
        if (endTile > g.Tiles || firstTile < 0 || scratch.Length < ScratchLength(g, count) || input.Length < inBlocks * inPlane
            || output.Length < outBlocks * outPlane || packedWeights.Length < positions * outBlocks * g.Channels * Block || (!accumulate && packedBias.Length < outBlocks * Block))
        {
            throw new ArgumentException("A span is shorter than the Winograd geometry needs, or the tile range is outside the image.");
        }

        ref var source = ref MemoryMarshal.GetReference(input);
        ref var destination = ref MemoryMarshal.GetReference(output);
        ref var weights = ref MemoryMarshal.GetReference(packedWeights);
        ref var bias = ref MemoryMarshal.GetReference(packedBias);
        ref var transformed = ref MemoryMarshal.GetReference(scratch);
        ref var products = ref Unsafe.Add(ref transformed, transformedLength);
        ref var temporary = ref Unsafe.Add(ref products, productLength);

        // 1. Input transform: V[ξ][in-block][slot][16]; slots past the range hold zeros, so full register tiles read them harmlessly.
        var positionStride = inBlocks * slots * Block;
        for (var inBlock = 0; inBlock < inBlocks; inBlock++)
        {
            ref var plane = ref Unsafe.Add(ref source, inBlock * inPlane);
            for (var slot = 0; slot < slots; slot++)
            {
                ref var first = ref Unsafe.Add(ref transformed, (inBlock * slots + slot) * Block);
                if (slot < count)
                {
                    InputTile<TBlock, TTile>(ref plane, g, firstTile + slot, ref first, positionStride, ref temporary);
                }
                else
                {
                    for (var position = 0; position < positions; position++)
                    {
                        TBlock.Store(TBlock.Zero, ref Unsafe.Add(ref first, position * positionStride));
                    }
                }
            }
        }

        // 2 and 3, per group of output blocks: α² GEMMs into M[ξ][block of group][slot][16], then the output transform.
        var weightBlock = g.Channels * Block;
        var slotPlane = slots * Block;
        for (var outBlock = 0; outBlock < outBlocks;)
        {
            var group = outBlock + wideBlocks <= outBlocks ? wideBlocks : 1;
            for (var position = 0; position < positions; position++)
            {
                ref var positionWeights = ref Unsafe.Add(ref weights, (position * outBlocks + outBlock) * weightBlock);
                ref var positionInput = ref Unsafe.Add(ref transformed, position * positionStride);
                ref var positionProducts = ref Unsafe.Add(ref products, position * group * slotPlane);
                for (var slot = 0; slot < slots; slot += TileWidth)
                {
                    if (group == 4)
                    {
                        Gemm4x6<TBlock>(ref Unsafe.Add(ref positionInput, slot * Block), ref positionWeights, ref Unsafe.Add(ref positionProducts, slot * Block), g.Channels, slotPlane, weightBlock, slotPlane);
                    }
                    else
                    {
                        Gemm1x6<TBlock>(ref Unsafe.Add(ref positionInput, slot * Block), ref positionWeights, ref Unsafe.Add(ref positionProducts, slot * Block), g.Channels, slotPlane);
                    }
                }
            }

            for (var member = 0; member < group; member++)
            {
                ref var outputPlane = ref Unsafe.Add(ref destination, (outBlock + member) * outPlane);
                if (accumulate)
                {
                    for (var slot = 0; slot < count; slot++)
                    {
                        OutputTile<TBlock, TTile>(ref Unsafe.Add(ref products, (member * slots + slot) * Block), group * slotPlane, TBlock.Zero, ref outputPlane, g, firstTile + slot, ref temporary, accumulate: true);
                    }
                }
                else
                {
                    var blockBias = TBlock.Load(ref Unsafe.Add(ref bias, (outBlock + member) * Block));
                    for (var slot = 0; slot < count; slot++)
                    {
                        OutputTile<TBlock, TTile>(ref Unsafe.Add(ref products, (member * slots + slot) * Block), group * slotPlane, blockBias, ref outputPlane, g, firstTile + slot, ref temporary, accumulate: false);
                    }
                }
            }

            outBlock += group;
        }
    }

    /// <summary>Bᵀ d B of one tile of one input block: rows into the temporary, then columns into V (ξ = row · α + column).</summary>
    private static void InputTile<TBlock, TTile>(ref float plane, in WinogradGeometry g, int tile, ref float transformed, int positionStride, ref float temporary)
        where TBlock : struct, IChannelBlock<TBlock>
        where TTile : struct, IWinogradTile
    {
        var m = TTile.Size;
        var alpha = m + 2;
        var y0 = tile / g.TileColumns * m;
        var x0 = tile % g.TileColumns * m;
        var columns = Math.Min(alpha, g.InWidth - x0);
        for (var row = 0; row < alpha; row++)
        {
            var y = y0 + row;
            TTile.Input<TBlock>(ref Unsafe.Add(ref plane, (y * g.InWidth + x0) * Block), Block, y < g.InHeight ? columns : 0,
                ref Unsafe.Add(ref temporary, row * alpha * Block), Block);
        }

        for (var column = 0; column < alpha; column++)
        {
            TTile.Input<TBlock>(ref Unsafe.Add(ref temporary, column * Block), alpha * Block, alpha,
                ref Unsafe.Add(ref transformed, column * positionStride), alpha * positionStride);
        }
    }

    /// <summary>
    /// Aᵀ M A of one tile of one output block, plus bias, ReLU, and stores of the pixels inside the map; with
    /// <paramref name="accumulate"/> (an input gradient: zero bias, no ReLU) added to the values already there instead.
    /// </summary>
    private static void OutputTile<TBlock, TTile>(ref float products, int positionStride, TBlock bias, ref float plane, in WinogradGeometry g, int tile, ref float temporary, bool accumulate)
        where TBlock : struct, IChannelBlock<TBlock>
        where TTile : struct, IWinogradTile
    {
        var m = TTile.Size;
        var alpha = m + 2;
        // Rows: each row of M (α positions apart by one) to m values.
        for (var row = 0; row < alpha; row++)
        {
            TTile.Output<TBlock>(ref Unsafe.Add(ref products, row * alpha * positionStride), positionStride, ref Unsafe.Add(ref temporary, row * m * Block), Block);
        }

        // Columns: to the m × m tile, after the α × m rows.
        ref var tileValues = ref Unsafe.Add(ref temporary, alpha * m * Block);
        for (var column = 0; column < m; column++)
        {
            TTile.Output<TBlock>(ref Unsafe.Add(ref temporary, column * Block), m * Block, ref Unsafe.Add(ref tileValues, column * Block), m * Block);
        }

        var y0 = tile / g.TileColumns * m;
        var x0 = tile % g.TileColumns * m;
        var rows = Math.Min(m, g.OutHeight - y0);
        var columns = Math.Min(m, g.OutWidth - x0);
        var zero = TBlock.Zero;
        for (var row = 0; row < rows; row++)
        {
            for (var column = 0; column < columns; column++)
            {
                ref var pixel = ref Unsafe.Add(ref plane, ((y0 + row) * g.OutWidth + x0 + column) * Block);
                var value = TBlock.Add(TBlock.Load(ref Unsafe.Add(ref tileValues, (row * m + column) * Block)), accumulate ? TBlock.Load(ref pixel) : bias);
                if (g.Relu)
                {
                    value = TBlock.Max(value, zero);
                }

                TBlock.Store(value, ref pixel);
            }
        }
    }

    /// <summary>
    /// 4 output blocks × 6 tiles: per input channel, 4 weight loads (one per block, <paramref name="weightBlock"/> apart) and
    /// per tile one broadcast and 4 fused multiply-adds. V is [in-block][tile][16] (blocks <paramref name="inputPlane"/>
    /// apart), M is [block][tile][16] (blocks <paramref name="productPlane"/> apart).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Gemm4x6<TBlock>(ref float transformed, ref float weights, ref float products, int channels, int inputPlane, int weightBlock, int productPlane)
        where TBlock : struct, IChannelBlock<TBlock>
    {
        TBlock a0_0 = TBlock.Zero, a0_1 = a0_0, a0_2 = a0_0, a0_3 = a0_0, a0_4 = a0_0, a0_5 = a0_0;
        TBlock a1_0 = a0_0, a1_1 = a0_0, a1_2 = a0_0, a1_3 = a0_0, a1_4 = a0_0, a1_5 = a0_0;
        TBlock a2_0 = a0_0, a2_1 = a0_0, a2_2 = a0_0, a2_3 = a0_0, a2_4 = a0_0, a2_5 = a0_0;
        TBlock a3_0 = a0_0, a3_1 = a0_0, a3_2 = a0_0, a3_3 = a0_0, a3_4 = a0_0, a3_5 = a0_0;
        for (var channel = 0; channel < channels; channel++)
        {
            ref var x = ref Unsafe.Add(ref transformed, (channel >> 4) * inputPlane + (channel & 15));
            ref var w = ref Unsafe.Add(ref weights, channel * Block);
            var w0 = TBlock.Load(ref w);
            var w1 = TBlock.Load(ref Unsafe.Add(ref w, weightBlock));
            var w2 = TBlock.Load(ref Unsafe.Add(ref w, 2 * weightBlock));
            var w3 = TBlock.Load(ref Unsafe.Add(ref w, 3 * weightBlock));
            var x0 = x;
            a0_0 = TBlock.MultiplyAdd(x0, w0, a0_0); a1_0 = TBlock.MultiplyAdd(x0, w1, a1_0); a2_0 = TBlock.MultiplyAdd(x0, w2, a2_0); a3_0 = TBlock.MultiplyAdd(x0, w3, a3_0);
            var x1 = Unsafe.Add(ref x, 16);
            a0_1 = TBlock.MultiplyAdd(x1, w0, a0_1); a1_1 = TBlock.MultiplyAdd(x1, w1, a1_1); a2_1 = TBlock.MultiplyAdd(x1, w2, a2_1); a3_1 = TBlock.MultiplyAdd(x1, w3, a3_1);
            var x2 = Unsafe.Add(ref x, 32);
            a0_2 = TBlock.MultiplyAdd(x2, w0, a0_2); a1_2 = TBlock.MultiplyAdd(x2, w1, a1_2); a2_2 = TBlock.MultiplyAdd(x2, w2, a2_2); a3_2 = TBlock.MultiplyAdd(x2, w3, a3_2);
            var x3 = Unsafe.Add(ref x, 48);
            a0_3 = TBlock.MultiplyAdd(x3, w0, a0_3); a1_3 = TBlock.MultiplyAdd(x3, w1, a1_3); a2_3 = TBlock.MultiplyAdd(x3, w2, a2_3); a3_3 = TBlock.MultiplyAdd(x3, w3, a3_3);
            var x4 = Unsafe.Add(ref x, 64);
            a0_4 = TBlock.MultiplyAdd(x4, w0, a0_4); a1_4 = TBlock.MultiplyAdd(x4, w1, a1_4); a2_4 = TBlock.MultiplyAdd(x4, w2, a2_4); a3_4 = TBlock.MultiplyAdd(x4, w3, a3_4);
            var x5 = Unsafe.Add(ref x, 80);
            a0_5 = TBlock.MultiplyAdd(x5, w0, a0_5); a1_5 = TBlock.MultiplyAdd(x5, w1, a1_5); a2_5 = TBlock.MultiplyAdd(x5, w2, a2_5); a3_5 = TBlock.MultiplyAdd(x5, w3, a3_5);
        }

        StoreRow(ref products, a0_0, a0_1, a0_2, a0_3, a0_4, a0_5);
        StoreRow(ref Unsafe.Add(ref products, productPlane), a1_0, a1_1, a1_2, a1_3, a1_4, a1_5);
        StoreRow(ref Unsafe.Add(ref products, 2 * productPlane), a2_0, a2_1, a2_2, a2_3, a2_4, a2_5);
        StoreRow(ref Unsafe.Add(ref products, 3 * productPlane), a3_0, a3_1, a3_2, a3_3, a3_4, a3_5);
    }

    /// <summary>1 output block × 6 tiles, as <see cref="Gemm4x6"/>: where a block takes 2 or 4 registers (AVX2, NEON).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Gemm1x6<TBlock>(ref float transformed, ref float weights, ref float products, int channels, int inputPlane)
        where TBlock : struct, IChannelBlock<TBlock>
    {
        TBlock a0 = TBlock.Zero, a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0;
        for (var channel = 0; channel < channels; channel++)
        {
            ref var x = ref Unsafe.Add(ref transformed, (channel >> 4) * inputPlane + (channel & 15));
            var w = TBlock.Load(ref Unsafe.Add(ref weights, channel * Block));
            a0 = TBlock.MultiplyAdd(x, w, a0);
            a1 = TBlock.MultiplyAdd(Unsafe.Add(ref x, 16), w, a1);
            a2 = TBlock.MultiplyAdd(Unsafe.Add(ref x, 32), w, a2);
            a3 = TBlock.MultiplyAdd(Unsafe.Add(ref x, 48), w, a3);
            a4 = TBlock.MultiplyAdd(Unsafe.Add(ref x, 64), w, a4);
            a5 = TBlock.MultiplyAdd(Unsafe.Add(ref x, 80), w, a5);
        }

        StoreRow(ref products, a0, a1, a2, a3, a4, a5);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow<TBlock>(ref float destination, TBlock a0, TBlock a1, TBlock a2, TBlock a3, TBlock a4, TBlock a5)
        where TBlock : struct, IChannelBlock<TBlock>
    {
        TBlock.Store(a0, ref destination);
        TBlock.Store(a1, ref Unsafe.Add(ref destination, 16));
        TBlock.Store(a2, ref Unsafe.Add(ref destination, 32));
        TBlock.Store(a3, ref Unsafe.Add(ref destination, 48));
        TBlock.Store(a4, ref Unsafe.Add(ref destination, 64));
        TBlock.Store(a5, ref Unsafe.Add(ref destination, 80));
    }

    /// <summary>The 1-D transforms of one tile size on 16-channel vectors; the 2-D ones apply them to rows, then columns.</summary>
    private interface IWinogradTile
    {
        /// <summary>m: output pixels per tile side.</summary>
        static abstract int Size { get; }

        /// <summary>Bᵀ d for α vectors <paramref name="sourceStride"/> floats apart, of which the first <paramref name="available"/> exist (the rest read as zero).</summary>
        static abstract void Input<TBlock>(ref float source, int sourceStride, int available, ref float destination, int destinationStride)
            where TBlock : struct, IChannelBlock<TBlock>;

        /// <summary>Aᵀ m for α vectors, into m vectors.</summary>
        static abstract void Output<TBlock>(ref float source, int sourceStride, ref float destination, int destinationStride)
            where TBlock : struct, IChannelBlock<TBlock>;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TBlock LoadOrZero<TBlock>(ref float source, int index, int stride, int available) where TBlock : struct, IChannelBlock<TBlock>
        => index < available ? TBlock.Load(ref Unsafe.Add(ref source, index * stride)) : TBlock.Zero;

    /// <summary>left − right.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TBlock Subtract<TBlock>(TBlock left, TBlock right) where TBlock : struct, IChannelBlock<TBlock> => TBlock.MultiplyAdd(-1f, right, left);

    /// <summary>F(2x2,3x3): α = 4.</summary>
    private readonly struct TileF2 : IWinogradTile
    {
        public static int Size => 2;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Input<TBlock>(ref float source, int sourceStride, int available, ref float destination, int destinationStride)
            where TBlock : struct, IChannelBlock<TBlock>
        {
            var d0 = LoadOrZero<TBlock>(ref source, 0, sourceStride, available);
            var d1 = LoadOrZero<TBlock>(ref source, 1, sourceStride, available);
            var d2 = LoadOrZero<TBlock>(ref source, 2, sourceStride, available);
            var d3 = LoadOrZero<TBlock>(ref source, 3, sourceStride, available);
            TBlock.Store(Subtract(d0, d2), ref destination);
            TBlock.Store(TBlock.Add(d1, d2), ref Unsafe.Add(ref destination, destinationStride));
            TBlock.Store(Subtract(d2, d1), ref Unsafe.Add(ref destination, 2 * destinationStride));
            TBlock.Store(Subtract(d1, d3), ref Unsafe.Add(ref destination, 3 * destinationStride));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Output<TBlock>(ref float source, int sourceStride, ref float destination, int destinationStride)
            where TBlock : struct, IChannelBlock<TBlock>
        {
            var m0 = TBlock.Load(ref source);
            var m1 = TBlock.Load(ref Unsafe.Add(ref source, sourceStride));
            var m2 = TBlock.Load(ref Unsafe.Add(ref source, 2 * sourceStride));
            var m3 = TBlock.Load(ref Unsafe.Add(ref source, 3 * sourceStride));
            TBlock.Store(TBlock.Add(TBlock.Add(m0, m1), m2), ref destination);
            TBlock.Store(Subtract(Subtract(m1, m2), m3), ref Unsafe.Add(ref destination, destinationStride));
        }
    }

    /// <summary>F(4x4,3x3): α = 6, points 0, ±1, ±2.</summary>
    private readonly struct TileF4 : IWinogradTile
    {
        public static int Size => 4;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Input<TBlock>(ref float source, int sourceStride, int available, ref float destination, int destinationStride)
            where TBlock : struct, IChannelBlock<TBlock>
        {
            var d0 = LoadOrZero<TBlock>(ref source, 0, sourceStride, available);
            var d1 = LoadOrZero<TBlock>(ref source, 1, sourceStride, available);
            var d2 = LoadOrZero<TBlock>(ref source, 2, sourceStride, available);
            var d3 = LoadOrZero<TBlock>(ref source, 3, sourceStride, available);
            var d4 = LoadOrZero<TBlock>(ref source, 4, sourceStride, available);
            var d5 = LoadOrZero<TBlock>(ref source, 5, sourceStride, available);
            // Rows of Bᵀ: [4 0 -5 0 1 0], [0 -4 -4 1 1 0], [0 4 -4 -1 1 0], [0 -2 -1 2 1 0], [0 2 -1 -2 1 0], [0 4 0 -5 0 1].
            var sum12 = TBlock.Add(d1, d2);
            var sum34 = TBlock.Add(d3, d4);
            var difference12 = Subtract(d1, d2);
            var difference43 = Subtract(d4, d3);
            var difference42 = Subtract(d4, d2);
            var difference31 = Subtract(d3, d1);
            TBlock.Store(TBlock.MultiplyAdd(-5f, d2, TBlock.MultiplyAdd(4f, d0, d4)), ref destination);
            TBlock.Store(TBlock.MultiplyAdd(-4f, sum12, sum34), ref Unsafe.Add(ref destination, destinationStride));
            TBlock.Store(TBlock.MultiplyAdd(4f, difference12, difference43), ref Unsafe.Add(ref destination, 2 * destinationStride));
            TBlock.Store(TBlock.MultiplyAdd(2f, difference31, difference42), ref Unsafe.Add(ref destination, 3 * destinationStride));
            TBlock.Store(TBlock.MultiplyAdd(-2f, difference31, difference42), ref Unsafe.Add(ref destination, 4 * destinationStride));
            TBlock.Store(TBlock.MultiplyAdd(-5f, d3, TBlock.MultiplyAdd(4f, d1, d5)), ref Unsafe.Add(ref destination, 5 * destinationStride));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Output<TBlock>(ref float source, int sourceStride, ref float destination, int destinationStride)
            where TBlock : struct, IChannelBlock<TBlock>
        {
            var m0 = TBlock.Load(ref source);
            var m1 = TBlock.Load(ref Unsafe.Add(ref source, sourceStride));
            var m2 = TBlock.Load(ref Unsafe.Add(ref source, 2 * sourceStride));
            var m3 = TBlock.Load(ref Unsafe.Add(ref source, 3 * sourceStride));
            var m4 = TBlock.Load(ref Unsafe.Add(ref source, 4 * sourceStride));
            var m5 = TBlock.Load(ref Unsafe.Add(ref source, 5 * sourceStride));
            // Rows of Aᵀ: [1 1 1 1 1 0], [0 1 -1 2 -2 0], [0 1 1 4 4 0], [0 1 -1 8 -8 1].
            var sum12 = TBlock.Add(m1, m2);
            var sum34 = TBlock.Add(m3, m4);
            var difference12 = Subtract(m1, m2);
            var difference34 = Subtract(m3, m4);
            TBlock.Store(TBlock.Add(TBlock.Add(m0, sum12), sum34), ref destination);
            TBlock.Store(TBlock.MultiplyAdd(2f, difference34, difference12), ref Unsafe.Add(ref destination, destinationStride));
            TBlock.Store(TBlock.MultiplyAdd(4f, sum34, sum12), ref Unsafe.Add(ref destination, 2 * destinationStride));
            TBlock.Store(TBlock.Add(TBlock.MultiplyAdd(8f, difference34, difference12), m5), ref Unsafe.Add(ref destination, 3 * destinationStride));
        }
    }
}
