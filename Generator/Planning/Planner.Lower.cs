using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Numerics;
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
            if (!CheckOptions(layer) || !shapesKnown)
            {
                shapesKnown = false;
                continue;
            }

            var current = _tensors[trunk];
            var needsMap = layer.Kind is not (LayerKind.Linear or LayerKind.Dropout or LayerKind.AuxiliaryClassifier);
            if (needsMap && vectorProducer is not null)
            {
                Report(DiagnosticDescriptors.SpatialLayerOnVector, layer.Location, layer.Name, vectorProducer, current.ShapeText);
                shapesKnown = false;
                continue;
            }

            var errorsBefore = ErrorCount;
            int? next = layer.Kind switch
            {
                LayerKind.Conv => PlanConvLayer(layer, EnsureBlocked(trunk)),
                LayerKind.MaxPool or LayerKind.AvgPool => PlanPoolLayer(layer, EnsureBlocked(trunk)),
                LayerKind.GlobalAveragePool => PlanGlobalAveragePool(layer, EnsureBlocked(trunk)),
                LayerKind.LocalResponseNorm => PlanLrn(layer, EnsureBlocked(trunk)),
                LayerKind.Inception => PlanInception(layer, EnsureBlocked(trunk)),
                LayerKind.Flatten => PlanFlatten(layer, trunk),
                LayerKind.Linear => PlanLinearLayer(layer, trunk, trunkProducer),
                LayerKind.Dropout => PlanDropout(layer.Name, "", layer.Rate, trunk, auxiliary: false),
                LayerKind.AuxiliaryClassifier => PlanAuxiliary(layer, trunk, trunkProducer, vectorProducer),
                _ => null,
            };

            // A layer that reported an error (e.g. a tensor too large) has no trustworthy shape: stop here.
            if (next is null || ErrorCount > errorsBefore)
            {
                shapesKnown = false;
                continue;
            }

            var output = _tensors[next.Value];
            var isAuxiliary = layer.Kind == LayerKind.AuxiliaryClassifier;
            var layerParameters = _parameters.Skip(parametersBefore).Sum(p => (long)p.Length);
            var layerMultiplyAdds = _ops.Where(op => op.Layer == layer.Name).Sum(op => op.MultiplyAdds);
            var (outChannels, outHeight, outWidth) = isAuxiliary ? (layer.OutChannels, 1, 1) : (output.Channels, output.Height, output.Width);
            _summary.Insert(rowsBefore, new SummaryRow(layer.Name, LayerKindText(layer), outChannels, outHeight, outWidth, layerParameters, layerMultiplyAdds, 0, isAuxiliary));
            _layers.Add(new LayerPlan(layer, outChannels, outHeight, outWidth, isAuxiliary ? trunkProducer : null));

            if (!isAuxiliary)
            {
                trunk = next.Value;
                trunkProducer = layer.Name;
                if (layer.Kind is LayerKind.Linear or LayerKind.Flatten)
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
    private int EnsureBlocked(int tensor)
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

    private int? PlanConvLayer(LayerModel layer, int input)
    {
        var source = _tensors[input];
        var size = ConvOutput(source.Height, layer.Kernel, layer.Stride, layer.Padding);
        var width = ConvOutput(source.Width, layer.Kernel, layer.Stride, layer.Padding);
        if (!CheckNotEmpty(layer, $"conv {layer.Kernel}x{layer.Kernel}/{layer.Stride} pad {layer.Padding}", source, size, width))
        {
            return null;
        }

        var output = NewTensor(Snake(layer.Name), layer.OutChannels, size, width, TensorLayout.Blocked, TensorStorage.Arena);
        AddConv(layer.Name, "", input, output, 0, layer.OutChannels, layer.Kernel, layer.Stride, layer.Padding, layer.Bias, layer.Relu, auxiliary: false);
        return output;
    }

    private int? PlanPoolLayer(LayerModel layer, int input)
    {
        var source = _tensors[input];
        var kind = layer.Kind == LayerKind.MaxPool ? OpKind.MaxPool : OpKind.AvgPool;
        var height = PoolOutput(source.Height, layer.Kernel, layer.Stride, layer.Padding, layer.CeilMode);
        var width = PoolOutput(source.Width, layer.Kernel, layer.Stride, layer.Padding, layer.CeilMode);
        if (!CheckNotEmpty(layer, PoolText(kind, layer.Kernel, layer.Stride) + (layer.Padding > 0 ? $" pad {layer.Padding}" : ""), source, height, width))
        {
            return null;
        }

        var output = NewTensorLike(Snake(layer.Name), source, height, width);
        AddPool(kind, layer.Name, "", input, output, 0, layer.Kernel, layer.Stride, layer.Padding, auxiliary: false, layer.CeilMode);
        return output;
    }

    private int? PlanGlobalAveragePool(LayerModel layer, int input)
    {
        var source = _tensors[input];
        var output = NewTensorLike(Snake(layer.Name), source, 1, 1);
        AddOp(OpKind.GlobalAveragePool, layer.Name, "", $"global average pool, {source.ShapeText} -> {source.Channels}x1x1", input, output, source, _tensors[output]);
        return output;
    }

    private int? PlanLrn(LayerModel layer, int input)
    {
        var source = _tensors[input];
        var output = NewTensorLike(Snake(layer.Name), source, source.Height, source.Width);
        var op = NewOp(OpKind.LocalResponseNorm, layer.Name, "",
            $"LRN across {layer.Kernel} channels, alpha {Float(layer.Alpha)}, beta {Float(layer.Beta)}, k {Float(layer.K)}, {source.ShapeText}",
            input, output, source, _tensors[output]) with
        { Kernel = layer.Kernel, Alpha = layer.Alpha, Beta = layer.Beta, K = layer.K };
        _ops.Add(op);
        return output;
    }

    private int? PlanFlatten(LayerModel layer, int input)
    {
        var source = _tensors[input];
        if (source.Layout == TensorLayout.Plain && source.Storage != TensorStorage.Input)
        {
            return input;
        }

        var blocked = EnsureBlocked(input);
        var output = NewTensor(Snake(layer.Name), source.Channels * source.Height * source.Width, 1, 1, TensorLayout.Plain, TensorStorage.Arena);
        AddOp(OpKind.BlockedToPlain, layer.Name, "", $"flatten {source.ShapeText} -> {source.Channels * source.Height * source.Width}", blocked, output, _tensors[blocked], _tensors[output]);
        return output;
    }

    private int? PlanLinearLayer(LayerModel layer, int input, string? producer)
    {
        var source = _tensors[input];
        if (!source.IsVector)
        {
            Report(DiagnosticDescriptors.LinearOnSpatialMap, layer.Location, layer.Name, source.ShapeText, producer ?? "the input");
            return null;
        }

        var output = NewTensor(Snake(layer.Name), layer.OutChannels, 1, 1, TensorLayout.Plain, TensorStorage.Arena);
        AddLinear(layer.Name, "", input, output, layer.OutChannels, layer.Bias, layer.Relu, auxiliary: false);
        return output;
    }

    /// <summary>
    /// The four branches write straight into their channel slices of one output tensor, so there is no
    /// concat copy. A slice starts on a block boundary; a width that is not a multiple of 16 leaves a
    /// gap of zero channels, which the output's channel map skips.
    /// </summary>
    private int? PlanInception(LayerModel layer, int input)
    {
        var source = _tensors[input];
        var widths = layer.InceptionWidths;
        int branch1 = widths[0], reduce3 = widths[1], branch3 = widths[2], reduce5 = widths[3], branch5 = widths[4], projection = widths[5];
        var poolWidth = projection > 0 ? projection : source.Channels;
        var poolPhysical = projection > 0 ? RoundUp(projection) : source.PhysicalChannels;

        // Check the concat's size before building its channel map, which holds one entry per channel.
        var physicalTotal = RoundUpLong(branch1) + RoundUpLong(branch3) + RoundUpLong(branch5) + (projection > 0 ? RoundUpLong(projection) : source.PhysicalChannels);
        if ((BigInteger)physicalTotal * source.Height * source.Width > int.MaxValue / Block)
        {
            var logical = (long)branch1 + branch3 + branch5 + (projection > 0 ? projection : source.Channels);
            ReportTooLarge(layer.Location, $"Tensor '{Snake(layer.Name)}' ({logical}x{source.Height}x{source.Width})", (BigInteger)physicalTotal * source.Height * source.Width, int.MaxValue / Block);
            return null;
        }

        // Channel slices in branch order; the pass-through pool keeps its input's own gaps.
        var map = new List<int>();
        var offset = 0;
        var slices = new (int Width, int Offset)[4];
        var branchWidths = new[] { branch1, branch3, branch5, poolWidth };
        for (var branch = 0; branch < 4; branch++)
        {
            var width = branchWidths[branch];
            slices[branch] = (width, offset);
            if (width == 0)
            {
                continue;
            }

            for (var channel = 0; channel < width; channel++)
            {
                var physical = branch == 3 && projection == 0 && source.ChannelMap.Count > 0 ? source.ChannelMap[channel] : channel;
                map.Add(offset + physical);
            }

            var physicalWidth = branch == 3 ? poolPhysical : RoundUp(width);
            if (branch < 3 && width % Block != 0)
            {
                var name = new[] { "Branch1", "Branch2", "Branch3" }[branch];
                Report(DiagnosticDescriptors.PaddedBranch, layer.Location, layer.Name + "." + name, width, physicalWidth, physicalWidth - width);
            }

            offset += physicalWidth;
        }

        var channels = branch1 + branch3 + branch5 + poolWidth;
        var identity = map.Select((physical, logical) => physical == logical).All(same => same);
        var output = AddTensor(Snake(layer.Name), channels, offset, source.Height, source.Width, TensorLayout.Blocked, TensorStorage.Arena,
            identity ? EquatableArray<int>.Empty : map.ToEquatableArray());
        if (output is null)
        {
            return null;
        }

        PlanInceptionBranch(layer.Name, "Branch1", null, input, output.Value, slices[0].Offset, 0, branch1, 1);
        PlanInceptionBranch(layer.Name, "Branch2", "Branch2Reduce", input, output.Value, slices[1].Offset, reduce3, branch3, 3);
        PlanInceptionBranch(layer.Name, "Branch3", "Branch3Reduce", input, output.Value, slices[2].Offset, reduce5, branch5, 5);

        var poolTarget = projection > 0 ? NewTensorLike(Snake(layer.Name) + "_pool", source, source.Height, source.Width) : output.Value;
        AddPool(OpKind.MaxPool, layer.Name, "Branch4Pool", input, poolTarget, projection > 0 ? 0 : slices[3].Offset, 3, 1, 1, auxiliary: false);
        if (projection > 0)
        {
            AddConv(layer.Name, "Branch4Projection", poolTarget, output.Value, slices[3].Offset, projection, 1, 1, 0, bias: true, relu: true, auxiliary: false);
        }

        return output;
    }

    private void PlanInceptionBranch(string layer, string part, string? reducePart, int input, int output, int channelOffset, int reduceWidth, int width, int kernel)
    {
        if (width == 0)
        {
            return;
        }

        var source = input;
        if (reduceWidth > 0 && reducePart is not null)
        {
            var inputPlan = _tensors[input];
            source = NewTensor(Snake(layer) + "_" + Snake(reducePart), reduceWidth, inputPlan.Height, inputPlan.Width, TensorLayout.Blocked, TensorStorage.Arena);
            AddConv(layer, reducePart, input, source, 0, reduceWidth, 1, 1, 0, bias: true, relu: true, auxiliary: false);
        }

        AddConv(layer, part, source, output, channelOffset, width, kernel, 1, kernel / 2, bias: true, relu: true, auxiliary: false);
    }

    /// <summary>
    /// An auxiliary head reads the trunk without changing it. Its ops run in training only, so inference
    /// pays nothing for them: their tensors get no arena memory.
    /// </summary>
    /// <summary>
    /// Dropout is a training-only op; its output is an alias of its input in inference, so the next layer
    /// reads the same memory there and pays nothing.
    /// </summary>
    private int PlanDropout(string layer, string part, float rate, int input, bool auxiliary)
    {
        var source = _tensors[input];
        var output = AddTensor(source.Name + "_dropout", source.Channels, source.PhysicalChannels, source.Height, source.Width, source.Layout,
            source.Storage == TensorStorage.TrainingOnly ? TensorStorage.TrainingOnly : TensorStorage.Arena, source.ChannelMap) ?? throw new InvalidOperationException("tensor size checked before");
        _tensors[output] = _tensors[output] with { AliasOf = input };
        _ops.Add(NewOp(OpKind.Dropout, layer, part, $"dropout {Float(rate)} (training only), {source.ShapeText}", input, output, source, _tensors[output], auxiliary) with
        {
            Rate = rate,
            TrainingOnly = true,
        });
        return output;
    }

    private int? PlanAuxiliary(LayerModel layer, int trunk, string? trunkProducer, string? vectorProducer)
    {
        if (trunkProducer is null)
        {
            Report(DiagnosticDescriptors.AuxiliaryWithoutTap, layer.Location, layer.Name);
            return null;
        }

        if (vectorProducer is not null || _tensors[trunk].IsVector)
        {
            Report(DiagnosticDescriptors.AuxiliaryAfterClassifier, layer.Location, layer.Name, vectorProducer ?? trunkProducer);
            return null;
        }

        var source = _tensors[trunk];
        var height = PoolOutput(source.Height, layer.Kernel, layer.Stride, 0, ceilMode: true);
        var width = PoolOutput(source.Width, layer.Kernel, layer.Stride, 0, ceilMode: true);
        if (!CheckNotEmpty(layer, $"the head's avg pool {layer.Kernel}x{layer.Kernel}/{layer.Stride}", source, height, width))
        {
            return null;
        }

        var name = Snake(layer.Name);
        var pooled = NewTensorLike(name + "_pool", source, height, width, TensorStorage.TrainingOnly);
        AddPool(OpKind.AvgPool, layer.Name, "Pool", trunk, pooled, 0, layer.Kernel, layer.Stride, 0, auxiliary: true, ceilMode: true);
        var conv = NewTensor(name + "_conv", layer.ConvChannels, height, width, TensorLayout.Blocked, TensorStorage.TrainingOnly);
        AddConv(layer.Name, "Conv", pooled, conv, 0, layer.ConvChannels, 1, 1, 0, bias: true, relu: true, auxiliary: true);
        var flat = NewTensor(name + "_flat", layer.ConvChannels * height * width, 1, 1, TensorLayout.Plain, TensorStorage.TrainingOnly);
        AddOp(OpKind.BlockedToPlain, layer.Name, "Flatten", $"flatten {_tensors[conv].ShapeText} -> {layer.ConvChannels * height * width}", conv, flat, _tensors[conv], _tensors[flat], auxiliary: true);
        var hidden = NewTensor(name + "_hidden", layer.HiddenUnits, 1, 1, TensorLayout.Plain, TensorStorage.TrainingOnly);
        AddLinear(layer.Name, "Hidden", flat, hidden, layer.HiddenUnits, bias: true, relu: true, auxiliary: true);
        _summary.Add(new SummaryRow(layer.Name + ".Dropout", $"dropout {Float(layer.Rate)}", layer.HiddenUnits, 1, 1, 0, 0, 1, true));
        var dropped = PlanDropout(layer.Name, "Dropout", layer.Rate, hidden, auxiliary: true);
        var logits = NewTensor(name + "_logits", layer.OutChannels, 1, 1, TensorLayout.Plain, TensorStorage.TrainingOnly);
        AddLinear(layer.Name, "Classifier", dropped, logits, layer.OutChannels, bias: true, relu: false, auxiliary: true);
        _auxiliaryLosses.Add(new AuxiliaryLossPlan(layer.Name, logits, layer.LossWeight));
        return logits;
    }

    private void AddConv(string layer, string part, int input, int output, int channelOffset, int outChannels,
        int kernel, int stride, int padding, bool bias, bool relu, bool auxiliary)
    {
        var source = _tensors[input];
        var target = _tensors[output];
        var qualified = part.Length == 0 ? layer : layer + "." + part;
        var weights = AddParameter(qualified + ".Weights", new[] { outChannels, source.Channels, kernel, kernel }, false, source.Channels * kernel * kernel, relu, auxiliary);
        var convInput = padding > 0 ? AddPad(layer, part, input, padding, auxiliary) : input;
        var loopChannels = source.ChannelMap.Count > 0 ? source.PhysicalChannels : source.Channels;
        var packedOffset = ReservePacked(qualified, (long)Blocks(outChannels) * loopChannels * kernel * kernel * Block);
        var packedBiasOffset = ReservePacked(qualified, Blocks(outChannels) * Block);
        var biasName = bias ? AddParameter(qualified + ".Bias", new[] { outChannels }, true, source.Channels * kernel * kernel, relu, auxiliary) : null;
        var multiplyAdds = (long)outChannels * source.Channels * kernel * kernel * target.Height * target.Width;
        var slice = channelOffset > 0 || outChannels != target.Channels ? $"; writes channels [{channelOffset}, {channelOffset + outChannels}) of {target.Name}" : "";
        var op = NewOp(OpKind.Conv, layer, part,
            $"conv {kernel}x{kernel}/{stride}{(padding > 0 ? $" pad {padding}" : "")}, {source.Channels} -> {outChannels} channels, {source.Height}x{source.Width} -> {target.Height}x{target.Width}{(relu ? ", ReLU" : "")}{slice}",
            convInput, output, _tensors[convInput], target, auxiliary) with
        {
            OutputChannelOffset = channelOffset,
            OutChannels = outChannels,
            Kernel = kernel,
            Stride = stride,
            Padding = padding,
            Relu = relu,
            Weights = weights,
            Bias = biasName,
            MultiplyAdds = multiplyAdds,
            Tiling = ChooseTiling(Blocks(outChannels), target.Width),
            PackedOffset = packedOffset,
            PackedBiasOffset = packedBiasOffset,
            LoopChannels = loopChannels,
        };
        _ops.Add(op);
        if (part.Length > 0)
        {
            _summary.Add(new SummaryRow(qualified, $"conv {kernel}x{kernel}/{stride}", outChannels, target.Height, target.Width,
                (long)outChannels * source.Channels * kernel * kernel + (bias ? outChannels : 0), multiplyAdds, 1, auxiliary));
        }
    }

    /// <summary>
    /// A padded convolution reads a copy of its input with a zero border, so its kernel needs no bounds
    /// checks; the copy is live only until the convolution has run.
    /// </summary>
    private int AddPad(string layer, string part, int input, int padding, bool auxiliary)
    {
        var source = _tensors[input];
        var padded = AddTensor(source.Name + "_padded", source.Channels, source.PhysicalChannels, source.Height + 2 * padding, source.Width + 2 * padding,
            TensorLayout.Blocked, auxiliary ? TensorStorage.TrainingOnly : TensorStorage.Arena, source.ChannelMap) ?? throw new InvalidOperationException("tensor size checked before");
        var op = NewOp(OpKind.Pad, layer, part, $"zero border of {padding} around {source.Name} {source.ShapeText}", input, padded, source, _tensors[padded], auxiliary) with { Padding = padding };
        _ops.Add(op);
        return padded;
    }

    private void AddPool(OpKind kind, string layer, string part, int input, int output, int channelOffset, int kernel, int stride, int padding, bool auxiliary, bool ceilMode = false)
    {
        var source = _tensors[input];
        var target = _tensors[output];
        var slice = channelOffset > 0 || source.Channels != target.Channels ? $"; writes channels [{channelOffset}, {channelOffset + source.Channels}) of {target.Name}" : "";
        var op = NewOp(kind, layer, part,
            $"{PoolText(kind, kernel, stride)}{(padding > 0 ? $" pad {padding}" : "")}, {source.ShapeText} -> {source.Channels}x{target.Height}x{target.Width}{slice}",
            input, output, source, target, auxiliary) with
        {
            OutputChannelOffset = channelOffset,
            OutChannels = source.Channels,
            Kernel = kernel,
            Stride = stride,
            Padding = padding,
            CeilMode = ceilMode,
        };
        _ops.Add(op);
        if (part.Length > 0)
        {
            _summary.Add(new SummaryRow(layer + "." + part, PoolText(kind, kernel, stride), source.Channels, target.Height, target.Width, 0, 0, 1, auxiliary));
        }
    }

    private void AddLinear(string layer, string part, int input, int output, int outFeatures, bool bias, bool relu, bool auxiliary)
    {
        var source = _tensors[input];
        var inFeatures = source.Channels;
        var qualified = part.Length == 0 ? layer : layer + "." + part;
        var weights = AddParameter(qualified + ".Weights", new[] { outFeatures, inFeatures }, false, inFeatures, relu, auxiliary);
        var biasName = bias ? AddParameter(qualified + ".Bias", new[] { outFeatures }, true, inFeatures, relu, auxiliary) : null;
        var op = NewOp(OpKind.Linear, layer, part, $"linear {inFeatures} -> {outFeatures}{(relu ? ", ReLU" : "")}", input, output, source, _tensors[output], auxiliary) with
        {
            OutChannels = outFeatures,
            Relu = relu,
            Weights = weights,
            Bias = biasName,
            MultiplyAdds = (long)inFeatures * outFeatures,
        };
        _ops.Add(op);
        if (part.Length > 0)
        {
            _summary.Add(new SummaryRow(qualified, "linear", outFeatures, 1, 1, (long)inFeatures * outFeatures + (bias ? outFeatures : 0), op.MultiplyAdds, 1, auxiliary));
        }
    }

    private void AddOp(OpKind kind, string layer, string part, string description, int input, int output, TensorPlan source, TensorPlan target, bool auxiliary = false)
        => _ops.Add(NewOp(kind, layer, part, description, input, output, source, target, auxiliary));

    private static OpPlan NewOp(OpKind kind, string layer, string part, string description, int input, int output, TensorPlan source, TensorPlan target, bool auxiliary = false)
        => new(kind, layer, part, description, input, output, 0,
            source.Channels, source.Height, source.Width, target.Channels, target.Height, target.Width,
            1, 1, 0, false, 0f, 0f, 0f, 0f, null, null, 0, auxiliary, TrainingOnly: auxiliary);

    private static string PoolText(OpKind kind, int kernel, int stride)
        => $"{(kind == OpKind.MaxPool ? "max" : "avg")} pool {kernel}x{kernel}/{stride}";

    private static string LayerKindText(LayerModel layer) => layer.Kind switch
    {
        LayerKind.Conv => $"conv {layer.Kernel}x{layer.Kernel}/{layer.Stride}",
        LayerKind.MaxPool => PoolText(OpKind.MaxPool, layer.Kernel, layer.Stride),
        LayerKind.AvgPool => PoolText(OpKind.AvgPool, layer.Kernel, layer.Stride),
        LayerKind.GlobalAveragePool => "global avg pool",
        LayerKind.LocalResponseNorm => $"LRN {layer.Kernel}",
        LayerKind.Inception => "inception",
        LayerKind.AuxiliaryClassifier => "aux classifier",
        LayerKind.Dropout => $"dropout {Float(layer.Rate)}",
        LayerKind.Linear => "linear",
        LayerKind.Flatten => "flatten",
        _ => layer.Kind.ToString(),
    };
}
