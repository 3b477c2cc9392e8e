using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Numerics;
using InceptionGen.Generator.Descriptors;
using InceptionGen.Generator.Diagnostics;
using InceptionGen.Generator.Model;

namespace InceptionGen.Generator.Planning;

/// <summary>The shape and lowering pass: each layer in order gets its output shape (IG0005/IG0008 when it has none) and becomes primitive ops.</summary>
internal sealed partial class Planner
{
    /// <summary>Plans the layers in order; returns the tensor the network outputs.</summary>
    private int PlanLayers(int input)
    {
        var trunk = input;
        string? trunkProducer = null;      // layer whose output the trunk is, for messages
        string? vectorProducer = null;     // layer that turned the trunk into a vector (Linear or Flatten)
        var shapesKnown = _model.Channels > 0 && _model.Height > 0 && _model.Width > 0 && !HasErrors;

        foreach (var layer in _model.Layers)
        {
            _currentLayer = layer;
            var parametersBefore = _parameters.Count;
            var rowsBefore = _summary.Count;
            var descriptor = LayerDescriptors.For(layer.Kind);
            if (!descriptor.CheckOptions(this, layer) || !shapesKnown)
            {
                shapesKnown = false;
                continue;
            }

            var current = _tensors[trunk];
            if (descriptor.Traits.ReadsMap && vectorProducer is not null)
            {
                Report(DiagnosticDescriptors.SpatialLayerOnVector, layer.Location, layer.Name, vectorProducer, current.ShapeText);
                shapesKnown = false;
                continue;
            }

            var errorsBefore = ErrorCount;
            var next = descriptor.Lower(this, layer, new LayerInput(descriptor.Traits.NeedsBlockedInput ? EnsureBlocked(trunk) : trunk, trunkProducer, vectorProducer));

            // A layer that reported an error (e.g. a tensor too large) has no trustworthy shape: stop here.
            if (next is null || ErrorCount > errorsBefore)
            {
                shapesKnown = false;
                continue;
            }

            var output = _tensors[next.Value];
            var isAuxiliary = descriptor.Traits.IsTap;
            var layerParameters = _parameters.Skip(parametersBefore).Where(p => !p.IsBuffer).Sum(p => (long)p.Length);
            var layerMultiplyAdds = _ops.Where(op => op.Layer == layer.Name).Sum(op => op.MultiplyAdds);
            var (outChannels, outHeight, outWidth) = isAuxiliary ? (layer.OutChannels, 1, 1) : (output.Channels, output.Height, output.Width);
            _summary.Insert(rowsBefore, new SummaryRow(layer.Name, descriptor.KindText(layer), outChannels, outHeight, outWidth, layerParameters, layerMultiplyAdds, 0, isAuxiliary));
            _layers.Add(new LayerPlan(layer, outChannels, outHeight, outWidth, isAuxiliary ? trunkProducer : null));

            if (!isAuxiliary)
            {
                trunk = next.Value;
                trunkProducer = layer.Name;
                if (descriptor.Traits.MakesVector)
                {
                    vectorProducer = layer.Name;
                }
            }
        }

        _currentLayer = null;
        if (!shapesKnown || HasErrors)
        {
            return trunk;
        }

        return FinishOutput(trunk);
    }

    /// <summary>
    /// The last op copies the result to the caller's output: a plain vector as it is, a blocked map
    /// converted to NCHW. Every other op touches only the arena, so the worker threads never see the
    /// caller's spans.
    /// </summary>
    private int FinishOutput(int trunk)
    {
        var final = _tensors[trunk];
        if (final.Layout == TensorLayout.Plain && final.Storage == TensorStorage.Arena)
        {
            _logits = trunk;
            var copy = NewTensor("output", final.Channels, final.Height, final.Width, TensorLayout.Plain, TensorStorage.Output);
            AddOp(OpKind.CopyToOutput, "", "Output", $"output: copy {final.ShapeText} to the caller", trunk, copy, final, _tensors[copy]);
            return copy;
        }

        var blocked = EnsureBlocked(trunk);
        var source = _tensors[blocked];
        var output = NewTensor("output", source.Channels, source.Height, source.Width, TensorLayout.Plain, TensorStorage.Output);
        AddOp(OpKind.BlockedToPlain, "", "Output", $"output: blocked {source.ShapeText} to NCHW", blocked, output, source, _tensors[output]);
        return output;
    }

    /// <summary>The trunk in the blocked layout: the network input is converted once, on first use.</summary>
    internal int EnsureBlocked(int tensor)
    {
        var plan = _tensors[tensor];
        if (plan.Layout == TensorLayout.Blocked)
        {
            return tensor;
        }

        var blocked = NewTensor("input_blocked", plan.Channels, plan.Height, plan.Width, TensorLayout.Blocked, TensorStorage.Arena);
        AddOp(OpKind.InputToBlocked, "", "Input", $"input: NCHW {plan.ShapeText} to NCHW16c", tensor, blocked, plan, _tensors[blocked]);
        return blocked;
    }










    internal void AddOp(OpKind kind, string layer, string part, string description, int input, int output, TensorPlan source, TensorPlan target, bool auxiliary = false)
        => _ops.Add(NewOp(kind, layer, part, description, input, output, source, target, auxiliary));

    internal static OpPlan NewOp(OpKind kind, string layer, string part, string description, int input, int output, TensorPlan source, TensorPlan target, bool auxiliary = false)
        => new(kind, layer, part, description, input, output, 0,
            source.Channels, source.Height, source.Width, target.Channels, target.Height, target.Width,
            SizePair.Square(1), SizePair.Square(1), SizePair.Square(0), false, 0f, 0f, 0f, 0f, null, null, 0, auxiliary, TrainingOnly: auxiliary);

}
