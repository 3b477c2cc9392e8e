using InceptionGen.Generator.Emitting;
using InceptionGen.Generator.Planning;

namespace InceptionGen.Generator.Descriptors;

/// <summary>
/// The network input, NCHW from the caller, to NCHW16c: the network's first op, on the calling thread. When the
/// planner fused the first convolution's padding into it, it writes the zero-bordered map directly.
/// </summary>
internal sealed class InputLayoutOp : OpDescriptor
{
    public override bool InGraph => false;

    public override void WriteCallerForward(Emitter emitter, OpPlan op, TensorPlan source, TensorPlan target)
        => emitter.Writer.Line($"{Emitter.Blocked}.PlainToBlocked(input.Slice(image * InputLength, InputLength), {Emitter.CallerSlice(target)}, {source.Channels}, {source.Height}, {source.Width}{Emitter.PaddingArgument(op)});");

    public override void WriteForward(Emitter emitter, OpPlan op, TensorPlan source, TensorPlan target)
        => throw new System.InvalidOperationException("the input layout runs on the calling thread");

    public override void WriteBackward(Emitter emitter, BackwardContext context)
        => throw new System.InvalidOperationException("the input's gradient is read by the training pass itself");
}
