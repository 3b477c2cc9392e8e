using InceptionGen.Generator.Model;
using InceptionGen.Generator.Emitting;
using InceptionGen.Generator.Planning;

namespace InceptionGen.Generator.Descriptors;

/// <summary>
/// PyTorch's adaptive average pool: output cell (i, j) averages input rows [floor(i·H/h), ceil((i+1)·H/h)) and columns
/// likewise, so windows may differ in size and overlap (GoogLeNet's auxiliary heads pool 14x14 to 4x4). An item is one
/// 16-channel block of one image.
/// </summary>
internal sealed class AdaptiveAveragePoolOp : DataOpDescriptor, ILayerDescriptor
{
    public override (int Wide, int Narrow, int Scalar) ForwardItemsPerImage(OpPlan op, TensorPlan source)
        => (source.PhysicalChannels / 16, source.PhysicalChannels / 16, 1);

    public override int BackwardItemsPerImage(OpPlan op, TensorPlan source) => source.PhysicalChannels / 16;

    public override void WriteForward(Emitter emitter, OpPlan op, TensorPlan source, TensorPlan target)
    {
        var w = emitter.Writer;
        var sizes = Sizes(op, source);
        using (w.Block($"if ({Emitter.Vector128Accelerated})"))
        {
            using (emitter.ItemLoop(source.PhysicalChannels / 16, "block"))
            {
                w.Line($"{Emitter.Blocked}.AdaptiveAvgPoolBlock({Emitter.InputSlice(source, $"block * {Emitter.PlanePerBlock(source)}", Emitter.PlanePerBlock(source))}, {Emitter.OutputSlice(target, $"block * {Emitter.PlanePerBlock(target)}", Emitter.PlanePerBlock(target))}, {sizes});");
            }
        }

        using (w.Block("else"))
        using (emitter.ImageLoop())
        {
            w.Line($"{Emitter.Kernels}.AdaptiveAvgPool2d({Emitter.InputSlice(source)}, {Emitter.OutputSlice(target)}, {source.PhysicalChannels}, {sizes});");
        }
    }

    protected override string? VectorizedBackwardItem(OpPlan op, TensorPlan source) => "block";

    protected override string VectorizedBackwardCall(BackwardContext c)
        => $"{Emitter.BlockedBackward}.AdaptiveAvgPoolBlock({OutputPlane(c, "gradients")}, {InputPlane(c, "gradients")}, {Sizes(c.Op, c.Source)});";

    protected override string ReferenceBackwardCall(BackwardContext c)
        => $"{Emitter.Backward}.AdaptiveAvgPool2d({c.Y("gradients")}, {c.InputGradient}, {c.Source.PhysicalChannels}, {Sizes(c.Op, c.Source)});";

    public override string GraphNode(OpPlan op, string head) => $"new {GraphTypes}AdaptiveAvgPoolNode({head}, {op.OutHeight}, {op.OutWidth}),";

    private static string Sizes(OpPlan op, TensorPlan source) => $"{source.Height}, {source.Width}, {op.OutHeight}, {op.OutWidth}";

    // ---- the layer: [AdaptiveAveragePool] -------------------------------------------------------

    public LayerTraits Traits { get; } = new(ReadsMap: true, MakesVector: false, NeedsBlockedInput: true, IsTap: false);

    public bool CheckOptions(Planner planner, LayerModel layer) => planner.PositivePair(layer.Location, layer.Name, "Output", layer.OutputSize);

    public int? Lower(Planner planner, LayerModel layer, LayerInput input)
    {
        var source = planner.Tensors[input.Trunk];
        var size = layer.OutputSize;
        var output = planner.NewTensorLike(Planner.Snake(layer.Name), source, size.Height, size.Width);
        planner.AddOp(OpKind.AdaptiveAveragePool, layer.Name, "", $"adaptive average pool, {source.ShapeText} -> {source.Channels}x{size.Height}x{size.Width}",
            input.Trunk, output, source, planner.Tensors[output]);
        return output;
    }

    public string KindText(LayerModel layer) => $"adaptive avg pool {layer.OutputSize.Text}";

    public string Handle(Emitter emitter, LayerPlan layer, string shape) => LayerDescriptors.PlainHandle(layer, shape);
}
