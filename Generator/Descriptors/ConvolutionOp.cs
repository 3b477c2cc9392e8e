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
/// A convolution with its fused bias and ReLU, on a zero-bordered input (the pad op or the input layout wrote the
/// border). Items are (image, output-block group, output row). Its register-tile drivers and kernels are written by
/// the convolution emitter (<c>Emitter.Convolution.cs</c>, <c>Emitter.ConvolutionBackward.cs</c>) from the tiles the
/// planner chose.
/// </summary>
internal sealed class ConvolutionOp : WeightedOpDescriptor, ILayerDescriptor
{
    public override (int Wide, int Narrow, int Scalar) ForwardItemsPerImage(OpPlan op, TensorPlan source)
    {
        if (op.Winograd is { } winograd)
        {
            // Ranges of tiles on every path (the scalar one runs the scalar Winograd reference).
            return (winograd.ItemsPerImage, winograd.ItemsPerImage, winograd.ItemsPerImage);
        }

        var outBlocks = (op.OutChannels + 15) / 16;
        return (outBlocks / op.Tiling!.WideBlocks * op.OutHeight, outBlocks * op.OutHeight, 1);
    }

    /// <summary>Items of the vectorized weight gradient: (block group, channel chunk), then one per output block for the bias.</summary>
    public override int WeightGradientItems(OpPlan op, TensorPlan source, SchedulePlan schedule)
    {
        if (op.Backward is not { } plan)
        {
            return 1;
        }

        var blocks = Planner.Blocks(op.OutChannels);
        var chunks = (op.LoopChannels + plan.WeightChannels - 1) / plan.WeightChannels;
        return blocks / plan.WeightBlocks * chunks + (op.Bias is null ? 0 : blocks);
    }

    /// <summary>
    /// Output rows per band of the weight gradient: every kernel row's tile runs over a band before the next band,
    /// so the band's output gradient (about 64 KiB) is read from cache by all but the first instead of from memory.
    /// </summary>
    public override int WeightGradientBandRows(OpPlan op)
        => op.Backward is null ? 0
            : op.Kernel.Height == 1 ? op.OutHeight
            : System.Math.Max(1, System.Math.Min(op.OutHeight, 64 * 1024 / (op.OutWidth * Planner.Block * sizeof(float) * op.Backward.WeightBlocks)));

    /// <summary>Floats of the packed weights: whole output blocks × the input channels the kernels loop over × taps.</summary>
    public override int PackedLength(OpPlan op) => Planner.Blocks(op.OutChannels) * op.LoopChannels * op.Kernel.Area * Planner.Block;

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
        => emitter.WriteConvolutionDataBackward(c.Op, c.Source, c.Target, c.Y("activations"), c.Y("gradients"), c.InputGradient, referenceData, c.Wanted);

    public override string GraphNode(OpPlan op, string head)
        => $"new {GraphTypes}ConvNode({head}, {op.OutChannels}, {Emitter.Geometry(op)}, {Emitter.Bool(op.Relu)}, {Emitter.WeightName(op.Weights)}, {Emitter.WeightName(op.Bias)}),";

    // ---- the layer: [Conv] ----------------------------------------------------------------------

    public LayerTraits Traits { get; } = new(ReadsMap: true, MakesVector: false, NeedsBlockedInput: true, IsTap: false);

    public bool CheckOptions(Planner planner, LayerModel layer)
        => planner.Positive(layer.Location, layer.Name, ("OutChannels", layer.OutChannels))
           & planner.PositivePair(layer.Location, layer.Name, "Kernel", layer.Kernel) & planner.PositivePair(layer.Location, layer.Name, "Stride", layer.Stride)
           & planner.NotNegativePair(layer.Location, layer.Name, "Padding", layer.Padding)
           & (!layer.BatchNorm || BatchNormOp.CheckValues(planner, layer, "BatchNormEpsilon", "BatchNormMomentum"))
           & planner.Check(!(layer.BatchNorm && layer.Bias), layer.Location, "Bias", layer.Name, "true",
               "a convolution with BatchNorm = true has no bias, as torchvision's BasicConv2d (BN subtracts the batch mean, so a bias would get no gradient, and BN's own bias takes its place); remove Bias = true");

    public int? Lower(Planner planner, LayerModel layer, LayerInput input) => LowerLayer(planner, layer, input.Trunk);

    public string KindText(LayerModel layer) => Text(layer.Kernel, layer.Stride) + (layer.BatchNorm ? " + BN" : "");

    /// <summary><c>conv 3x3/1</c>, <c>conv 1x7/1</c>, <c>conv 3x5/2x1</c>.</summary>
    public static string Text(SizePair kernel, SizePair stride) => $"conv {kernel.Text}/{stride.ShortText}";

    private static string PaddingText(SizePair padding) => padding.Height > 0 || padding.Width > 0 ? $" pad {padding.ShortText}" : "";

    public string Handle(Emitter emitter, LayerPlan layer, string shape) => emitter.ConvHandle(layer.Model.Name, layer.Model.BatchNorm ? BatchNormConvPart : "");

    /// <summary>The parts of a convolution with BatchNorm, named as torchvision's <c>BasicConv2d</c>: <c>conv</c> and <c>bn</c>.</summary>
    internal const string BatchNormConvPart = "Conv";
    internal const string BatchNormPart = "Bn";

    private static int? LowerLayer(Planner planner, LayerModel layer, int input)
    {
        var source = planner.Tensors[input];
        var size = Planner.ConvOutput(source.Height, layer.Kernel.Height, layer.Stride.Height, layer.Padding.Height);
        var width = Planner.ConvOutput(source.Width, layer.Kernel.Width, layer.Stride.Width, layer.Padding.Width);
        if (!planner.CheckNotEmpty(layer, $"{Text(layer.Kernel, layer.Stride)} pad {layer.Padding.ShortText}", source, size, width))
        {
            return null;
        }

        var output = planner.NewTensor(Planner.Snake(layer.Name), layer.OutChannels, size, width, TensorLayout.Blocked, TensorStorage.Arena);
        if (layer.BatchNorm)
        {
            // torchvision's BasicConv2d: conv without bias, BN, ReLU (fused into the BN; the fuse pass folds the BN back
            // into the convolution for inference).
            ConvolutionOp.Add(planner, layer.Name, BatchNormConvPart, input, output, 0, layer.OutChannels, layer.Kernel, layer.Stride, layer.Padding, bias: false, relu: false, auxiliary: false,
                stateDictPrefix: layer.WeightName is { } convName ? convName + ".conv" : null);
            return BatchNormOp.Add(planner, layer, BatchNormPart, output, layer.Relu, auxiliary: false, stateDictPrefix: layer.WeightName is { } bnName ? bnName + ".bn" : null);
        }

        ConvolutionOp.Add(planner, layer.Name, "", input, output, 0, layer.OutChannels, layer.Kernel, layer.Stride, layer.Padding, layer.Bias, layer.Relu, auxiliary: false, stateDictPrefix: layer.WeightName);
        return output;
    }

    // ---- the op: lowering, parameters and counts ------------------------------------------------

    public static void Add(Planner planner, string layer, string part, int input, int output, int channelOffset, int outChannels,
        SizePair kernel, SizePair stride, SizePair padding, bool bias, bool relu, bool auxiliary, string? stateDictPrefix = null)
    {
        var source = planner.Tensors[input];
        var target = planner.Tensors[output];
        var qualified = part.Length == 0 ? layer : layer + "." + part;
        // A declared Name or a module's layer is named as PyTorch names it (prefix.weight); other layers by the declared names.
        var parameterPrefix = stateDictPrefix ?? qualified;
        var weights = planner.AddParameter(parameterPrefix + (stateDictPrefix is null ? ".Weights" : ".weight"), new[] { outChannels, source.Channels, kernel.Height, kernel.Width }, false, source.Channels * kernel.Area, relu, auxiliary);
        var convInput = padding.Height > 0 || padding.Width > 0 ? PadOp.Add(planner, layer, part, input, padding, auxiliary) : input;
        var loopChannels = source.ChannelMap.Count > 0 ? source.PhysicalChannels : source.Channels;
        var packedOffset = planner.ReservePacked(qualified, (long)Planner.Blocks(outChannels) * loopChannels * kernel.Area * Planner.Block);
        var packedBiasOffset = planner.ReservePacked(qualified, Planner.Blocks(outChannels) * Planner.Block);
        var biasName = bias ? planner.AddParameter(parameterPrefix + (stateDictPrefix is null ? ".Bias" : ".bias"), new[] { outChannels }, true, source.Channels * kernel.Area, relu, auxiliary) : null;
        var multiplyAdds = (long)outChannels * source.Channels * kernel.Area * target.Height * target.Width;
        var slice = channelOffset > 0 || outChannels != target.Channels ? $"; writes channels [{channelOffset}, {channelOffset + outChannels}) of {target.Name}" : "";
        var op = Planner.NewOp(OpKind.Conv, layer, part,
            $"{Text(kernel, stride)}{PaddingText(padding)}, {source.Channels} -> {outChannels} channels, {source.Height}x{source.Width} -> {target.Height}x{target.Width}{(relu ? ", ReLU" : "")}{slice}",
            convInput, output, planner.Tensors[convInput], target, auxiliary) with
        {
            OutputChannelOffset = channelOffset,
            OutChannels = outChannels,
            Kernel = kernel,
            Stride = stride,
            Padding = padding,
            Relu = relu,
            Weights = weights,
            Bias = biasName,
            MultiplyAdds = multiplyAdds,
            Tiling = Planner.ChooseTiling(Planner.Blocks(outChannels), target.Width),
            PackedOffset = packedOffset,
            PackedBiasOffset = packedBiasOffset,
            LoopChannels = loopChannels,
        };
        planner.Ops.Add(op);
        if (part.Length > 0)
        {
            planner.Summary.Add(new SummaryRow(qualified, Text(kernel, stride), outChannels, target.Height, target.Width,
                (long)outChannels * source.Channels * kernel.Area + (bias ? outChannels : 0), multiplyAdds, 1, auxiliary));
        }
    }
}
