using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Numerics;
using InceptionGen.Generator.Diagnostics;
using InceptionGen.Generator.Model;

namespace InceptionGen.Generator.Planning;

/// <summary>The tiling pass: register tiles of the convolution kernels, chosen from a small cost model. Every search is over a fixed, small set.</summary>
internal sealed partial class Planner
{
    /// <summary>
    /// Picks the register tile for a convolution with <paramref name="blocks"/> output-channel blocks and
    /// output rows <paramref name="width"/> pixels wide. Wide (one register per block, 32 registers): the
    /// tile of R blocks × P pixels that needs R·P accumulators + R weight vectors + 1 broadcast ≤ 32 and
    /// costs least, counting per input tap max(FMAs / 2, loads / 2) + 1 cycles over a row's tiles.
    /// Narrow (a block in 2 or 4 registers): 1 block × up to 6 pixels.
    /// </summary>
    public static ConvTiling ChooseTiling(int blocks, int width)
    {
        const int registers = 32;
        // Shapes were checked to be positive; a bad one still gets a tile, never a loop that does not end.
        width = Math.Max(width, 1);
        var best = (Blocks: 1, Pixels: 1, Cost: double.MaxValue);
        for (var r = 4; r >= 1; r--)
        {
            if (blocks % r != 0)
            {
                continue;
            }

            var maxPixels = Math.Min(width, (registers - 1 - r) / r);
            var tiles = (width + maxPixels - 1) / maxPixels;
            var pixels = (width + tiles - 1) / tiles;
            var cost = 0.0;
            for (var start = 0; start < width; start += pixels)
            {
                var p = Math.Min(pixels, width - start);
                cost += Math.Max(r * p / 2.0, (r + p) / 2.0) + 1;
            }

            cost *= blocks / r;
            if (cost < best.Cost - 1e-9)
            {
                best = (r, pixels, cost);
            }
        }

        var narrowTiles = (width + 5) / 6;
        return new ConvTiling(best.Blocks, best.Pixels, (width + narrowTiles - 1) / narrowTiles);
    }

    /// <summary>
    /// The weight-gradient tile: R output blocks × I input channels × one kernel row of K taps (the kernel's width), R·I·K
    /// accumulators plus R output-gradient vectors and one broadcast in 32 registers. I divides 16 so a tile
    /// never straddles two input blocks; the most accumulators win, then the fewest loads per FMA.
    /// </summary>
    public static (int Blocks, int Channels) ChooseWeightGradientTile(int outBlocks, int loopChannels, int kernelWidth)
    {
        var best = (Blocks: 1, Channels: 1, Score: -1.0);
        foreach (var r in new[] { 4, 3, 2, 1 })
        {
            if (outBlocks % r != 0)
            {
                continue;
            }

            foreach (var i in new[] { 16, 8, 4, 2, 1 })
            {
                var accumulators = r * i * kernelWidth;
                if (accumulators + r + 1 > 32 || i > Math.Max(1, loopChannels))
                {
                    continue;
                }

                // FMAs per load: r·i·k FMAs for r vector loads and i·k broadcasts per pixel.
                var score = accumulators + accumulators / (double)(r + i * kernelWidth);
                if (score > best.Score)
                {
                    best = (r, i, score);
                }
            }
        }

        return (best.Blocks, best.Channels);
    }
}
