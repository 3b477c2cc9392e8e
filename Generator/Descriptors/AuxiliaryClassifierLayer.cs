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
/// <c>[AuxiliaryClassifier]</c>: a head that taps the trunk without changing it. Caffe's by default (average pool, 1x1
/// conv, flatten, hidden Linear with ReLU, dropout, classifier); its options give torchvision's GoogLeNet and Inception-v3
/// heads (an adaptive pool, BasicConv2d convolutions, a second convolution, a global pool, no hidden layer or dropout, and
/// torchvision's names). Its ops run in training only, so inference pays nothing for them: their tensors get no arena
/// memory.
/// </summary>
internal sealed class AuxiliaryClassifierLayer : ILayerDescriptor
{
    public LayerTraits Traits { get; } = new(ReadsMap: false, MakesVector: false, NeedsBlockedInput: false, IsTap: true);

    public bool CheckOptions(Planner planner, LayerModel layer)
    {
        var head = layer.Head;
        var adaptive = layer.OutputSize.Height > 0;
        return planner.Positive(layer.Location, layer.Name, ("Classes", layer.OutChannels), ("ConvChannels", layer.ConvChannels))
               & (adaptive || planner.Positive(layer.Location, layer.Name, ("PoolKernel", layer.Kernel.Height), ("PoolStride", layer.Stride.Height)))
               & planner.NotNegative(layer.Location, layer.Name, "PoolOutput", layer.OutputSize.Height)
               & planner.NotNegative(layer.Location, layer.Name, "HiddenUnits", layer.HiddenUnits)
               & (head is null || planner.NotNegative(layer.Location, layer.Name, "SecondConvChannels", head.SecondConvChannels)
                   & planner.Positive(layer.Location, layer.Name, ("SecondConvKernel", head.SecondConvKernel))
                   & planner.Check(head.Names is 0 or AuxiliaryHeadModel.TorchvisionNames, layer.Location, "Names", layer.Name, head.Names.ToString(System.Globalization.CultureInfo.InvariantCulture),
                       "it must be AuxiliaryNames.Caffe or AuxiliaryNames.Torchvision"))
               & (!layer.BatchNorm || BatchNormOp.CheckValues(planner, layer, "BatchNormEpsilon", "BatchNormMomentum"))
               & planner.Check(layer.LossWeight >= 0f && !float.IsInfinity(layer.LossWeight), layer.Location, "LossWeight", layer.Name, Planner.Float(layer.LossWeight), "it must be a finite number ≥ 0 (the paper uses 0.3)")
               & planner.CheckRate(layer.Location, layer.Name, "DropoutRate", layer.Rate);
    }

    public int? Lower(Planner planner, LayerModel layer, LayerInput input) => LowerLayer(planner, layer, input.Trunk, input.Producer, input.VectorProducer);

    public string KindText(LayerModel layer) => "aux classifier";

    public string Handle(Emitter emitter, LayerPlan layer, string shape)
    {
        var model = layer.Model;
        var name = model.Name;
        var parts = Parts.Of(model);
        var conv = emitter.ConvHandle(name, parts.ConvPart(parts.FirstConv));
        var hidden = model.HiddenUnits > 0 ? emitter.LinearHandle(name, parts.Hidden) : "null";
        var classifier = emitter.LinearHandle(name, parts.Classifier);
        var second = model.Head is { SecondConvChannels: > 0 } ? $", secondConv: {emitter.ConvHandle(name, parts.ConvPart(parts.SecondConv))}" : "";
        return $"new global::InceptionGen.AuxiliaryClassifier(\"{name}\", {shape}, \"{layer.TappedLayer}\", {Emitter.Float(model.LossWeight)}, {conv}, {hidden}, {classifier}, {Emitter.Float(model.Rate)}{second})";
    }

    /// <summary>
    /// The head's part names, which become its parameters' names: Caffe's <c>Conv</c> (<c>Conv2</c>), <c>Hidden</c>,
    /// <c>Classifier</c>, or torchvision's <c>Conv</c> (<c>Conv0</c>, <c>Conv1</c>), <c>Fc1</c> and <c>Fc2</c> (<c>Fc</c>
    /// without a hidden layer). A BasicConv2d convolution's own parts are <c>.Conv</c> and <c>.Bn</c> below its name.
    /// </summary>
    private sealed record Parts(string FirstConv, string SecondConv, string Hidden, string Classifier, bool BatchNorm)
    {
        public static Parts Of(LayerModel layer)
        {
            var twoConvs = layer.Head is { SecondConvChannels: > 0 };
            return layer.Head is { Names: AuxiliaryHeadModel.TorchvisionNames }
                ? new Parts(twoConvs ? "Conv0" : "Conv", "Conv1", "Fc1", layer.HiddenUnits > 0 ? "Fc2" : "Fc", layer.BatchNorm)
                : new Parts("Conv", "Conv2", "Hidden", "Classifier", layer.BatchNorm);
        }

        /// <summary>The part of the convolution op itself (the BN's is beside it).</summary>
        public string ConvPart(string conv) => BatchNorm ? conv + "." + ConvolutionOp.BatchNormConvPart : conv;
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

        var parts = Parts.Of(layer);
        var source = planner.Tensors[trunk];
        var name = Planner.Snake(layer.Name);
        int pooled;
        if (layer.OutputSize.Height > 0)
        {
            // torchvision GoogLeNet's F.adaptive_avg_pool2d(x, (4, 4)).
            pooled = AdaptivePool(planner, layer, "Pool", trunk, name + "_pool", layer.OutputSize);
        }
        else
        {
            var height = Planner.PoolOutput(source.Height, layer.Kernel.Height, layer.Stride.Height, 0, layer.CeilMode);
            var width = Planner.PoolOutput(source.Width, layer.Kernel.Width, layer.Stride.Width, 0, layer.CeilMode);
            if (!planner.CheckNotEmpty(layer, $"the head's avg pool {layer.Kernel.Text}/{layer.Stride.ShortText}", source, height, width))
            {
                return null;
            }

            pooled = planner.NewTensorLike(name + "_pool", source, height, width, TensorStorage.TrainingOnly);
            PoolOp.Add(planner, OpKind.AvgPool, layer.Name, "Pool", trunk, pooled, 0, layer.Kernel, layer.Stride, 0, auxiliary: true, ceilMode: layer.CeilMode);
        }

        var conv = Convolution(planner, layer, parts, parts.FirstConv, pooled, name + "_conv", layer.ConvChannels, 1);
        if (layer.Head is { SecondConvChannels: > 0 } head)
        {
            var map = planner.Tensors[conv];
            var size = Planner.ConvOutput(map.Height, head.SecondConvKernel, 1, 0);
            var width = Planner.ConvOutput(map.Width, head.SecondConvKernel, 1, 0);
            if (!planner.CheckNotEmpty(layer, $"the head's second {ConvolutionOp.Text(SizePair.Square(head.SecondConvKernel), 1)}", map, size, width))
            {
                return null;
            }

            conv = Convolution(planner, layer, parts, parts.SecondConv, conv, name + "_conv2", head.SecondConvChannels, head.SecondConvKernel);
        }

        if (layer.Head is { GlobalPool: true })
        {
            // Inception-v3's F.adaptive_avg_pool2d(x, (1, 1)) before the flatten.
            conv = AdaptivePool(planner, layer, "GlobalPool", conv, name + "_global_pool", SizePair.Square(1));
        }

        var last = planner.Tensors[conv];
        var features = last.Channels * last.Height * last.Width;
        var flat = planner.NewTensor(name + "_flat", features, 1, 1, TensorLayout.Plain, TensorStorage.TrainingOnly);
        planner.AddOp(OpKind.BlockedToPlain, layer.Name, "Flatten", $"flatten {last.ShapeText} -> {features}", conv, flat, last, planner.Tensors[flat], auxiliary: true);
        var vector = flat;
        if (layer.HiddenUnits > 0)
        {
            vector = planner.NewTensor(name + "_hidden", layer.HiddenUnits, 1, 1, TensorLayout.Plain, TensorStorage.TrainingOnly);
            LinearOp.Add(planner, layer.Name, parts.Hidden, flat, vector, layer.HiddenUnits, bias: true, relu: true, auxiliary: true, stateDictPrefix: StateDictPrefix(layer, parts.Hidden));
        }

        if (layer.Rate > 0f || layer.Head is null)
        {
            // A Caffe head keeps its dropout op even at rate 0, as before the option existed; the others drop it then.
            planner.Summary.Add(new SummaryRow(layer.Name + ".Dropout", $"dropout {Planner.Float(layer.Rate)}", planner.Tensors[vector].Channels, 1, 1, 0, 0, 1, true));
            vector = DropoutOp.Add(planner, layer.Name, "Dropout", layer.Rate, vector, auxiliary: true);
        }

        var logits = planner.NewTensor(name + "_logits", layer.OutChannels, 1, 1, TensorLayout.Plain, TensorStorage.TrainingOnly);
        LinearOp.Add(planner, layer.Name, parts.Classifier, vector, logits, layer.OutChannels, bias: true, relu: false, auxiliary: true, stateDictPrefix: StateDictPrefix(layer, parts.Classifier));
        planner.AuxiliaryLosses.Add(new AuxiliaryLossPlan(layer.Name, logits, layer.LossWeight));
        return logits;
    }

    /// <summary>A kxk stride-1 unpadded convolution with ReLU: with bias, or torchvision's BasicConv2d (conv without bias, BN, ReLU).</summary>
    private static int Convolution(Planner planner, LayerModel layer, Parts parts, string part, int input, string tensorName, int channels, int kernel)
    {
        var source = planner.Tensors[input];
        var height = Planner.ConvOutput(source.Height, kernel, 1, 0);
        var width = Planner.ConvOutput(source.Width, kernel, 1, 0);
        var output = planner.NewTensor(tensorName, channels, height, width, TensorLayout.Blocked, TensorStorage.TrainingOnly);
        if (!layer.BatchNorm)
        {
            ConvolutionOp.Add(planner, layer.Name, part, input, output, 0, channels, kernel, 1, 0, bias: true, relu: true, auxiliary: true, stateDictPrefix: StateDictPrefix(layer, part));
            return output;
        }

        ConvolutionOp.Add(planner, layer.Name, parts.ConvPart(part), input, output, 0, channels, kernel, 1, 0, bias: false, relu: false, auxiliary: true,
            stateDictPrefix: StateDictPrefix(layer, parts.ConvPart(part)));
        var batchNorm = part + "." + ConvolutionOp.BatchNormPart;
        return BatchNormOp.Add(planner, layer, batchNorm, output, relu: true, auxiliary: true, stateDictPrefix: StateDictPrefix(layer, batchNorm));
    }

    /// <summary>With a declared <c>Name</c> (Inception-v3's <c>AuxLogits</c>), a part's tensors are named under it: <c>AuxLogits.conv0.conv</c>.</summary>
    private static string? StateDictPrefix(LayerModel layer, string part) => layer.WeightName is { } name ? name + "." + PyTorchNames.From(part) : null;

    private static int AdaptivePool(Planner planner, LayerModel layer, string part, int input, string tensorName, SizePair size)
    {
        var source = planner.Tensors[input];
        var output = planner.NewTensorLike(tensorName, source, size.Height, size.Width, TensorStorage.TrainingOnly);
        planner.AddOp(OpKind.AdaptiveAveragePool, layer.Name, part, $"adaptive average pool, {source.ShapeText} -> {source.Channels}x{size.Height}x{size.Width}",
            input, output, source, planner.Tensors[output], auxiliary: true);
        planner.Summary.Add(new SummaryRow(layer.Name + "." + part, $"adaptive avg pool {size.Text}", source.Channels, size.Height, size.Width, 0, 0, 1, true));
        return output;
    }
}
