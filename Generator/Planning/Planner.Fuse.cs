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
}
