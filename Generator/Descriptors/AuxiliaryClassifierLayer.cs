using System;
using System.Collections.Generic;
using System.Linq;
using System.Numerics;
using InceptionGen.Generator.Diagnostics;
using InceptionGen.Generator.Emitting;
using InceptionGen.Generator.Model;
using InceptionGen.Generator.Planning;

namespace InceptionGen.Generator.Descriptors;

/// <summary>
/// <c>[AuxiliaryClassifier]</c>: a head that taps the trunk without changing it (average pool, 1x1 conv, flatten,
/// hidden Linear with ReLU, dropout, classifier). Its ops run in training only, so inference pays nothing for them:
/// their tensors get no arena memory.
/// </summary>
internal sealed class AuxiliaryClassifierLayer : ILayerDescriptor
{
    public LayerTraits Traits { get; } = new(ReadsMap: false, MakesVector: false, NeedsBlockedInput: false, IsTap: true);

    public bool CheckOptions(Planner planner, LayerModel layer)
        => planner.Positive(layer.Location, layer.Name, ("Classes", layer.OutChannels), ("PoolKernel", layer.Kernel.Height), ("PoolStride", layer.Stride.Height), ("ConvChannels", layer.ConvChannels), ("HiddenUnits", layer.HiddenUnits))
           & planner.Check(layer.LossWeight >= 0f && !float.IsInfinity(layer.LossWeight), layer.Location, "LossWeight", layer.Name, Planner.Float(layer.LossWeight), "it must be a finite number ≥ 0 (the paper uses 0.3)")
           & planner.CheckRate(layer.Location, layer.Name, "DropoutRate", layer.Rate);

    public int? Lower(Planner planner, LayerModel layer, LayerInput input) => LowerLayer(planner, layer, input.Trunk, input.Producer, input.VectorProducer);

    public string KindText(LayerModel layer) => "aux classifier";

    public string Handle(Emitter emitter, LayerPlan layer, string shape)
    {
        var model = layer.Model;
        var name = model.Name;
        return $"new global::InceptionGen.AuxiliaryClassifier(\"{name}\", {shape}, \"{layer.TappedLayer}\", {Emitter.Float(model.LossWeight)}, {emitter.ConvHandle(name, "Conv")}, {emitter.LinearHandle(name, "Hidden")}, {emitter.LinearHandle(name, "Classifier")}, {Emitter.Float(model.Rate)})";
    }

    private static int? LowerLayer(Planner planner, LayerModel layer, int trunk, string? trunkProducer, string? vectorProducer)
    {
        if (trunkProducer is null)
        {
            planner.Report(DiagnosticDescriptors.AuxiliaryWithoutTap, layer.Location, layer.Name);
            return null;
        }

        if (vectorProducer is not null || planner.Tensors[trunk].IsVector)
        {
            planner.Report(DiagnosticDescriptors.AuxiliaryAfterClassifier, layer.Location, layer.Name, vectorProducer ?? trunkProducer);
            return null;
        }

        var source = planner.Tensors[trunk];
        var height = Planner.PoolOutput(source.Height, layer.Kernel.Height, layer.Stride.Height, 0, ceilMode: true);
        var width = Planner.PoolOutput(source.Width, layer.Kernel.Width, layer.Stride.Width, 0, ceilMode: true);
        if (!planner.CheckNotEmpty(layer, $"the head's avg pool {layer.Kernel.Text}/{layer.Stride.ShortText}", source, height, width))
        {
            return null;
        }

        var name = Planner.Snake(layer.Name);
        var pooled = planner.NewTensorLike(name + "_pool", source, height, width, TensorStorage.TrainingOnly);
        PoolOp.Add(planner, OpKind.AvgPool, layer.Name, "Pool", trunk, pooled, 0, layer.Kernel, layer.Stride, 0, auxiliary: true, ceilMode: true);
        var conv = planner.NewTensor(name + "_conv", layer.ConvChannels, height, width, TensorLayout.Blocked, TensorStorage.TrainingOnly);
        ConvolutionOp.Add(planner, layer.Name, "Conv", pooled, conv, 0, layer.ConvChannels, 1, 1, 0, bias: true, relu: true, auxiliary: true);
        var flat = planner.NewTensor(name + "_flat", layer.ConvChannels * height * width, 1, 1, TensorLayout.Plain, TensorStorage.TrainingOnly);
        planner.AddOp(OpKind.BlockedToPlain, layer.Name, "Flatten", $"flatten {planner.Tensors[conv].ShapeText} -> {layer.ConvChannels * height * width}", conv, flat, planner.Tensors[conv], planner.Tensors[flat], auxiliary: true);
        var hidden = planner.NewTensor(name + "_hidden", layer.HiddenUnits, 1, 1, TensorLayout.Plain, TensorStorage.TrainingOnly);
        LinearOp.Add(planner, layer.Name, "Hidden", flat, hidden, layer.HiddenUnits, bias: true, relu: true, auxiliary: true);
        planner.Summary.Add(new SummaryRow(layer.Name + ".Dropout", $"dropout {Planner.Float(layer.Rate)}", layer.HiddenUnits, 1, 1, 0, 0, 1, true));
        var dropped = DropoutOp.Add(planner, layer.Name, "Dropout", layer.Rate, hidden, auxiliary: true);
        var logits = planner.NewTensor(name + "_logits", layer.OutChannels, 1, 1, TensorLayout.Plain, TensorStorage.TrainingOnly);
        LinearOp.Add(planner, layer.Name, "Classifier", dropped, logits, layer.OutChannels, bias: true, relu: false, auxiliary: true);
        planner.AuxiliaryLosses.Add(new AuxiliaryLossPlan(layer.Name, logits, layer.LossWeight));
        return logits;
    }
}
