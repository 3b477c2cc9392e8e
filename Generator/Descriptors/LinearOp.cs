using System;
using System.Collections.Generic;
using System.Linq;
using System.Numerics;
using InceptionGen.Generator.Diagnostics;
using InceptionGen.Generator.Model;
using InceptionGen.Generator.Emitting;
using InceptionGen.Generator.Planning;

namespace InceptionGen.Generator.Descriptors;

/// <summary>
/// A fully connected layer on a plain vector (PyTorch's <c>[out, in]</c> weights). Items are chunks of output rows,
/// each over every image of the pass, so a chunk's weights come from memory once per pass (the plan counts the
/// chunks). An input with channel gaps runs the scalar kernel through the channel map, image by image.
/// </summary>
internal sealed class LinearOp : WeightedOpDescriptor, ILayerDescriptor
{
    /// <summary>A Linear op on a plain vector runs as chunks of output rows over every image of the pass: their count.</summary>
    public override int PassItems(OpPlan op, TensorPlan source, SchedulePlan schedule)
        => source.ChannelMap.Count == 0 ? (op.OutChannels + schedule.LinearRowsPerItem - 1) / schedule.LinearRowsPerItem : 0;

    /// <summary>The weight gradient runs as the same row chunks (one item through the channel map).</summary>
    public override int WeightGradientItems(OpPlan op, TensorPlan source, SchedulePlan schedule) => System.Math.Max(1, PassItems(op, source, schedule));

    public override void WriteForward(Emitter emitter, OpPlan op, TensorPlan source, TensorPlan target)
    {
        var w = emitter.Writer;
        w.Line("var parameters = __parameters.ReadOnlySpan;");
        if (source.ChannelMap.Count > 0)
        {
            using (emitter.ImageLoop())
            {
                w.Line($"{Emitter.Kernels}.Linear({Emitter.InputSlice(source)}, {Emitter.ChannelMap(source)}, {Emitter.OutputSlice(target)}, {emitter.ParameterSpan(op.Weights)}, {emitter.ParameterSpan(op.Bias)}, inFeatures: {source.Channels}, outFeatures: {op.OutChannels}, relu: {Emitter.Bool(op.Relu)});");
            }

            return;
        }

        // Items are chunks of output rows, each over every image of the pass: a chunk's weights are read from memory
        // once per pass and from cache for the other images (the weights dwarf the activations).
        var rows = emitter.LinearRowsPerItem;
        using (w.Block("for (var chunk = begin; chunk < end; chunk++)"))
        {
            w.Line($"var first = chunk * {rows};");
            using (w.Block("for (var image = 0; image < batch; image++)"))
            {
                w.Line($"{Emitter.Blocked}.LinearRows({Emitter.InputSlice(source)}, {Emitter.OutputSlice(target)}, {emitter.ParameterSpan(op.Weights)}, {emitter.ParameterSpan(op.Bias)}, {source.Channels}, first, global::System.Math.Min(first + {rows}, {op.OutChannels}), relu: {Emitter.Bool(op.Relu)});");
            }
        }
    }

    protected override string ReferenceBackwardCall(Emitter emitter, BackwardContext c, string inputGradient, string weightGradient, string biasGradient)
        => $"{Emitter.Backward}.Linear({c.X("activations")}, {Emitter.ChannelMap(c.Source)}, {c.Y("gradients")}, {emitter.ParameterSpan(c.Op.Weights)}, {inputGradient}, {weightGradient}, {biasGradient}, {c.Source.Channels}, {c.Op.OutChannels});";

    protected override void WriteVectorizedWeightGradient(Emitter emitter, BackwardContext c, string weightGradient, string biasGradient)
    {
        if (c.Source.ChannelMap.Count > 0)
        {
            return;
        }

        var w = emitter.Writer;
        var rows = emitter.LinearRowsPerItem;
        using (w.Block($"if ({Emitter.Vector128Accelerated})"))
        {
            // Items are chunks of output rows; each sums over the images in order.
            using (w.Block("for (var item = begin; item < end; item++)"))
            using (w.Block("for (var image = 0; image < batch; image++)"))
            {
                w.Line($"{Emitter.BlockedBackward}.LinearWeights({c.X("activations")}, {c.Y("gradients")}, {weightGradient}, {biasGradient}, {c.Source.Channels}, item * {rows}, global::System.Math.Min((item + 1) * {rows}, {c.Op.OutChannels}));");
            }

            w.Line("return;");
        }
    }

    protected override void WriteInputGradient(Emitter emitter, BackwardContext c, string referenceData)
    {
        var w = emitter.Writer;
        using (emitter.ImageLoop())
        {
            if (c.Op.Relu)
            {
                w.Line("// The fused ReLU: no gradient where the output was clipped to 0. Weight gradients run after this.");
                w.Line($"{Emitter.Backward}.ReluMask({c.Y("activations")}, {c.Y("gradients")});");
            }

            w.Line(c.Source.ChannelMap.Count == 0
                ? $"{c.Wanted}{{ if ({Emitter.Vector128Accelerated}) {Emitter.BlockedBackward}.LinearData({c.Y("gradients")}, {emitter.ParameterSpan(c.Op.Weights)}, {c.InputGradient}, {c.Source.Channels}, {c.Op.OutChannels}); else {referenceData} }}"
                : c.Wanted + referenceData);
        }
    }

    public override string GraphNode(OpPlan op, string head)
        => $"new {GraphTypes}LinearNode({head}, {op.OutChannels}, {Emitter.Bool(op.Relu)}, {Emitter.WeightName(op.Weights)}, {Emitter.WeightName(op.Bias)}),";

    // ---- the layer: [Linear] --------------------------------------------------------------------

    public LayerTraits Traits { get; } = new(ReadsMap: false, MakesVector: true, NeedsBlockedInput: false, IsTap: false);

    public bool CheckOptions(Planner planner, LayerModel layer) => planner.Positive(layer.Location, layer.Name, ("OutFeatures", layer.OutChannels));

    public int? Lower(Planner planner, LayerModel layer, LayerInput input) => LowerLayer(planner, layer, input.Trunk, input.Producer);

    public string KindText(LayerModel layer) => "linear";

    public string Handle(Emitter emitter, LayerPlan layer, string shape) => emitter.LinearHandle(layer.Model.Name, "");

    private static int? LowerLayer(Planner planner, LayerModel layer, int input, string? producer)
    {
        var source = planner.Tensors[input];
        if (!source.IsVector)
        {
            planner.Report(DiagnosticDescriptors.LinearOnSpatialMap, layer.Location, layer.Name, source.ShapeText, producer ?? "the input");
            return null;
        }

        var output = planner.NewTensor(Planner.Snake(layer.Name), layer.OutChannels, 1, 1, TensorLayout.Plain, TensorStorage.Arena);
        LinearOp.Add(planner, layer.Name, "", input, output, layer.OutChannels, layer.Bias, layer.Relu, auxiliary: false, stateDictPrefix: layer.WeightName);
        return output;
    }

    // ---- the op ---------------------------------------------------------------------------------

    /// <summary>Adds a Linear op; <paramref name="stateDictPrefix"/> (a declared Name) names its tensors as PyTorch does (<c>fc.weight</c>).</summary>
    public static void Add(Planner planner, string layer, string part, int input, int output, int outFeatures, bool bias, bool relu, bool auxiliary, string? stateDictPrefix = null)
    {
        var source = planner.Tensors[input];
        var inFeatures = source.Channels;
        var qualified = part.Length == 0 ? layer : layer + "." + part;
        var weights = planner.AddParameter(stateDictPrefix is null ? qualified + ".Weights" : stateDictPrefix + ".weight", new[] { outFeatures, inFeatures }, false, inFeatures, relu, auxiliary);
        var biasName = bias ? planner.AddParameter(stateDictPrefix is null ? qualified + ".Bias" : stateDictPrefix + ".bias", new[] { outFeatures }, true, inFeatures, relu, auxiliary) : null;
        var op = Planner.NewOp(OpKind.Linear, layer, part, $"linear {inFeatures} -> {outFeatures}{(relu ? ", ReLU" : "")}", input, output, source, planner.Tensors[output], auxiliary) with
        {
            OutChannels = outFeatures,
            Relu = relu,
            Weights = weights,
            Bias = biasName,
            MultiplyAdds = (long)inFeatures * outFeatures,
        };
        planner.Ops.Add(op);
        if (part.Length > 0)
        {
            planner.Summary.Add(new SummaryRow(qualified, "linear", outFeatures, 1, 1, (long)inFeatures * outFeatures + (bias ? outFeatures : 0), op.MultiplyAdds, 1, auxiliary));
        }
    }
}
