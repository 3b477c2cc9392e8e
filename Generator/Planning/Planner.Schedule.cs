using System;
using System.Collections.Generic;
using System.Linq;
using InceptionGen.Generator.Descriptors;
using InceptionGen.Generator.Model;

namespace InceptionGen.Generator.Planning;

/// <summary>
/// The schedule pass, last: how each op splits into worker-pool items, its number and its identifier stem. Every
/// scheduling number the emitted code uses is decided here, once.
/// </summary>
internal sealed partial class Planner
{
    private readonly SchedulePlan _schedule = SchedulePlan.Default;
    private readonly SortedSet<RegisterTile> _convolutionTiles = new();
    private readonly SortedSet<RegisterTile> _weightGradientTiles = new();

    private void Schedule()
    {
        var stems = new HashSet<string>(StringComparer.Ordinal);
        for (var index = 0; index < _ops.Count; index++)
        {
            var op = _ops[index];
            var stem = (op.Layer.Length == 0 ? op.Part : op.Part.Length == 0 ? op.Layer : op.Layer + "_" + op.Part) + (op.Kind == OpKind.Pad ? "_Pad" : "");
            // Layer names may hold underscores, so "A" + "B_C" can meet "A_B" + "C": the op number settles it.
            if (!stems.Add(stem))
            {
                stem += "_" + index;
                stems.Add(stem);
            }

            var descriptor = OpDescriptor.For(op.Kind);
            var (wide, narrow, scalar) = descriptor.ForwardItemsPerImage(op, _tensors[op.Input]);
            _ops[index] = op with
            {
                Schedule = new OpSchedule(
                    index,
                    stem,
                    wide,
                    narrow,
                    scalar,
                    LinearChunks(op),
                    descriptor.BackwardItemsPerImage(op, _tensors[op.Input]),
                    WeightGradientItems(op),
                    op.Kind == OpKind.Conv && op.Backward is not null ? WeightGradientBandRows(op) : 0,
                    op.Kind == OpKind.Conv ? Blocks(op.OutChannels) * op.LoopChannels * op.Kernel * op.Kernel * Block : 0),
            };
            if (op.Kind == OpKind.Conv)
            {
                AddRegisterTiles(_ops[index]);
            }
        }
    }

    /// <summary>
    /// The register tiles a convolution's drivers call: for each row sweep (wide and narrow), its tile and the tile
    /// of the row's remainder; in training also the transposed convolution's (stride 1) and the weight gradient's
    /// (a full input-channel chunk and the last one).
    /// </summary>
    private void AddRegisterTiles(OpPlan op)
    {
        var tiling = op.Tiling!;
        AddSweep(tiling.WideBlocks, tiling.WidePixels, op.OutWidth, op.Kernel, op.Stride);
        AddSweep(1, tiling.NarrowPixels, op.OutWidth, op.Kernel, op.Stride);
        if (_logits < 0 || op.Backward is not { } backward)
        {
            return;
        }

        if (op.Stride == 1 && backward.TransposedTiling is { } transposed)
        {
            var width = _tensors[op.Input].Width;
            AddSweep(transposed.WideBlocks, transposed.WidePixels, width, op.Kernel, 1);
            AddSweep(1, transposed.NarrowPixels, width, op.Kernel, 1);
        }

        var chunks = (op.LoopChannels + backward.WeightChannels - 1) / backward.WeightChannels;
        _weightGradientTiles.Add(new RegisterTile(backward.WeightBlocks, backward.WeightChannels, op.Kernel, op.Stride));
        _weightGradientTiles.Add(new RegisterTile(backward.WeightBlocks, op.LoopChannels - (chunks - 1) * backward.WeightChannels, op.Kernel, op.Stride));
    }

    private void AddSweep(int blocks, int pixels, int width, int kernel, int stride)
    {
        _convolutionTiles.Add(new RegisterTile(blocks, pixels, kernel, stride));
        if (width % pixels > 0)
        {
            _convolutionTiles.Add(new RegisterTile(blocks, width % pixels, kernel, stride));
        }
    }

    /// <summary>A Linear op on a plain vector runs as chunks of output rows over every image of the pass: their count, else 0.</summary>
    private int LinearChunks(OpPlan op)
        => op.Kind == OpKind.Linear && _tensors[op.Input].ChannelMap.Count == 0 ? (op.OutChannels + _schedule.LinearRowsPerItem - 1) / _schedule.LinearRowsPerItem : 0;

    /// <summary>Items of the vectorized weight-gradient op: (block group, channel chunk) then one per output block for the bias; a Linear op's row chunks.</summary>
    private int WeightGradientItems(OpPlan op)
    {
        if (op.Kind == OpKind.Conv && op.Backward is { } plan)
        {
            var groups = Blocks(op.OutChannels) / plan.WeightBlocks;
            var chunks = (op.LoopChannels + plan.WeightChannels - 1) / plan.WeightChannels;
            return groups * chunks + (op.Bias is null ? 0 : Blocks(op.OutChannels));
        }

        return op.Kind == OpKind.Linear && _tensors[op.Input].ChannelMap.Count == 0 ? Math.Max(1, LinearChunks(op)) : 1;
    }

    /// <summary>
    /// Output rows per band of the weight gradient: every kernel row's tile runs over a band before the next band,
    /// so the band's output gradient (about 64 KiB) is read from cache by all but the first instead of from memory.
    /// </summary>
    private static int WeightGradientBandRows(OpPlan op)
        => op.Kernel == 1 ? op.OutHeight : Math.Max(1, Math.Min(op.OutHeight, 64 * 1024 / (op.OutWidth * Block * sizeof(float) * op.Backward!.WeightBlocks)));
}
