using InceptionGen.Generator.Emitting;
using InceptionGen.Generator.Planning;

namespace InceptionGen.Generator.Descriptors;

/// <summary>
/// Max or average pooling over 16-channel planes (an item is one block of one image); the average divides by the
/// window clipped to the padded input, as Caffe and PyTorch's count_include_pad=True do. An Inception module's
/// pool branch writes its concat slice directly.
/// </summary>
internal sealed class PoolOp(bool max) : DataOpDescriptor
{
    private string Name => max ? "Max" : "Avg";

    public override (int Wide, int Narrow, int Scalar) ForwardItemsPerImage(OpPlan op, TensorPlan source)
        => (source.PhysicalChannels / 16, source.PhysicalChannels / 16, 1);

    public override int BackwardItemsPerImage(OpPlan op, TensorPlan source) => source.PhysicalChannels / 16;

    public override int BackwardOutputLength(OpPlan op, TensorPlan source, TensorPlan target) => source.PhysicalChannels * target.Height * target.Width;

    public override void WriteForward(Emitter emitter, OpPlan op, TensorPlan source, TensorPlan target)
    {
        var w = emitter.Writer;
        var blocks = source.PhysicalChannels / 16;
        var sliceStart = op.OutputChannelOffset * target.Height * target.Width;
        var outPlane = op.OutHeight * op.OutWidth * 16;
        w.Line($"var geometry = new global::InceptionGen.Kernels.PoolGeometry(Channels: 16, InHeight: {source.Height}, InWidth: {source.Width}, OutHeight: {op.OutHeight}, OutWidth: {op.OutWidth}, Kernel: {op.Kernel}, Stride: {op.Stride}, Padding: {op.Padding});");
        using (w.Block($"if ({Emitter.Vector128Accelerated})"))
        {
            using (emitter.ItemLoop(blocks, "block"))
            {
                w.Line($"{Emitter.Blocked}.{Name}PoolBlock({Emitter.InputSlice(source, $"block * {Emitter.PlanePerBlock(source)}", Emitter.PlanePerBlock(source))}, {Emitter.OutputSlice(target, Emitter.Add(sliceStart, $"block * {outPlane}"), outPlane)}, geometry);");
            }
        }

        using (w.Block("else"))
        {
            w.Line("geometry = geometry with { Channels = " + source.PhysicalChannels + " };");
            using (emitter.ImageLoop())
            {
                w.Line($"{Emitter.Kernels}.{Name}Pool2d({Emitter.InputSlice(source)}, {Emitter.OutputSlice(target, Emitter.Add(sliceStart, null), blocks * outPlane)}, geometry);");
            }
        }
    }

    protected override string? VectorizedBackwardItem(OpPlan op, TensorPlan source) => "block";

    protected override string VectorizedBackwardCall(BackwardContext c)
    {
        var op = c.Op;
        var geometry = $"new global::InceptionGen.Kernels.PoolGeometry(Channels: 16, InHeight: {c.Source.Height}, InWidth: {c.Source.Width}, OutHeight: {op.OutHeight}, OutWidth: {op.OutWidth}, Kernel: {op.Kernel}, Stride: {op.Stride}, Padding: {op.Padding})";
        return max
            ? $"{Emitter.BlockedBackward}.MaxPoolBlock({InputPlane(c, "activations")}, {OutputPlane(c, "activations")}, {OutputPlane(c, "gradients")}, {InputPlane(c, "gradients")}, {geometry});"
            : $"{Emitter.BlockedBackward}.AvgPoolBlock({OutputPlane(c, "gradients")}, {InputPlane(c, "gradients")}, {geometry});";
    }

    protected override string ReferenceBackwardCall(BackwardContext c)
        => max
            ? $"{Emitter.Backward}.MaxPool2d({c.X("activations")}, {c.Y("activations")}, {c.Y("gradients")}, {c.InputGradient}, {Emitter.PoolGeometryText(c.Op, c.Source)});"
            : $"{Emitter.Backward}.AvgPool2d({c.Y("gradients")}, {c.InputGradient}, {Emitter.PoolGeometryText(c.Op, c.Source)});";

    public override string GraphNode(OpPlan op, string head)
        => max
            ? $"new {GraphTypes}MaxPoolNode({head}, {op.Kernel}, {op.Stride}, {op.Padding}, {Emitter.Bool(op.CeilMode)}),"
            : $"new {GraphTypes}AvgPoolNode({head}, {op.Kernel}, {op.Stride}, {op.Padding}, {Emitter.Bool(op.CeilMode)}, true),";
}
