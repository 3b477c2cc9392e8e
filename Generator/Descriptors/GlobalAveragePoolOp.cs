using System;
using System.Collections.Generic;
using System.Linq;
using System.Numerics;
using InceptionGen.Generator.Diagnostics;
using InceptionGen.Generator.Model;
using InceptionGen.Generator.Emitting;
using InceptionGen.Generator.Planning;

namespace InceptionGen.Generator.Descriptors;

/// <summary>The mean of each channel's map: an item is one 16-channel block of one image.</summary>
internal sealed class GlobalAveragePoolOp : DataOpDescriptor, ILayerDescriptor
{
    public override (int Wide, int Narrow, int Scalar) ForwardItemsPerImage(OpPlan op, TensorPlan source)
        => (source.PhysicalChannels / 16, source.PhysicalChannels / 16, 1);

    public override int BackwardItemsPerImage(OpPlan op, TensorPlan source) => source.PhysicalChannels / 16;

    public override void WriteForward(Emitter emitter, OpPlan op, TensorPlan source, TensorPlan target)
    {
        var w = emitter.Writer;
        using (w.Block($"if ({Emitter.Vector128Accelerated})"))
        {
            using (emitter.ItemLoop(source.PhysicalChannels / 16, "block"))
            {
                w.Line($"{Emitter.Blocked}.GlobalAveragePoolBlock({Emitter.InputSlice(source, $"block * {Emitter.PlanePerBlock(source)}", Emitter.PlanePerBlock(source))}, {Emitter.OutputSlice(target, "block * 16", 16)}, {source.Height}, {source.Width});");
            }
        }

        using (w.Block("else"))
        using (emitter.ImageLoop())
        {
            w.Line($"{Emitter.Kernels}.GlobalAveragePool({Emitter.InputSlice(source)}, {Emitter.OutputSlice(target)}, {source.PhysicalChannels}, {source.Height}, {source.Width});");
        }
    }

    protected override string? VectorizedBackwardItem(OpPlan op, TensorPlan source) => "block";

    protected override string VectorizedBackwardCall(BackwardContext c)
        => $"{Emitter.BlockedBackward}.GlobalAveragePoolBlock({Emitter.TrainingSlice("gradients", c.Target, "block * 16", 16)}, {InputPlane(c, "gradients")}, {c.Source.Height}, {c.Source.Width});";

    protected override string ReferenceBackwardCall(BackwardContext c)
        => $"{Emitter.Backward}.GlobalAveragePool({c.Y("gradients")}, {c.InputGradient}, {c.Source.PhysicalChannels}, {c.Source.Height}, {c.Source.Width});";

    public override string GraphNode(OpPlan op, string head) => $"new {GraphTypes}GlobalAveragePoolNode({head}),";

    // ---- the layer: [GlobalAveragePool] ---------------------------------------------------------

    public LayerTraits Traits { get; } = new(ReadsMap: true, MakesVector: false, NeedsBlockedInput: true, IsTap: false);

    public bool CheckOptions(Planner planner, LayerModel layer) => true;

    public int? Lower(Planner planner, LayerModel layer, LayerInput input) => LowerLayer(planner, layer, input.Trunk);

    public string KindText(LayerModel layer) => "global avg pool";

    public string Handle(Emitter emitter, LayerPlan layer, string shape) => LayerDescriptors.PlainHandle(layer, shape);

    private static int? LowerLayer(Planner planner, LayerModel layer, int input)
    {
        var source = planner.Tensors[input];
        var output = planner.NewTensorLike(Planner.Snake(layer.Name), source, 1, 1);
        planner.AddOp(OpKind.GlobalAveragePool, layer.Name, "", $"global average pool, {source.ShapeText} -> {source.Channels}x1x1", input, output, source, planner.Tensors[output]);
        return output;
    }
}
