using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Numerics;
using InceptionGen.Generator.Diagnostics;
using InceptionGen.Generator.Model;

namespace InceptionGen.Generator.Planning;

/// <summary>The fusion pass: ops merged where one can do the work of two.</summary>
internal sealed partial class Planner
{
    /// <summary>
    /// When the blocked input's only reader is a zero-padding op (GoogLeNet's conv1), the input layout writes the
    /// padded map itself: one pass over the input instead of two, and no memory for the unpadded copy.
    /// </summary>
    private void FuseInputLayoutWithPad()
    {
        var layoutIndex = _ops.FindIndex(op => op.Kind == OpKind.InputToBlocked);
        if (layoutIndex < 0)
        {
            return;
        }

        var layout = _ops[layoutIndex];
        var readers = Enumerable.Range(0, _ops.Count).Where(index => _ops[index].Input == layout.Output).ToList();
        if (readers.Count != 1 || _ops[readers[0]].Kind != OpKind.Pad)
        {
            return;
        }

        var pad = _ops[readers[0]];
        _ops[layoutIndex] = layout with
        {
            Output = pad.Output,
            Padding = pad.Padding,
            Description = $"{layout.Description} with a zero border of {pad.Padding.ShortText} (for {pad.QualifiedName})",
        };
        _ops.RemoveAt(readers[0]);
        _tensors[layout.Output] = _tensors[layout.Output] with { Storage = TensorStorage.Unused };
    }

    /// <summary>
    /// Whether <paramref name="op"/> alone writes its whole output: a BN that writes a slice of a module's concat cannot
    /// become an alias of the convolution before it, so it stays an op of its own in inference.
    /// </summary>
    private bool WritesWholeTensor(OpPlan op)
        => op.OutputChannelOffset == 0 && _tensors[op.Output].PhysicalChannels == _tensors[op.Input].PhysicalChannels
           && _ops.Count(other => other.Output == op.Output) == 1;

    private int _batchNormWorkspaceLength;
    private int _batchNormSumsLength;

    /// <summary>
    /// Gives every BatchNorm op its workspace, and folds each one that follows a convolution without ReLU whose output
    /// only the BN reads into that convolution for inference (not in an auxiliary head, which inference never runs): the
    /// convolution's packing folds the running statistics into its weights and bias, it applies the BN's ReLU itself, and the BN op runs in training only (its output is its
    /// input in inference, as a dropout's).
    /// </summary>
    private void FoldBatchNorm()
    {
        for (var index = 0; index < _ops.Count; index++)
        {
            var op = _ops[index];
            if (op.Kind != OpKind.BatchNorm)
            {
                continue;
            }

            var bn = op.BatchNorm! with { WorkspaceOffset = _batchNormWorkspaceLength, SumsOffset = _batchNormSumsLength };
            _batchNormWorkspaceLength += bn.WorkspaceLength;
            _batchNormSumsLength += bn.SumsLength;
            var producer = _ops.FindIndex(candidate => candidate.Output == op.Input);
            var readers = _ops.Count(candidate => candidate.Input == op.Input);
            if (producer >= 0 && _ops[producer] is { Kind: OpKind.Conv, Relu: false, OutputChannelOffset: 0 } conv
                && readers == 1 && conv.OutChannels == _tensors[op.Input].Channels && !op.Auxiliary && !conv.Auxiliary
                && WritesWholeTensor(op))
            {
                var weights = _parameters.First(parameter => parameter.Name == conv.Weights);
                var foldedOffset = ReservePacked(conv.QualifiedName, RoundUpLong(weights.Length) + RoundUp(conv.OutChannels));
                _ops[producer] = conv with { BatchNorm = bn with { FoldedOffset = foldedOffset } };
                bn = bn with { Folded = true };
                op = op with { TrainingOnly = true };
                var output = _tensors[op.Output];
                _tensors[op.Output] = output with { AliasOf = op.Input };
            }

            _ops[index] = op with { BatchNorm = bn };
        }
    }
}
