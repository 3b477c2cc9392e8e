using InceptionGen.Generator.Emitting;
using InceptionGen.Generator.Planning;

namespace InceptionGen.Generator.Descriptors;

/// <summary>
/// An op with weights (convolution, Linear): its backward method runs the input gradient, or with <c>weights</c>
/// the weight and bias gradients, by a vectorized kernel when there is one, else by the scalar reference summing
/// the pass's images in order in one item (deterministic).
/// </summary>
internal abstract class WeightedOpDescriptor : OpDescriptor
{
    /// <summary>The scalar reference backward for one image: the input gradient, or the weight and bias gradients.</summary>
    protected abstract string ReferenceBackwardCall(Emitter emitter, BackwardContext context, string inputGradient, string weightGradient, string biasGradient);

    /// <summary>Writes the vectorized weight gradient under an accelerated check, ending in <c>return</c>; nothing when there is none.</summary>
    protected abstract void WriteVectorizedWeightGradient(Emitter emitter, BackwardContext context, string weightGradient, string biasGradient);

    /// <summary>Writes the input gradient (after the fused ReLU's mask), given the reference call for one image.</summary>
    protected abstract void WriteInputGradient(Emitter emitter, BackwardContext context, string referenceData);

    public override void WriteBackward(Emitter emitter, BackwardContext context)
    {
        var w = emitter.Writer;
        var op = context.Op;
        var plan = emitter.Plan;
        w.Line("var parameters = __parameters.ReadOnlySpan;");
        w.Line("var parameterGradients = __gradients!.Span;");
        var weightsTensor = plan.Parameters[emitter.ParameterIndex(op.Weights!)];
        var weightGradient = $"parameterGradients.Slice({weightsTensor.Offset}, {weightsTensor.Length})";
        var biasGradient = op.Bias is null ? "default" : $"parameterGradients.Slice({plan.Parameters[emitter.ParameterIndex(op.Bias)].Offset}, {op.OutChannels})";
        using (w.Block("if (weights)"))
        {
            WriteVectorizedWeightGradient(emitter, context, weightGradient, biasGradient);

            // One item: images in order, so the sums do not depend on threads.
            using (w.Block("for (var image = 0; image < batch; image++)"))
            {
                w.Line(ReferenceBackwardCall(emitter, context, "default", weightGradient, biasGradient));
            }

            w.Line("return;");
        }

        WriteInputGradient(emitter, context, ReferenceBackwardCall(emitter, context, context.InputGradient, "default", "default"));
    }
}
