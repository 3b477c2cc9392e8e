using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Numerics;
using InceptionGen.Generator.Diagnostics;
using InceptionGen.Generator.Model;

namespace InceptionGen.Generator.Planning;

/// <summary>Tensors and the two memory plans: the inference arena (live intervals, first fit) and the training memory (a slot per tensor).</summary>
internal sealed partial class Planner
{
    internal int NewTensor(string name, int channels, int height, int width, TensorLayout layout, TensorStorage storage)
        => AddTensor(name, channels, layout == TensorLayout.Blocked ? (int)Math.Min(RoundUpLong(channels), int.MaxValue) : channels, height, width, layout, storage, EquatableArray<int>.Empty)
           ?? throw new InvalidOperationException("tensor size checked before");

    /// <summary>A tensor with the same channels, physical layout and map as <paramref name="source"/> (pools, LRN).</summary>
    internal int NewTensorLike(string name, TensorPlan plan, int height, int width, TensorStorage storage = TensorStorage.Arena)
    {
        return AddTensor(name, plan.Channels, plan.PhysicalChannels, height, width, TensorLayout.Blocked, storage, plan.ChannelMap)
            ?? throw new InvalidOperationException("tensor size checked before");
    }

    internal int? AddTensor(string name, int channels, int physicalChannels, int height, int width, TensorLayout layout, TensorStorage storage, EquatableArray<int> channelMap)
    {
        var id = _tensors.Count;
        var floats = (BigInteger)(layout == TensorLayout.Blocked ? physicalChannels : channels) * height * width;
        // The input's size is checked, with its own message, by CheckInputShape.
        if (storage != TensorStorage.Input && floats > int.MaxValue / Block)
        {
            ReportTooLarge(_currentLayer?.Location ?? _model.Location, $"Tensor '{name}' ({channels}x{height}x{width})", floats, int.MaxValue / Block);
        }

        var unique = _tensors.Any(tensor => tensor.Name == name) ? name + "_" + id : name;
        _tensors.Add(new TensorPlan(id, unique, channels, physicalChannels, height, width, layout, storage, -1, channelMap));
        return id;
    }

    /// <summary>
    /// Places every arena tensor of the inference pass with first-fit over live intervals: a tensor is
    /// live from the op that first writes it to the op that last reads it, and an op's inputs stay live
    /// while it writes, so no op reads and writes the same memory. Offsets are per image: with a batch of
    /// n every offset and length is multiplied by n, which keeps the plan valid.
    /// </summary>
    private int PlanMemory()
    {
        var inference = _ops.Where(op => !op.TrainingOnly)
            .Select(op => op with { Input = Resolve(op.Input), Output = Resolve(op.Output), SecondInput = op.SecondInput < 0 ? -1 : Resolve(op.SecondInput) }).ToList();
        var first = new Dictionary<int, int>();
        var last = new Dictionary<int, int>();
        for (var index = 0; index < inference.Count; index++)
        {
            // A residual sum reads a second tensor, which stays live until it has.
            foreach (var tensor in inference[index].SecondInput < 0 ? new[] { inference[index].Input, inference[index].Output } : new[] { inference[index].Input, inference[index].SecondInput, inference[index].Output })
            {
                if (!first.ContainsKey(tensor))
                {
                    first[tensor] = index;
                }

                last[tensor] = index;
            }
        }

        var live = new List<(int Offset, int Length, int Tensor)>();
        var arenaLength = 0L;
        for (var index = 0; index < inference.Count; index++)
        {
            var output = inference[index].Output;
            var plan = _tensors[output];
            if (plan.Storage == TensorStorage.Arena && first[output] == index)
            {
                var length = RoundUp(plan.Length);
                var offset = FirstFit(live, length);
                live.Add((offset, length, output));
                live.Sort((a, b) => a.Offset.CompareTo(b.Offset));
                _tensors[output] = plan with { ArenaOffset = offset };
                arenaLength = Math.Max(arenaLength, (long)offset + length);
            }

            live.RemoveAll(slot => last[slot.Tensor] == index);
        }

        foreach (var tensor in _tensors.Where(t => t.AliasOf >= 0 && t.Storage == TensorStorage.Arena).ToList())
        {
            _tensors[tensor.Id] = tensor with { ArenaOffset = _tensors[Resolve(tensor.Id)].ArenaOffset };
        }

        foreach (var tensor in _tensors.Where(t => t.Storage == TensorStorage.Arena && t.ArenaOffset < 0).ToList())
        {
            _tensors[tensor.Id] = tensor with { Storage = TensorStorage.TrainingOnly };
        }

        if (arenaLength > int.MaxValue)
        {
            ReportTooLarge(_model.Location, "The activation memory", arenaLength, int.MaxValue);
            return 0;
        }

        return (int)arenaLength;
    }

    /// <summary>The tensor whose memory <paramref name="tensor"/> uses in inference (itself unless it is an alias).</summary>
    private int Resolve(int tensor)
    {
        // An alias always names an earlier tensor, so the chain ends; the bound makes that a checked fact.
        for (var step = 0; step < _tensors.Count && _tensors[tensor].AliasOf >= 0; step++)
        {
            tensor = _tensors[tensor].AliasOf;
        }

        return tensor;
    }

    /// <summary>
    /// The training pass keeps every activation until the backward pass reads it, so each tensor (but the
    /// caller's input and output) gets its own slot; the activation gradients use the same offsets in a
    /// second buffer. Sizes are per image; the training pass runs a few images at a time.
    /// </summary>
    private int PlanTrainingMemory()
    {
        var offset = 0L;
        for (var id = 0; id < _tensors.Count; id++)
        {
            var tensor = _tensors[id];
            if (tensor.Storage is TensorStorage.Input or TensorStorage.Output or TensorStorage.Unused)
            {
                continue;
            }

            _tensors[id] = tensor with { TrainingOffset = (int)Math.Min(offset, int.MaxValue) };
            offset += RoundUp(tensor.Length);
        }

        // Activation gradients exist for these tensors only: the scratch slots and masks below live in the activations.
        _trainingGradientLength = (int)Math.Min(offset, int.MaxValue);

        // A stride-1 convolution's input gradient is a transposed convolution over its output gradient padded
        // by kernel - 1: that padded copy needs a scratch slot. Weight gradient tiles are sized here too.
        var transposed = 0L;
        for (var index = 0; index < _ops.Count; index++)
        {
            var op = _ops[index];
            if (op.Kind != OpKind.Conv)
            {
                continue;
            }

            var source = _tensors[op.Input];
            var (weightBlocks, weightChannels) = ChooseWeightGradientTile(Blocks(op.OutChannels), op.LoopChannels, op.Kernel.Width);
            var scratch = -1;
            ConvTiling? tiling = null;
            var transposedOffset = -1;
            WinogradPlan? winograd = null;
            if (op.Stride == SizePair.Square(1))
            {
                if (op.Kernel.Area > 1)
                {
                    scratch = (int)Math.Min(offset, int.MaxValue);
                    offset += RoundUpLong((long)Blocks(op.OutChannels) * Block * (op.OutHeight + 2 * (op.Kernel.Height - 1)) * (op.OutWidth + 2 * (op.Kernel.Width - 1)));
                }

                transposedOffset = (int)Math.Min(transposed, int.MaxValue);
                winograd = ChooseInputGradientAlgorithm(op, source, transposedOffset);
                if (winograd is null)
                {
                    tiling = ChooseTiling(source.PhysicalChannels / Block, source.Width);
                    transposed += RoundUpLong((long)source.PhysicalChannels * op.OutChannels * op.Kernel.Area);
                }
                else
                {
                    transposed += RoundUpLong(winograd.PackedLength);
                }
            }

            _ops[index] = op with { Backward = new ConvBackwardPlan(transposedOffset, tiling, scratch, weightBlocks, weightChannels, winograd) };
        }

        _transposedLength = (int)Math.Min(transposed, int.MaxValue);

        // Each dropout keeps its mask (0 or 1 / (1 - rate) per float) for the backward pass.
        for (var index = 0; index < _ops.Count; index++)
        {
            if (_ops[index].Kind == OpKind.Dropout)
            {
                _ops[index] = _ops[index] with { MaskOffset = (int)Math.Min(offset, int.MaxValue) };
                offset += RoundUp(_tensors[_ops[index].Output].Length);
            }
        }

        if (offset > int.MaxValue)
        {
            ReportTooLarge(_model.Location, "The training memory", offset, int.MaxValue);
            return 0;
        }

        return (int)offset;
    }

    private static int FirstFit(List<(int Offset, int Length, int Tensor)> live, int length)
    {
        var candidate = 0L;
        foreach (var slot in live)
        {
            if (candidate + length <= slot.Offset)
            {
                break;
            }

            candidate = Math.Max(candidate, (long)slot.Offset + slot.Length);
        }

        return checked((int)candidate);
    }
}
