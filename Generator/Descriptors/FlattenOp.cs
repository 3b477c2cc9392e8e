using InceptionGen.Generator.Emitting;
using InceptionGen.Generator.Planning;

namespace InceptionGen.Generator.Descriptors;

/// <summary>
/// A blocked map to a plain NCHW vector: <c>[Flatten]</c> and an auxiliary head's flatten on the pool, and the
/// network's output layout (a network that ends on a map) on the calling thread.
/// </summary>
internal sealed class FlattenOp : DataOpDescriptor
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
}
