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
/// A copy of a map into the interior of a larger one with a zero border, ahead of a padded convolution, so the
/// convolution's tiles need no bounds checks. Not a graph node: the convolution carries the padding there.
/// </summary>
internal sealed class PadOp : DataOpDescriptor
{
    public override bool InGraph => false;

    public override (int Wide, int Narrow, int Scalar) ForwardItemsPerImage(OpPlan op, TensorPlan source)
        => (source.PhysicalChannels / 16, source.PhysicalChannels / 16, source.PhysicalChannels / 16);

    public override int BackwardItemsPerImage(OpPlan op, TensorPlan source) => source.PhysicalChannels / 16;

    public override void WriteForward(Emitter emitter, OpPlan op, TensorPlan source, TensorPlan target)
    {
        using (emitter.ItemLoop(source.PhysicalChannels / 16, "block"))
        {
            emitter.Writer.Line($"{Emitter.Blocked}.PadBlock({Emitter.InputSlice(source, $"block * {Emitter.PlanePerBlock(source)}", Emitter.PlanePerBlock(source))}, {Emitter.OutputSlice(target, $"block * {Emitter.PlanePerBlock(target)}", Emitter.PlanePerBlock(target))}, {source.Height}, {source.Width}, {Emitter.PaddingValues(op.Padding)});");
        }
    }

    protected override string? VectorizedBackwardItem(OpPlan op, TensorPlan source) => "block";

    protected override string VectorizedBackwardCall(BackwardContext c)
        => $"{Emitter.BlockedBackward}.PadBlock({OutputPlane(c, "gradients")}, {InputPlane(c, "gradients")}, {c.Source.Height}, {c.Source.Width}, {Emitter.PaddingValues(c.Op.Padding)});";

    protected override string ReferenceBackwardCall(BackwardContext c)
        => $"{Emitter.Backward}.Pad({c.Y("gradients")}, {c.InputGradient}, {c.Source.PhysicalChannels}, {c.Source.Height}, {c.Source.Width}, {Emitter.PaddingValues(c.Op.Padding)});";

    // ---- the op ---------------------------------------------------------------------------------

    /// <summary>
    /// A padded convolution reads a copy of its input with a zero border, so its kernel needs no bounds
    /// checks; the copy is live only until the convolution has run.
    /// </summary>
    public static int Add(Planner planner, string layer, string part, int input, SizePair padding, bool auxiliary)
    {
        var source = planner.Tensors[input];
        var padded = planner.AddTensor(source.Name + "_padded", source.Channels, source.PhysicalChannels, source.Height + 2 * padding.Height, source.Width + 2 * padding.Width,
            TensorLayout.Blocked, auxiliary ? TensorStorage.TrainingOnly : TensorStorage.Arena, source.ChannelMap) ?? throw new InvalidOperationException("tensor size checked before");
        var op = Planner.NewOp(OpKind.Pad, layer, part, $"zero border of {padding.ShortText} around {source.Name} {source.ShapeText}", input, padded, source, planner.Tensors[padded], auxiliary) with { Padding = padding };
        planner.Ops.Add(op);
        return padded;
    }
}
