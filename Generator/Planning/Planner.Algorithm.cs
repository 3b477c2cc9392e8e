using System;
using System.Linq;
using InceptionGen.Generator.Model;

namespace InceptionGen.Generator.Planning;

/// <summary>
/// A convolution run by Winograd F(m×m, 3×3) (<c>global::InceptionGen.Kernels.WinogradKernels</c>): its output is cut into
/// <see cref="Tiles"/> tiles of m×m, and an item is a range of <see cref="TilesPerItem"/> of one image's tiles. The
/// transformed weights live at <see cref="PackedOffset"/> in the packed block. The costs are the cost model's estimates
/// (multiply-add equivalents per image) that made the choice, kept for the summary and the tests.
/// </summary>
internal sealed record WinogradPlan(int TileSize, int Tiles, int TilesPerItem, int ItemsPerImage, int ScratchLength, int PackedOffset, int PackedLength,
    long DirectCost, long WinogradF2Cost, long WinogradF4Cost)
{
    public string Text => $"winograd F({TileSize},3)";
}

/// <summary>
/// The algorithm pass, after lowering and fusion: for each 3x3 stride-1 convolution, direct or Winograd (and which F), by
/// a cost model. <c>ConvolutionAlgorithm.Auto</c> (the default) weighs direct against F(2,3), <c>Fastest</c> against F(4,3)
/// too, and <c>Direct</c> keeps every convolution direct.
/// </summary>
internal sealed partial class Planner
{
    /// <summary>Tiles per register tile of the Winograd GEMM (<c>WinogradKernels.TileWidth</c>).</summary>
    internal const int WinogradTileWidth = 6;

    /// <summary>Output blocks per wide register tile (<c>WinogradKernels.WideBlocks</c>), which the scratch holds room for.</summary>
    internal const int WinogradWideBlocks = 4;

    /// <summary>Largest scratch, in floats, the kernel takes from the stack (<c>WinogradKernels.MaxStackScratch</c>).</summary>
    internal const int WinogradMaxScratch = 96 * 1024;

    /// <summary>
    /// The Winograd GEMM's speed relative to the direct register tiles, per multiply-add: its weights (α² per 3x3 kernel's
    /// 9) are read from L2 for every range of tiles, where the direct tiles reuse each weight across a whole row. Measured
    /// with Benchmarks/WinogradBenchmarks on GoogLeNet's 3x3 layers (README, "Winograd").
    /// </summary>
    internal const double WinogradGemmEfficiency = 0.6;

    /// <summary>Cores the balance of an image's ranges is judged on: this machine's and CI's (2).</summary>
    internal const int WinogradCores = 2;

    /// <summary>Winograd pays off only when the model says it is this much cheaper: the model is rough and direct is exact.</summary>
    internal const double WinogradMargin = 0.85;

    private void ChooseConvolutionAlgorithms()
    {
        if (_model.Convolution == NetworkModel.DirectConvolution)
        {
            return;
        }

        for (var index = 0; index < _ops.Count; index++)
        {
            var op = _ops[index];
            if (op.Kind != OpKind.Conv || op.Kernel != 3 || op.Stride != 1 || _tensors[op.Input].Layout != TensorLayout.Blocked)
            {
                continue;
            }

            var direct = (long)Blocks(op.OutChannels) * Block * op.LoopChannels * 9 * op.OutHeight * op.OutWidth;
            var f2 = WinogradCost(op, 2);
            // F(4,3) only when asked for: its error (7e-6 of the largest output) flips near-ties of max pools downstream.
            var f4 = _model.Convolution == NetworkModel.FastestConvolution ? WinogradCost(op, 4) : (TileSize: 4, Tiles: 0, TilesPerItem: 0, Scratch: 0, Cost: long.MaxValue);
            var best = f4.Cost <= f2.Cost ? f4 : f2;
            if (best.TilesPerItem == 0 || best.Cost > WinogradMargin * direct)
            {
                continue;
            }

            var packedLength = (best.TileSize + 2) * (best.TileSize + 2) * Blocks(op.OutChannels) * op.LoopChannels * Block;
            var packedOffset = ReservePacked(op.QualifiedName + " (Winograd)", packedLength);
            var plan = new WinogradPlan(best.TileSize, best.Tiles, best.TilesPerItem, (best.Tiles + best.TilesPerItem - 1) / best.TilesPerItem, best.Scratch,
                packedOffset, packedLength, direct, f2.Cost, f4.Cost);
            _ops[index] = op with { Winograd = plan };
            var row = _summary.FindIndex(summary => summary.Name == op.QualifiedName);
            if (row >= 0)
            {
                _summary[row] = _summary[row] with { Kind = _summary[row].Kind + " " + plan.Text };
            }
        }
    }

    /// <summary>
    /// The input gradient of a 3x3 stride-1 convolution (training memory pass): the transposed convolution over the output
    /// gradient bordered by 2, from the convolution's output channels to its input's physical channels, over the bordered
    /// input's map, by Winograd when the same cost model, on that transposed shape, says so (F(4,3) only with
    /// <c>Fastest</c>). Its items are whole images (the image's bordered gradient is written first), which the pool
    /// spreads over the cores, so an image's ranges are not balanced over cores: the model runs with one core.
    /// The transformed weights go at <paramref name="transposedOffset"/> in the transposed-weight block.
    /// </summary>
    private WinogradPlan? ChooseInputGradientAlgorithm(OpPlan op, TensorPlan source, int transposedOffset)
    {
        if (_model.Convolution == NetworkModel.DirectConvolution || op.Kernel != 3 || op.Stride != 1 || source.Layout != TensorLayout.Blocked)
        {
            return null;
        }

        var transposedShape = op with { LoopChannels = op.OutChannels, OutChannels = source.PhysicalChannels, OutHeight = source.Height, OutWidth = source.Width };
        var direct = (long)source.PhysicalChannels * op.OutChannels * 9 * source.Height * source.Width;
        var f2 = WinogradCost(transposedShape, 2, cores: 1);
        var f4 = _model.Convolution == NetworkModel.FastestConvolution ? WinogradCost(transposedShape, 4, cores: 1) : (TileSize: 4, Tiles: 0, TilesPerItem: 0, Scratch: 0, Cost: long.MaxValue);
        var best = f4.Cost <= f2.Cost ? f4 : f2;
        if (best.TilesPerItem == 0 || best.Cost > WinogradMargin * direct)
        {
            return null;
        }

        var packedLength = (best.TileSize + 2) * (best.TileSize + 2) * source.PhysicalChannels * op.OutChannels;
        return new WinogradPlan(best.TileSize, best.Tiles, best.TilesPerItem, (best.Tiles + best.TilesPerItem - 1) / best.TilesPerItem, best.Scratch,
            transposedOffset, packedLength, direct, f2.Cost, f4.Cost);
    }

    /// <summary>
    /// The cost of F(m,3) for one image in multiply-add equivalents, for the best range length (a multiple of the register
    /// tile's 6 tiles, the transformed input of a range within 64K floats, 256 KB, a core's share of L2): the α² GEMMs over
    /// every range's slots (a range rounds up to whole register tiles) divided by <see cref="WinogradGemmEfficiency"/>, the
    /// transforms as 16 multiply-adds per vector instruction (loads and stores counted), the transformed weights read once
    /// per range, all stretched by the balance of the image's ranges over <see cref="WinogradCores"/> cores (a batch-1 image
    /// of one range leaves a core idle where the direct rows keep both busy; <paramref name="cores"/> is 1 where whole images
    /// are the items). TilesPerItem is 0 where no scratch fits.
    /// </summary>
    private (int TileSize, int Tiles, int TilesPerItem, int Scratch, long Cost) WinogradCost(OpPlan op, int tileSize, int cores = WinogradCores)
    {
        var alpha = tileSize + 2;
        var positions = alpha * alpha;
        var tiles = ((op.OutHeight + tileSize - 1) / tileSize) * ((op.OutWidth + tileSize - 1) / tileSize);
        var inBlocks = Blocks(op.LoopChannels);
        var outBlocks = Blocks(op.OutChannels);
        var longest = Math.Min(Math.Max(WinogradTileWidth, 65536 / (positions * inBlocks * Block) / WinogradTileWidth * WinogradTileWidth), RoundUpTo(tiles, WinogradTileWidth));
        // Vector instructions per tile: per input block the row and column passes (loads, adds, stores), per output block the same and the stores.
        var inputTransform = tileSize == 2 ? 96 : 288;
        var outputTransform = tileSize == 2 ? 72 : 248;
        var transforms = (double)tiles * (inBlocks * inputTransform + outBlocks * outputTransform) * Block;
        var weights = (double)positions * outBlocks * Block * op.LoopChannels;
        var best = (TileSize: tileSize, Tiles: tiles, TilesPerItem: 0, Scratch: 0, Cost: long.MaxValue);
        for (var tilesPerItem = WinogradTileWidth; tilesPerItem <= longest; tilesPerItem += WinogradTileWidth)
        {
            var scratch = WinogradScratch(positions, inBlocks, tilesPerItem);
            if (scratch > WinogradMaxScratch)
            {
                break;
            }

            var items = (tiles + tilesPerItem - 1) / tilesPerItem;
            var slots = (long)(items - 1) * tilesPerItem + RoundUpTo(tiles - (items - 1) * tilesPerItem, WinogradTileWidth);
            var work = weights * slots / WinogradGemmEfficiency + transforms + weights * items;
            var rounds = (items + cores - 1) / cores;
            var cost = work * rounds * cores / items;
            if (cost < best.Cost)
            {
                best = (tileSize, tiles, tilesPerItem, scratch, (long)cost);
            }
        }

        return best;
    }

    private static int WinogradScratch(int positions, int inBlocks, int tiles)
        => positions * RoundUpTo(tiles, WinogradTileWidth) * Block * (inBlocks + WinogradWideBlocks) + 2 * positions * Block;

    private static int RoundUpTo(int value, int multiple) => (value + multiple - 1) / multiple * multiple;
}
