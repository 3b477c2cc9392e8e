using System.Linq;
using InceptionGen.Generator.Emitting;
using InceptionGen.Generator.Planning;

namespace InceptionGen.Generator.Descriptors;

/// <summary>
/// Inverted dropout, training only (inference reads its input in place of its output). The mask of an image
/// depends on the seed, the step, the image's index in the batch and the dropout's number, never on threads.
/// </summary>
internal sealed class DropoutOp : DataOpDescriptor
{
    public override void WriteForward(Emitter emitter, OpPlan op, TensorPlan source, TensorPlan target)
    {
        var layerIndex = emitter.Plan.Ops.Where(candidate => candidate.Kind == OpKind.Dropout).ToList().IndexOf(op);
        using (emitter.ImageLoop())
        {
            emitter.Writer.Line($"global::InceptionGen.Training.Dropout.Forward({Emitter.InputSlice(source)}, {Emitter.OutputSlice(target)}, {Emitter.MaskSlice(op, target, "memory")}, {Emitter.Float(op.Rate)}, DropoutSeed, __trainingStep, __passFirstImage + image, layer: {layerIndex});");
        }
    }

    protected override string ReferenceBackwardCall(BackwardContext c)
        => $"global::InceptionGen.Training.Dropout.Backward({Emitter.MaskSlice(c.Op, c.Target)}, {c.Y("gradients")}, {c.InputGradient});";

    public override string GraphNode(OpPlan op, string head) => $"new {GraphTypes}DropoutNode({head}, {Emitter.Float(op.Rate)}),";
}
