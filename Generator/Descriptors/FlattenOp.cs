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
/// A blocked map to a plain NCHW vector: <c>[Flatten]</c> and an auxiliary head's flatten on the pool, and the
/// network's output layout (a network that ends on a map) on the calling thread.
/// </summary>
internal sealed class FlattenOp : DataOpDescriptor, ILayerDescriptor
{
    public override void WriteCallerForward(Emitter emitter, OpPlan op, TensorPlan source, TensorPlan target)
        => emitter.Writer.Line($"{Emitter.Kernels}.BlockedToPlain({Emitter.CallerSlice(source)}, {Emitter.ChannelMap(source)}, output.Slice(image * OutputLength, OutputLength), {source.Channels}, {source.Height}, {source.Width});");

    public override void WriteForward(Emitter emitter, OpPlan op, TensorPlan source, TensorPlan target)
    {
        using (emitter.ImageLoop())
        {
            emitter.Writer.Line($"{Emitter.Kernels}.BlockedToPlain({Emitter.InputSlice(source)}, {Emitter.ChannelMap(source)}, {Emitter.OutputSlice(target)}, {source.Channels}, {source.Height}, {source.Width});");
        }
    }

    protected override string ReferenceBackwardCall(BackwardContext c)
        => $"{Emitter.Backward}.BlockedToPlain({c.Y("gradients")}, {Emitter.ChannelMap(c.Source)}, {c.InputGradient}, {c.Source.Channels}, {c.Source.Height}, {c.Source.Width});";

    public override string GraphNode(OpPlan op, string head) => $"new {GraphTypes}FlattenNode({head}),";

    // ---- the layer: [Flatten] -------------------------------------------------------------------

    public LayerTraits Traits { get; } = new(ReadsMap: true, MakesVector: true, NeedsBlockedInput: false, IsTap: false);

    public bool CheckOptions(Planner planner, LayerModel layer) => true;

    public int? Lower(Planner planner, LayerModel layer, LayerInput input) => LowerLayer(planner, layer, input.Trunk);

    public string KindText(LayerModel layer) => "flatten";

    public string Handle(Emitter emitter, LayerPlan layer, string shape) => LayerDescriptors.PlainHandle(layer, shape);

    private static int? LowerLayer(Planner planner, LayerModel layer, int input)
    {
        var source = planner.Tensors[input];
        if (source.Layout == TensorLayout.Plain && source.Storage != TensorStorage.Input)
        {
            return input;
        }

        var blocked = planner.EnsureBlocked(input);
        var output = planner.NewTensor(Planner.Snake(layer.Name), source.Channels * source.Height * source.Width, 1, 1, TensorLayout.Plain, TensorStorage.Arena);
        planner.AddOp(OpKind.BlockedToPlain, layer.Name, "", $"flatten {source.ShapeText} -> {source.Channels * source.Height * source.Width}", blocked, output, planner.Tensors[blocked], planner.Tensors[output]);
        return output;
    }
}
