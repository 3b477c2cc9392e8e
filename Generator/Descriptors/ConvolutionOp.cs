using InceptionGen.Generator.Emitting;
using InceptionGen.Generator.Planning;

namespace InceptionGen.Generator.Descriptors;

/// <summary>
/// A convolution with its fused bias and ReLU, on a zero-bordered input (the pad op or the input layout wrote the
/// border). Items are (image, output-block group, output row). Its register-tile drivers and kernels are written by
/// the convolution emitter (<c>Emitter.Convolution.cs</c>, <c>Emitter.ConvolutionBackward.cs</c>) from the tiles the
/// planner chose.
/// </summary>
internal sealed class ConvolutionOp : WeightedOpDescriptor
{
    public override (int Wide, int Narrow, int Scalar) ForwardItemsPerImage(OpPlan op, TensorPlan source)
    {
        var outBlocks = (op.OutChannels + 15) / 16;
        return (outBlocks / op.Tiling!.WideBlocks * op.OutHeight, outBlocks * op.OutHeight, 1);
    }

    public override int BackwardOutputLength(OpPlan op, TensorPlan source, TensorPlan target) => Emitter.RoundUp(op.OutChannels) * target.Height * target.Width;

    public override void WriteForward(Emitter emitter, OpPlan op, TensorPlan source, TensorPlan target) => emitter.WriteConvolutionBody(op, source, target);

    protected override string ReferenceBackwardCall(Emitter emitter, BackwardContext c, string inputGradient, string weightGradient, string biasGradient)
        => $"{Emitter.Backward}.Conv2d({c.X("activations")}, {Emitter.ChannelMap(c.Source)}, {c.Y("gradients")}, {emitter.ParameterSpan(c.Op.Weights)}, {inputGradient}, {weightGradient}, {biasGradient}, {Emitter.ConvGeometryText(c.Op, c.Source)});";

    protected override void WriteVectorizedWeightGradient(Emitter emitter, BackwardContext c, string weightGradient, string biasGradient)
    {
        using (emitter.Writer.Block($"if ({Emitter.Vector128Accelerated})"))
        {
            emitter.WriteConvolutionWeightBackward(c.Op);
            emitter.Writer.Line("return;");
        }
    }

    protected override void WriteInputGradient(Emitter emitter, BackwardContext c, string referenceData)
        => emitter.WriteConvolutionDataBackward(c.Op, c.Source, c.Target, c.Y("activations"), c.Y("gradients"), referenceData, c.Wanted);

    public override string GraphNode(OpPlan op, string head)
        => $"new {GraphTypes}ConvNode({head}, {op.OutChannels}, {op.Kernel}, {op.Stride}, {op.Padding}, {Emitter.Bool(op.Relu)}, {Emitter.WeightName(op.Weights)}, {Emitter.WeightName(op.Bias)}),";
}
