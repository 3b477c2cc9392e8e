using InceptionGen.Generator.Emitting;
using InceptionGen.Generator.Planning;

namespace InceptionGen.Generator.Descriptors;

/// <summary>
/// A residual module's sum: <c>output = input + scale · branches</c>, then ReLU when the module asks for it. It reads two
/// tensors, the module's input (<see cref="OpPlan.Input"/>) and its branches' concat (<see cref="OpPlan.SecondInput"/>);
/// its output has the input's layout and may be a slice of a parent's concat. When the two layouts are the same (every
/// width a multiple of 16) an item is one block plane of one image (<c>BlockedKernels.ResidualAddBlock</c>); otherwise the
/// channel-mapped reference takes whole images. The backward adds the output gradient (masked by the ReLU) to the input's
/// gradient and, scaled, to the branches'.
/// </summary>
internal sealed class ResidualAddOp : OpDescriptor
{
    private static bool SameLayout(TensorPlan input, TensorPlan branches)
        => input.PhysicalChannels == branches.PhysicalChannels && input.ChannelMap.Equals(branches.ChannelMap);

    private static int Blocks(TensorPlan source) => source.PhysicalChannels / Planner.Block;

    public override (int Wide, int Narrow, int Scalar) ForwardItemsPerImage(OpPlan op, TensorPlan source)
        => op.LayoutsMatch ? (Blocks(source), Blocks(source), 1) : (1, 1, 1);

    public override int BackwardItemsPerImage(OpPlan op, TensorPlan source) => op.LayoutsMatch ? Blocks(source) : 1;

    public override int BackwardOutputLength(OpPlan op, TensorPlan source, TensorPlan target) => source.PhysicalChannels * target.Height * target.Width;

    public override void WriteForward(Emitter emitter, OpPlan op, TensorPlan source, TensorPlan target)
    {
        var w = emitter.Writer;
        var branches = emitter.Plan.Tensors[op.SecondInput];
        var plane = Emitter.PlanePerBlock(source);
        var outputStart = op.OutputChannelOffset * target.Height * target.Width;
        w.Line($"var branchesBase = {emitter.TensorBase(branches)};");
        if (op.LayoutsMatch)
        {
            w.Line($"// {target.Name} = {source.Name} + {Planner.Float(op.Alpha)} · {branches.Name}{(op.Relu ? ", then ReLU" : "")}, per 16-channel plane.");
            using (w.Block($"if ({Emitter.Vector128Accelerated})"))
            {
                using (emitter.ItemLoop(Blocks(source), "block"))
                {
                    w.Line($"{Emitter.Blocked}.ResidualAddBlock({Emitter.InputSlice(source, $"block * {plane}", plane)}, {Emitter.Slice("memory", "branchesBase", branches, $"block * {plane}", plane)}, "
                        + $"{Emitter.OutputSlice(target, Emitter.Add(outputStart, $"block * {plane}"), plane)}, {Emitter.Float(op.Alpha)}, relu: {Emitter.Bool(op.Relu)});");
                }

                w.Line("return;");
            }
        }

        w.Line($"// {target.Name} = {source.Name} + {Planner.Float(op.Alpha)} · {branches.Name}{(op.Relu ? ", then ReLU" : "")}, channel by channel through their channel maps.");
        using (emitter.ImageLoop())
        {
            w.Line($"{Emitter.Kernels}.ResidualAdd({Emitter.InputSlice(source)}, {Emitter.ChannelMap(source)}, {Emitter.Slice("memory", "branchesBase", branches, null, null)}, {Emitter.ChannelMap(branches)}, "
                + $"{Emitter.OutputSlice(target, Emitter.Add(outputStart, null), source.Length)}, {source.Channels}, {source.Height * source.Width}, {Emitter.Float(op.Alpha)}, relu: {Emitter.Bool(op.Relu)});");
        }
    }

    public override void WriteBackward(Emitter emitter, BackwardContext c)
    {
        var w = emitter.Writer;
        var op = c.Op;
        var branches = emitter.Plan.Tensors[op.SecondInput];
        var plane = Emitter.PlanePerBlock(c.Source);
        var outputStart = op.OutputChannelOffset * c.Target.Height * c.Target.Width;
        string OutputPlane(string memory) => Emitter.TrainingSlice(memory, c.Target, Emitter.Add(outputStart, $"block * {plane}"), plane);
        w.Line("// The output gradient (zero where the ReLU clipped) goes to the input's gradient, and scaled to the branches'.");
        if (op.LayoutsMatch)
        {
            using (w.Block($"if ({Emitter.Vector128Accelerated})"))
            {
                using (emitter.ItemLoop(op.Schedule!.BackwardItemsPerImage, "block"))
                {
                    w.Line($"{Emitter.BlockedBackward}.ResidualAddBlock({OutputPlane("activations")}, {OutputPlane("gradients")}, {Emitter.TrainingSlice("gradients", c.Source, $"block * {plane}", plane)}, "
                        + $"{Emitter.TrainingSlice("gradients", branches, $"block * {plane}", plane)}, {Emitter.Float(op.Alpha)}, relu: {Emitter.Bool(op.Relu)});");
                }

                w.Line("return;");
            }
        }

        using (emitter.ImageLoop())
        {
            w.Line($"{Emitter.Backward}.ResidualAdd({c.Y("activations")}, {c.Y("gradients")}, {Emitter.ChannelMap(c.Source)}, {c.X("gradients")}, {Emitter.ChannelMap(branches)}, {Emitter.TrainingSlice("gradients", branches)}, "
                + $"{c.Source.Channels}, {c.Source.Height * c.Source.Width}, {Emitter.Float(op.Alpha)}, relu: {Emitter.Bool(op.Relu)});");
        }
    }

    public override string GraphNode(OpPlan op, string head)
        => $"new {GraphTypes}ResidualAddNode({head}, {Emitter.Float(op.Alpha)}, {Emitter.Bool(op.Relu)}),";

    /// <summary>Adds the sum of <paramref name="input"/> and <paramref name="branches"/> (same channels and size) into <paramref name="output"/> from channel <paramref name="channelOffset"/>.</summary>
    public static void Add(Planner planner, string layer, string part, int input, int branches, int output, int channelOffset, float scale, bool relu)
    {
        var source = planner.Tensors[input];
        var concat = planner.Tensors[branches];
        var target = planner.Tensors[output];
        var sameLayout = SameLayout(source, concat);
        var slice = channelOffset > 0 || source.Channels != target.Channels ? $"; writes channels [{channelOffset}, {channelOffset + source.Channels}) of {target.Name}" : "";
        var op = Planner.NewOp(OpKind.ResidualAdd, layer, part,
            $"residual sum {source.Name} + {Planner.Float(scale)} · {concat.Name}{(relu ? ", ReLU" : "")}, {source.ShapeText}{(sameLayout ? "" : " (through channel maps)")}{slice}",
            input, output, source, target) with
        {
            SecondInput = branches,
            OutputChannelOffset = channelOffset,
            OutChannels = source.Channels,
            Alpha = scale,
            Relu = relu,
            LayoutsMatch = sameLayout,
        };
        planner.Ops.Add(op);
        planner.Summary.Add(new SummaryRow(layer + "." + part, $"residual sum ×{Planner.Float(scale)}{(relu ? " + ReLU" : "")}", source.Channels, source.Height, source.Width, 0, 0, 1, false));
    }
}
