using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Numerics;
using InceptionGen.Generator.Diagnostics;
using InceptionGen.Generator.Model;

namespace InceptionGen.Generator.Planning;

/// <summary>
/// Turns a parsed network into a <see cref="NetworkPlan"/>: checks every option, infers every tensor's
/// shape, lowers layers to primitive ops, lays out the parameter block, counts parameters and
/// multiply-adds, and plans the activation memory so that dead tensors' space is reused.
/// Problems become diagnostics at the offending attribute; after the first shape error, later layers
/// are still checked for bad options but not for shapes, so that one mistake reports once.
/// </summary>
internal sealed partial class Planner
{
    private const int Block = 16;

    private readonly NetworkModel _model;
    private readonly List<TensorPlan> _tensors = new();
    private readonly List<OpPlan> _ops = new();
    private readonly List<ParameterPlan> _parameters = new();
    private readonly List<SummaryRow> _summary = new();
    private readonly List<LayerPlan> _layers = new();
    private readonly List<DiagnosticInfo> _diagnostics = new();
    private int _parameterOffset;
    private int _packedOffset;
    private readonly List<AuxiliaryLossPlan> _auxiliaryLosses = new();
    private int _logits = -1;
    private int _transposedLength;
    private LayerModel? _currentLayer;

    private Planner(NetworkModel model)
    {
        _model = model;
        _diagnostics.AddRange(model.Diagnostics);
    }

    public static NetworkPlan Plan(NetworkModel model)
    {
        var planner = new Planner(model);
        return planner.Build();
    }

    private NetworkPlan Build()
    {
        var input = NewTensor("input", _model.Channels, _model.Height, _model.Width, TensorLayout.Plain, TensorStorage.Input);
        var output = input;
        if (_model.Incomplete)
        {
            // The compiler could not bind part of the declaration (e.g. [Conv("x")]) and reports that
            // itself; checking the half-read values would only add wrong diagnostics on top.
        }
        else if (CheckInputShape() && _model.Layers.Count == 0)
        {
            Report(DiagnosticDescriptors.NoLayers, _model.Location, _model.ClassName);
        }
        else if (_model.Layers.Count > 0)
        {
            output = PlanLayers(input);
        }

        // A plan with errors is not emitted, and its sizes may be out of range: count nothing for it.
        var failed = HasErrors || _model.Incomplete;
        if (!failed)
        {
            FuseInputLayoutWithPad();
        }

        var arenaLength = failed ? 0 : PlanMemory();
        var trainingLength = failed ? 0 : PlanTrainingMemory();
        if (!failed)
        {
            Schedule();
        }

        return new NetworkPlan(
            _model,
            _layers.ToEquatableArray(),
            _tensors.ToEquatableArray(),
            _ops.ToEquatableArray(),
            _parameters.ToEquatableArray(),
            _summary.ToEquatableArray(),
            _parameterOffset,
            _packedOffset,
            arenaLength,
            input,
            output,
            failed ? 0 : _parameters.Where(p => !p.Auxiliary).Sum(p => (long)p.Length),
            failed ? 0 : _parameters.Where(p => p.Auxiliary).Sum(p => (long)p.Length),
            failed ? 0 : _ops.Where(op => !op.Auxiliary && op.Kind == OpKind.Conv).Sum(op => op.MultiplyAdds),
            failed ? 0 : _ops.Where(op => !op.Auxiliary && op.Kind == OpKind.Linear).Sum(op => op.MultiplyAdds),
            failed ? 0 : _ops.Where(op => op.Auxiliary).Sum(op => op.MultiplyAdds),
            _diagnostics.ToEquatableArray(),
            trainingLength,
            _transposedLength,
            failed ? -1 : _logits,
            _auxiliaryLosses.ToEquatableArray(),
            _schedule);
    }

    private bool HasErrors => ErrorCount > 0;

    private int ErrorCount => _diagnostics.Count(d => DiagnosticDescriptors.ById(d.Id).DefaultSeverity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error);

    private bool CheckInputShape()
    {
        var ok = Positive(_model.Location, _model.ClassName, ("Channels", _model.Channels), ("Height", _model.Height), ("Width", _model.Width));
        if (ok && (long)_model.Channels * _model.Height * _model.Width > int.MaxValue / Block)
        {
            ReportTooLarge(_model.Location, "The input", (BigInteger)_model.Channels * _model.Height * _model.Width, int.MaxValue / Block);
            ok = false;
        }

        return ok;
    }

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

    // ---- layers -------------------------------------------------------------------------------

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

    // ---- ops ----------------------------------------------------------------------------------

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

    private string AddParameter(string name, int[] shape, bool isBias, int fanIn, bool feedsRelu, bool auxiliary)
    {
        var parameter = new ParameterPlan(name, _parameterOffset, shape.ToEquatableArray(), isBias, fanIn, feedsRelu, auxiliary);
        _parameters.Add(parameter);
        var end = _parameterOffset + shape.Aggregate(BigInteger.One, (product, dimension) => product * dimension);
        if (end > int.MaxValue - Block)
        {
            // The offset stays where it is: the plan has an error now and is not emitted.
            ReportTooLarge(_currentLayer?.Location ?? _model.Location, $"The parameter block up to '{name}'", end, int.MaxValue - Block);
            return name;
        }

        _parameterOffset += RoundUp(parameter.Length);
        return name;
    }

    /// <summary>
    /// Space in the packed-weights block (the kernels' copy of the weights, in whole output blocks and
    /// physical input channels); its offset. Too large a block is IG0018 and the offset stays put.
    /// </summary>
    private int ReservePacked(string name, long length)
    {
        var offset = _packedOffset;
        var end = (BigInteger)offset + RoundUpLong(length);
        if (length < 0 || end > int.MaxValue - Block)
        {
            ReportTooLarge(_currentLayer?.Location ?? _model.Location, $"The packed convolution weights up to '{name}'", end, int.MaxValue - Block);
            return offset;
        }

        _packedOffset = (int)end;
        return offset;
    }

    // ---- tensors and memory -------------------------------------------------------------------

    private int NewTensor(string name, int channels, int height, int width, TensorLayout layout, TensorStorage storage)
        => AddTensor(name, channels, layout == TensorLayout.Blocked ? (int)Math.Min(RoundUpLong(channels), int.MaxValue) : channels, height, width, layout, storage, EquatableArray<int>.Empty)
           ?? throw new InvalidOperationException("tensor size checked before");

    /// <summary>A tensor with the same channels, physical layout and map as <paramref name="source"/> (pools, LRN).</summary>
    private int NewTensorLike(string name, TensorPlan plan, int height, int width, TensorStorage storage = TensorStorage.Arena)
    {
        return AddTensor(name, plan.Channels, plan.PhysicalChannels, height, width, TensorLayout.Blocked, storage, plan.ChannelMap)
            ?? throw new InvalidOperationException("tensor size checked before");
    }

    private int? AddTensor(string name, int channels, int physicalChannels, int height, int width, TensorLayout layout, TensorStorage storage, EquatableArray<int> channelMap)
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
        var inference = _ops.Where(op => !op.TrainingOnly).Select(op => op with { Input = Resolve(op.Input), Output = Resolve(op.Output) }).ToList();
        var first = new Dictionary<int, int>();
        var last = new Dictionary<int, int>();
        for (var index = 0; index < inference.Count; index++)
        {
            foreach (var tensor in new[] { inference[index].Input, inference[index].Output })
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
            Description = $"{layout.Description} with a zero border of {pad.Padding} (for {pad.QualifiedName})",
        };
        _ops.RemoveAt(readers[0]);
        _tensors[layout.Output] = _tensors[layout.Output] with { Storage = TensorStorage.Unused };
    }

    /// <summary>The tensor whose memory <paramref name="tensor"/> uses in inference (itself unless it is an alias).</summary>
    private int Resolve(int tensor)
    {
        while (_tensors[tensor].AliasOf >= 0)
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
            var (weightBlocks, weightChannels) = ChooseWeightGradientTile(Blocks(op.OutChannels), op.LoopChannels, op.Kernel);
            var scratch = -1;
            ConvTiling? tiling = null;
            var transposedOffset = -1;
            if (op.Stride == 1)
            {
                if (op.Kernel > 1)
                {
                    scratch = (int)Math.Min(offset, int.MaxValue);
                    offset += RoundUpLong((long)Blocks(op.OutChannels) * Block * (op.OutHeight + 2 * (op.Kernel - 1)) * (op.OutWidth + 2 * (op.Kernel - 1)));
                }

                tiling = ChooseTiling(source.PhysicalChannels / Block, source.Width);
                transposedOffset = (int)Math.Min(transposed, int.MaxValue);
                transposed += RoundUpLong((long)source.PhysicalChannels * op.OutChannels * op.Kernel * op.Kernel);
            }

            _ops[index] = op with { Backward = new ConvBackwardPlan(transposedOffset, tiling, scratch, weightBlocks, weightChannels) };
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

    /// <summary>
    /// The weight-gradient tile: R output blocks × I input channels × one kernel row of K taps, R·I·K
    /// accumulators plus R output-gradient vectors and one broadcast in 32 registers. I divides 16 so a tile
    /// never straddles two input blocks; the most accumulators win, then the fewest loads per FMA.
    /// </summary>
    public static (int Blocks, int Channels) ChooseWeightGradientTile(int outBlocks, int loopChannels, int kernel)
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
                var accumulators = r * i * kernel;
                if (accumulators + r + 1 > 32 || i > Math.Max(1, loopChannels))
                {
                    continue;
                }

                // FMAs per load: r·i·k FMAs for r vector loads and i·k broadcasts per pixel.
                var score = accumulators + accumulators / (double)(r + i * kernel);
                if (score > best.Score)
                {
                    best = (r, i, score);
                }
            }
        }

        return (best.Blocks, best.Channels);
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

    // ---- checks -------------------------------------------------------------------------------

    /// <summary>Checks the values of one layer's options; false when any is wrong.</summary>
    private bool CheckOptions(LayerModel layer)
    {
        var location = layer.Location;
        var name = layer.Name;
        switch (layer.Kind)
        {
            case LayerKind.Conv:
                return Positive(location, name, ("OutChannels", layer.OutChannels), ("Kernel", layer.Kernel), ("Stride", layer.Stride))
                     & NotNegative(location, name, "Padding", layer.Padding);
            case LayerKind.MaxPool or LayerKind.AvgPool:
                var ok = Positive(location, name, ("Kernel", layer.Kernel), ("Stride", layer.Stride)) & NotNegative(location, name, "Padding", layer.Padding);
                if (ok && (long)layer.Padding * 2 > layer.Kernel)
                {
                    Report(DiagnosticDescriptors.InvalidOptionValue, location, "Padding", name, layer.Padding, $"it must be at most half the kernel ({layer.Kernel / 2}), or some windows would hold only padding");
                    ok = false;
                }

                return ok;
            case LayerKind.LocalResponseNorm:
                if (!Positive(location, name, ("Size", layer.Kernel)))
                {
                    return false;
                }

                return Check(layer.Kernel % 2 == 1, location, "Size", name, layer.Kernel, "it must be odd, so that the window is centred on the channel")
                     & Check(layer.Alpha >= 0f && !float.IsInfinity(layer.Alpha), location, "Alpha", name, Float(layer.Alpha), "it must be a finite number ≥ 0")
                     & Check(layer.Beta >= 0f && !float.IsInfinity(layer.Beta), location, "Beta", name, Float(layer.Beta), "it must be a finite number ≥ 0")
                     & Check(layer.K > 0f && !float.IsInfinity(layer.K), location, "K", name, Float(layer.K), "it must be a finite number > 0, or the denominator can be 0");
            case LayerKind.Inception:
                return CheckInceptionWidths(layer);
            case LayerKind.AuxiliaryClassifier:
                return Positive(location, name, ("Classes", layer.OutChannels), ("PoolKernel", layer.Kernel), ("PoolStride", layer.Stride), ("ConvChannels", layer.ConvChannels), ("HiddenUnits", layer.HiddenUnits))
                     & Check(layer.LossWeight >= 0f && !float.IsInfinity(layer.LossWeight), location, "LossWeight", name, Float(layer.LossWeight), "it must be a finite number ≥ 0 (the paper uses 0.3)")
                     & CheckRate(location, name, "DropoutRate", layer.Rate);
            case LayerKind.Dropout:
                return CheckRate(location, name, "Rate", layer.Rate);
            case LayerKind.Linear:
                return Positive(location, name, ("OutFeatures", layer.OutChannels));
            default:
                return true;
        }
    }

    private bool CheckInceptionWidths(LayerModel layer)
    {
        var names = new[] { "#1x1", "#3x3 reduce", "#3x3", "#5x5 reduce", "#5x5", "pool proj" };
        var widths = layer.InceptionWidths;
        var ok = true;
        for (var i = 0; i < names.Length; i++)
        {
            ok &= NotNegative(layer.Location, layer.Name, names[i], widths[i]);
        }

        if (!ok)
        {
            return false;
        }

        if (widths[1] > 0 && widths[2] == 0)
        {
            Report(DiagnosticDescriptors.InvalidInceptionWidths, layer.Location, layer.Name, $"#3x3 reduce is {widths[1]} but #3x3 is 0; set #3x3 above 0, or #3x3 reduce to 0 to drop the branch");
            ok = false;
        }

        if (widths[3] > 0 && widths[4] == 0)
        {
            Report(DiagnosticDescriptors.InvalidInceptionWidths, layer.Location, layer.Name, $"#5x5 reduce is {widths[3]} but #5x5 is 0; set #5x5 above 0, or #5x5 reduce to 0 to drop the branch");
            ok = false;
        }

        return ok;
    }

    private bool CheckRate(LocationInfo? location, string name, string option, float rate)
        => Check(rate >= 0f && rate < 1f, location, option, name, Float(rate), "a dropout rate must be at least 0 and below 1");

    private bool CheckNotEmpty(LayerModel layer, string what, TensorPlan input, int height, int width)
    {
        if (height > 0 && width > 0)
        {
            return true;
        }

        Report(DiagnosticDescriptors.EmptyOutput, layer.Location, layer.Name, what, input.ShapeText, $"{Math.Max(height, 0)}x{Math.Max(width, 0)}; add padding, or take it off a larger map");
        return false;
    }

    private bool Positive(LocationInfo? location, string name, params (string Option, int Value)[] values)
    {
        var ok = true;
        foreach (var (option, value) in values)
        {
            if (value <= 0)
            {
                Report(DiagnosticDescriptors.NonPositiveValue, location, option, name, "positive", value);
                ok = false;
            }
        }

        return ok;
    }

    private bool NotNegative(LocationInfo? location, string name, string option, int value)
    {
        if (value >= 0)
        {
            return true;
        }

        Report(DiagnosticDescriptors.NonPositiveValue, location, option, name, "0 or more", value);
        return false;
    }

    private bool Check(bool condition, LocationInfo? location, string option, string name, object value, string rule)
    {
        if (!condition)
        {
            Report(DiagnosticDescriptors.InvalidOptionValue, location, option, name, value, rule);
        }

        return condition;
    }

    private void Report(Microsoft.CodeAnalysis.DiagnosticDescriptor descriptor, LocationInfo? location, params object?[] arguments)
        => _diagnostics.Add(DiagnosticInfo.Create(descriptor, location, arguments));

    /// <summary>IG0018, once per network: one oversized value makes every size after it too large as well.</summary>
    private void ReportTooLarge(LocationInfo? location, string what, BigInteger floats, int limit)
    {
        if (_diagnostics.All(diagnostic => diagnostic.Id != DiagnosticDescriptors.TooLarge.Id))
        {
            Report(DiagnosticDescriptors.TooLarge, location, what, _model.ClassName, floats.ToString(CultureInfo.InvariantCulture), limit.ToString(CultureInfo.InvariantCulture));
        }
    }

    // ---- arithmetic and text ------------------------------------------------------------------

    /// <summary>Output size of a convolution: floor((in + 2p − k) / s) + 1.</summary>
    public static int ConvOutput(int size, int kernel, int stride, int padding)
        => ClampToInt(Math.Floor((size + 2.0 * padding - kernel) / stride) + 1);

    /// <summary>
    /// Output size of a pooling: floor or ceil of (in + 2p − k) / s, plus 1; in ceil mode the last window
    /// must start inside the input or its left padding. That is PyTorch's rule; Caffe checks the last
    /// window only when p &gt; 0, which leaves a window wholly outside the input when s &gt; k.
    /// </summary>
    public static int PoolOutput(int size, int kernel, int stride, int padding, bool ceilMode)
    {
        var span = size + 2.0 * padding - kernel;
        if (span < 0)
        {
            return 0;
        }

        var output = ClampToInt((ceilMode ? Math.Ceiling(span / stride) : Math.Floor(span / stride)) + 1);
        if (ceilMode && (long)(output - 1) * stride >= (long)size + padding)
        {
            output--;
        }

        return output;
    }

    private static int RoundUp(int count) => (count + Block - 1) / Block * Block;

    private static int Blocks(int channels) => (channels + Block - 1) / Block;

    private static long RoundUpLong(long count) => (count + Block - 1) / Block * Block;

    /// <summary>A size computed in double, clamped to int so that a huge one stays huge (and is reported as too large) instead of wrapping.</summary>
    private static int ClampToInt(double value) => value >= int.MaxValue ? int.MaxValue : value <= int.MinValue ? int.MinValue : (int)value;

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

    private static string Float(float value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>Inception3a → inception3a, Branch2Reduce → branch2_reduce: tensor names in generated comments.</summary>
    public static string Snake(string name)
    {
        var text = new System.Text.StringBuilder();
        for (var i = 0; i < name.Length; i++)
        {
            var character = name[i];
            if (char.IsUpper(character) && i > 0 && !char.IsUpper(name[i - 1]))
            {
                text.Append('_');
            }

            text.Append(char.ToLowerInvariant(character));
        }

        return text.ToString();
    }
}
