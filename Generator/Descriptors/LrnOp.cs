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
/// Local response normalization across channels (Caffe's formula): an item is one row of one image. An input
/// whose channels have gaps (a concat) runs the scalar kernel, which reads through the channel map.
/// </summary>
internal sealed class LrnOp : DataOpDescriptor, ILayerDescriptor
{
    public override (int Wide, int Narrow, int Scalar) ForwardItemsPerImage(OpPlan op, TensorPlan source)
        => source.ChannelMap.Count == 0 ? (source.Height, source.Height, 1) : (1, 1, 1);

    public override int BackwardItemsPerImage(OpPlan op, TensorPlan source) => source.ChannelMap.Count == 0 ? source.Height : 1;

    public override void WriteForward(Emitter emitter, OpPlan op, TensorPlan source, TensorPlan target)
    {
        var w = emitter.Writer;
        var reference = $"{Emitter.Kernels}.LocalResponseNorm({Emitter.InputSlice(source)}, {Emitter.ChannelMap(source)}, {Emitter.OutputSlice(target)}, {source.Channels}, {source.Height}, {source.Width}, size: {op.Kernel.Height}, alpha: {Emitter.Float(op.Alpha)}, beta: {Emitter.Float(op.Beta)}, k: {Emitter.Float(op.K)});";
        if (source.ChannelMap.Count > 0)
        {
            w.Line("// The input's channels have gaps (a concat), which the vectorized window does not skip.");
            using (emitter.ImageLoop())
            {
                w.Line(reference);
            }

            return;
        }

        using (w.Block($"if ({Emitter.Vector128Accelerated})"))
        {
            using (emitter.ItemLoop(source.Height, "row"))
            {
                w.Line($"{Emitter.Blocked}.LocalResponseNormRow({Emitter.InputSlice(source)}, {Emitter.OutputSlice(target)}, {source.PhysicalChannels}, {source.Height}, {source.Width}, row, size: {op.Kernel.Height}, alpha: {Emitter.Float(op.Alpha)}, beta: {Emitter.Float(op.Beta)}, k: {Emitter.Float(op.K)});");
            }
        }

        using (w.Block("else"))
        using (emitter.ImageLoop())
        {
            w.Line(reference);
        }
    }

    protected override string? VectorizedBackwardItem(OpPlan op, TensorPlan source) => source.ChannelMap.Count == 0 ? "row" : null;

    protected override string VectorizedBackwardCall(BackwardContext c)
        => $"{Emitter.BlockedBackward}.LocalResponseNormRow({c.X("activations")}, {c.Y("activations")}, {c.Y("gradients")}, {c.X("gradients")}, {c.Source.PhysicalChannels}, {c.Source.Height}, {c.Source.Width}, row, {c.Op.Kernel.Height}, {Emitter.Float(c.Op.Alpha)}, {Emitter.Float(c.Op.Beta)}, {Emitter.Float(c.Op.K)});";

    protected override string ReferenceBackwardCall(BackwardContext c)
        => $"{Emitter.Backward}.LocalResponseNorm({c.X("activations")}, {c.Y("activations")}, {c.Y("gradients")}, {Emitter.ChannelMap(c.Source)}, {c.InputGradient}, {c.Source.Channels}, {c.Source.Height}, {c.Source.Width}, {c.Op.Kernel.Height}, {Emitter.Float(c.Op.Alpha)}, {Emitter.Float(c.Op.Beta)}, {Emitter.Float(c.Op.K)});";

    public override string GraphNode(OpPlan op, string head)
        => $"new {GraphTypes}LrnNode({head}, {op.Kernel.Height}, {Emitter.Float(op.Alpha)}, {Emitter.Float(op.Beta)}, {Emitter.Float(op.K)}),";

    // ---- the layer: [LocalResponseNorm] ---------------------------------------------------------

    public LayerTraits Traits { get; } = new(ReadsMap: true, MakesVector: false, NeedsBlockedInput: true, IsTap: false);

    public bool CheckOptions(Planner planner, LayerModel layer)
    {
        var location = layer.Location;
        var name = layer.Name;
        if (!planner.Positive(location, name, ("Size", layer.Kernel.Height)))
        {
            return false;
        }

        return planner.Check(layer.Kernel.Height % 2 == 1, location, "Size", name, layer.Kernel.Height, "it must be odd, so that the window is centred on the channel")
             & planner.Check(layer.Alpha >= 0f && !float.IsInfinity(layer.Alpha), location, "Alpha", name, Planner.Float(layer.Alpha), "it must be a finite number ≥ 0")
             & planner.Check(layer.Beta >= 0f && !float.IsInfinity(layer.Beta), location, "Beta", name, Planner.Float(layer.Beta), "it must be a finite number ≥ 0")
             & planner.Check(layer.K > 0f && !float.IsInfinity(layer.K), location, "K", name, Planner.Float(layer.K), "it must be a finite number > 0, or the denominator can be 0");
    }

    public int? Lower(Planner planner, LayerModel layer, LayerInput input) => LowerLayer(planner, layer, input.Trunk);

    public string KindText(LayerModel layer) => $"LRN {layer.Kernel.Height}";

    public string Handle(Emitter emitter, LayerPlan layer, string shape) => LayerDescriptors.PlainHandle(layer, shape);

    private static int? LowerLayer(Planner planner, LayerModel layer, int input)
    {
        var source = planner.Tensors[input];
        var output = planner.NewTensorLike(Planner.Snake(layer.Name), source, source.Height, source.Width);
        var op = Planner.NewOp(OpKind.LocalResponseNorm, layer.Name, "",
            $"LRN across {layer.Kernel.Height} channels, alpha {Planner.Float(layer.Alpha)}, beta {Planner.Float(layer.Beta)}, k {Planner.Float(layer.K)}, {source.ShapeText}",
            input, output, source, planner.Tensors[output]) with
        { Kernel = layer.Kernel, Alpha = layer.Alpha, Beta = layer.Beta, K = layer.K };
        planner.Ops.Add(op);
        return output;
    }
}
