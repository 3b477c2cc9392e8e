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
/// Max or average pooling over 16-channel planes (an item is one block of one image); the average divides by the
/// window clipped to the padded input, as Caffe and PyTorch's count_include_pad=True do. An Inception module's
/// pool branch writes its concat slice directly.
/// </summary>
internal sealed class PoolOp(bool max) : DataOpDescriptor, ILayerDescriptor
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
        w.Line($"var geometry = new global::InceptionGen.Kernels.PoolGeometry(Channels: 16, InHeight: {source.Height}, InWidth: {source.Width}, OutHeight: {op.OutHeight}, OutWidth: {op.OutWidth}, {Emitter.GeometryArguments(op)});");
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
        var geometry = $"new global::InceptionGen.Kernels.PoolGeometry(Channels: 16, InHeight: {c.Source.Height}, InWidth: {c.Source.Width}, OutHeight: {op.OutHeight}, OutWidth: {op.OutWidth}, {Emitter.GeometryArguments(op)})";
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
            ? $"new {GraphTypes}MaxPoolNode({head}, {Emitter.Geometry(op)}, {Emitter.Bool(op.CeilMode)}),"
            : $"new {GraphTypes}AvgPoolNode({head}, {Emitter.Geometry(op)}, {Emitter.Bool(op.CeilMode)}, true),";

    // ---- the layer: [MaxPool], [AvgPool] --------------------------------------------------------

    public LayerTraits Traits { get; } = new(ReadsMap: true, MakesVector: false, NeedsBlockedInput: true, IsTap: false);

    public bool CheckOptions(Planner planner, LayerModel layer)
    {
        var ok = planner.PositivePair(layer.Location, layer.Name, "Kernel", layer.Kernel) & planner.PositivePair(layer.Location, layer.Name, "Stride", layer.Stride)
            & planner.NotNegativePair(layer.Location, layer.Name, "Padding", layer.Padding);
        if (ok && layer.Padding.IsSquare && layer.Kernel.IsSquare)
        {
            ok = CheckPadding("Padding", layer.Padding.Height, layer.Kernel.Height);
        }
        else if (ok)
        {
            ok = CheckPadding("PaddingHeight", layer.Padding.Height, layer.Kernel.Height) & CheckPadding("PaddingWidth", layer.Padding.Width, layer.Kernel.Width);
        }

        return ok;

        bool CheckPadding(string option, int padding, int kernel)
        {
            if ((long)padding * 2 <= kernel)
            {
                return true;
            }

            planner.Report(DiagnosticDescriptors.InvalidOptionValue, layer.Location, option, layer.Name, padding, $"it must be at most half the kernel ({kernel / 2}), or some windows would hold only padding");
            return false;
        }
    }

    public int? Lower(Planner planner, LayerModel layer, LayerInput input) => LowerLayer(planner, layer, input.Trunk);

    public string KindText(LayerModel layer) => Text(max ? OpKind.MaxPool : OpKind.AvgPool, layer.Kernel, layer.Stride);

    public string Handle(Emitter emitter, LayerPlan layer, string shape) => LayerDescriptors.PlainHandle(layer, shape);

    private static int? LowerLayer(Planner planner, LayerModel layer, int input)
    {
        var source = planner.Tensors[input];
        var kind = layer.Kind == LayerKind.MaxPool ? OpKind.MaxPool : OpKind.AvgPool;
        var height = Planner.PoolOutput(source.Height, layer.Kernel.Height, layer.Stride.Height, layer.Padding.Height, layer.CeilMode);
        var width = Planner.PoolOutput(source.Width, layer.Kernel.Width, layer.Stride.Width, layer.Padding.Width, layer.CeilMode);
        if (!planner.CheckNotEmpty(layer, PoolOp.Text(kind, layer.Kernel, layer.Stride) + PaddingText(layer.Padding), source, height, width))
        {
            return null;
        }

        var output = planner.NewTensorLike(Planner.Snake(layer.Name), source, height, width);
        PoolOp.Add(planner, kind, layer.Name, "", input, output, 0, layer.Kernel, layer.Stride, layer.Padding, auxiliary: false, layer.CeilMode);
        return output;
    }

    // ---- the op ---------------------------------------------------------------------------------

    public static void Add(Planner planner, OpKind kind, string layer, string part, int input, int output, int channelOffset, SizePair kernel, SizePair stride, SizePair padding, bool auxiliary, bool ceilMode = false)
    {
        var source = planner.Tensors[input];
        var target = planner.Tensors[output];
        var slice = channelOffset > 0 || source.Channels != target.Channels ? $"; writes channels [{channelOffset}, {channelOffset + source.Channels}) of {target.Name}" : "";
        var op = Planner.NewOp(kind, layer, part,
            $"{PoolOp.Text(kind, kernel, stride)}{PaddingText(padding)}, {source.ShapeText} -> {source.Channels}x{target.Height}x{target.Width}{slice}",
            input, output, source, target, auxiliary) with
        {
            OutputChannelOffset = channelOffset,
            OutChannels = source.Channels,
            Kernel = kernel,
            Stride = stride,
            Padding = padding,
            CeilMode = ceilMode,
        };
        planner.Ops.Add(op);
        if (part.Length > 0)
        {
            planner.Summary.Add(new SummaryRow(layer + "." + part, PoolOp.Text(kind, kernel, stride), source.Channels, target.Height, target.Width, 0, 0, 1, auxiliary));
        }
    }

    public static string Text(OpKind kind, SizePair kernel, SizePair stride)
        => $"{(kind == OpKind.MaxPool ? "max" : "avg")} pool {kernel.Text}/{stride.ShortText}";

    private static string PaddingText(SizePair padding) => padding.Height > 0 || padding.Width > 0 ? $" pad {padding.ShortText}" : "";
}
