using System.Linq;
using System;
using System.Collections.Generic;
using System.Numerics;
using InceptionGen.Generator.Diagnostics;
using InceptionGen.Generator.Model;
using InceptionGen.Generator.Emitting;
using InceptionGen.Generator.Planning;

namespace InceptionGen.Generator.Descriptors;

/// <summary>
/// Inverted dropout, training only (inference reads its input in place of its output). The mask of an image
/// depends on the seed, the step, the image's index in the batch and the dropout's number, never on threads.
/// </summary>
internal sealed class DropoutOp : DataOpDescriptor, ILayerDescriptor
{
    public override void WriteForward(Emitter emitter, OpPlan op, TensorPlan source, TensorPlan target)
    {
        var layerIndex = emitter.Plan.Ops.Where(candidate => candidate.Kind == OpKind.Dropout).ToList().IndexOf(op);
        using (emitter.ImageLoop())
        {
            emitter.Writer.Line($"global::InceptionGen.Training.Dropout.Forward({Emitter.InputSlice(source)}, {Emitter.OutputSlice(target)}, {Emitter.MaskSlice(op, target, "memory")}, {Emitter.Float(op.Rate)}, DropoutSeed, __trainingStep, __passFirstImage + image, layer: {layerIndex});");
        }
    }

    protected override string ReferenceBackwardCall(BackwardContext c)
        => $"global::InceptionGen.Training.Dropout.Backward({Emitter.MaskSlice(c.Op, c.Target)}, {c.Y("gradients")}, {c.InputGradient});";

    public override string GraphNode(OpPlan op, string head) => $"new {GraphTypes}DropoutNode({head}, {Emitter.Float(op.Rate)}),";

    // ---- the layer: [Dropout] -------------------------------------------------------------------

    public LayerTraits Traits { get; } = new(ReadsMap: false, MakesVector: false, NeedsBlockedInput: false, IsTap: false);

    public bool CheckOptions(Planner planner, LayerModel layer) => planner.CheckRate(layer.Location, layer.Name, "Rate", layer.Rate);

    public int? Lower(Planner planner, LayerModel layer, LayerInput input) => Add(planner, layer.Name, "", layer.Rate, input.Trunk, auxiliary: false);

    public string KindText(LayerModel layer) => $"dropout {Planner.Float(layer.Rate)}";

    public string Handle(Emitter emitter, LayerPlan layer, string shape) => $"new global::InceptionGen.Dropout(\"{layer.Model.Name}\", {shape}, {Emitter.Float(layer.Model.Rate)})";

    /// <summary>
    /// An auxiliary head reads the trunk without changing it. Its ops run in training only, so inference
    /// pays nothing for them: their tensors get no arena memory.
    /// </summary>
    /// <summary>
    /// Dropout is a training-only op; its output is an alias of its input in inference, so the next layer
    /// reads the same memory there and pays nothing.
    /// </summary>
    public static int Add(Planner planner, string layer, string part, float rate, int input, bool auxiliary)
    {
        var source = planner.Tensors[input];
        var output = planner.AddTensor(source.Name + "_dropout", source.Channels, source.PhysicalChannels, source.Height, source.Width, source.Layout,
            source.Storage == TensorStorage.TrainingOnly ? TensorStorage.TrainingOnly : TensorStorage.Arena, source.ChannelMap) ?? throw new InvalidOperationException("tensor size checked before");
        planner.Tensors[output] = planner.Tensors[output] with { AliasOf = input };
        planner.Ops.Add(Planner.NewOp(OpKind.Dropout, layer, part, $"dropout {Planner.Float(rate)} (training only), {source.ShapeText}", input, output, source, planner.Tensors[output], auxiliary) with
        {
            Rate = rate,
            TrainingOnly = true,
        });
        return output;
    }
}
