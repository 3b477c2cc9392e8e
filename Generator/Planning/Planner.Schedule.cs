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
            // A part may be dotted (a module's branch2.0.Conv; an auxiliary head's BasicConv2d is Conv.Conv and Conv.Bn): an identifier takes underscores.
            var stem = (op.Layer.Length == 0 ? op.Part : op.Part.Length == 0 ? op.Layer : op.Layer + "_" + op.Part).Replace('.', '_') + (op.Kind == OpKind.Pad ? "_Pad" : "");
            // Layer names may hold underscores, so "A" + "B_C" can meet "A_B" + "C": the op number settles it.
            if (!stems.Add(stem))
            {
                stem += "_" + index;
                stems.Add(stem);
            }

            var descriptor = OpDescriptor.For(op.Kind);
            var source = _tensors[op.Input];
            var (wide, narrow, scalar) = descriptor.ForwardItemsPerImage(op, source);
            _ops[index] = op with
            {
                Schedule = new OpSchedule(
                    index,
                    stem,
                    wide,
                    narrow,
                    scalar,
                    descriptor.PassItems(op, source, _schedule),
                    descriptor.BackwardItemsPerImage(op, source),
                    descriptor.WeightGradientItems(op, source, _schedule),
                    descriptor.WeightGradientBandRows(op),
                    descriptor.PackedLength(op),
                    _logits >= 0 ? _schedule.InputGradientOperation(index) : -1,
                    _logits >= 0 && op.Weights is not null ? _schedule.WeightGradientOperation(index) : -1),
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
        if (op.Winograd is null)
        {
            // A Winograd convolution's forward pass runs the runtime's kernels, not these tiles.
            AddSweep(tiling.WideBlocks, tiling.WidePixels, op.OutWidth, op.Kernel, op.Stride);
            AddSweep(1, tiling.NarrowPixels, op.OutWidth, op.Kernel, op.Stride);
        }
        if (_logits < 0 || op.Backward is not { } backward)
        {
            return;
        }

        if (op.Stride == SizePair.Square(1) && backward.TransposedTiling is { } transposed)
        {
            var width = _tensors[op.Input].Width;
            AddSweep(transposed.WideBlocks, transposed.WidePixels, width, op.Kernel, 1);
            AddSweep(1, transposed.NarrowPixels, width, op.Kernel, 1);
        }

        var chunks = (op.LoopChannels + backward.WeightChannels - 1) / backward.WeightChannels;
        _weightGradientTiles.Add(new RegisterTile(backward.WeightBlocks, backward.WeightChannels, op.Kernel, op.Stride));
        _weightGradientTiles.Add(new RegisterTile(backward.WeightBlocks, op.LoopChannels - (chunks - 1) * backward.WeightChannels, op.Kernel, op.Stride));
    }

    private void AddSweep(int blocks, int pixels, int width, SizePair kernel, SizePair stride)
    {
        _convolutionTiles.Add(new RegisterTile(blocks, pixels, kernel, stride));
        if (width % pixels > 0)
        {
            _convolutionTiles.Add(new RegisterTile(blocks, width % pixels, kernel, stride));
        }
    }
}
