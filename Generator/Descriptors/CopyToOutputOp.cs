using InceptionGen.Generator.Emitting;
using InceptionGen.Generator.Planning;

namespace InceptionGen.Generator.Descriptors;

/// <summary>The network's last op when it ends in a plain vector: copies it to the caller's output, on the calling thread.</summary>
internal sealed class CopyToOutputOp : OpDescriptor
{
    public override bool InGraph => false;

    public override void WriteCallerForward(Emitter emitter, OpPlan op, TensorPlan source, TensorPlan target)
        => emitter.Writer.Line($"{Emitter.CallerSlice(source)}.CopyTo(output.Slice(image * OutputLength, OutputLength));");

    public override void WriteForward(Emitter emitter, OpPlan op, TensorPlan source, TensorPlan target)
        => throw new System.InvalidOperationException("the output copy runs on the calling thread");

    public override void WriteBackward(Emitter emitter, BackwardContext context)
        => throw new System.InvalidOperationException("the output copy has no backward: the losses write the logits' gradient");
}
