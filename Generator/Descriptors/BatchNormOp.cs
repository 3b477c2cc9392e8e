using System;
using System.Globalization;
using InceptionGen.Generator.Emitting;
using InceptionGen.Generator.Model;
using InceptionGen.Generator.Planning;

namespace InceptionGen.Generator.Descriptors;

/// <summary>
/// BatchNorm with PyTorch's semantics (docs/batchnorm.md), over the runtime's kernels (<c>BatchNormKernels</c> per block
/// plane, <c>BatchNorm</c> per channel). The op normalizes with the scale and shift in its workspace, items (image, block);
/// in training's statistics phase the same method adds the pass's Σx and Σx², items (block), images in order. Its backward
/// likewise: the weight-gradient run masks dy by the fused ReLU and adds Σdy and Σdy·(x − mean), items (block); the
/// input-gradient run adds dx, items (image, block). The per-channel steps between the phases run on the calling thread
/// once the whole batch is in (<c>Emitter.BatchNorm.cs</c>). After a convolution without ReLU the fuse pass folds it into
/// the convolution's packed weights for inference (<see cref="BatchNormPlan.Folded"/>), where it then costs nothing.
/// </summary>
internal sealed class BatchNormOp : OpDescriptor, ILayerDescriptor
{
    private static int Blocks(TensorPlan source) => source.PhysicalChannels / Planner.Block;

    public override (int Wide, int Narrow, int Scalar) ForwardItemsPerImage(OpPlan op, TensorPlan source)
        => (Blocks(source), Blocks(source), Blocks(source));

    public override int BackwardItemsPerImage(OpPlan op, TensorPlan source) => Blocks(source);

    public override int WeightGradientItems(OpPlan op, TensorPlan source, SchedulePlan schedule) => Blocks(source);

    /// <summary>One block plane of an image's input or output (from <paramref name="channelOffset"/>, a concat slice), in the memory the op runs on.</summary>
    private static string Plane(string memory, string baseOffset, TensorPlan tensor, int channelOffset = 0)
        => Emitter.Slice(memory, baseOffset, tensor, Emitter.Add(channelOffset * tensor.Height * tensor.Width, $"block * {Emitter.PlanePerBlock(tensor)}"), Emitter.PlanePerBlock(tensor));

    /// <summary>Floats of one image's output the backward reads: whole blocks of its slice when it writes into a concat.</summary>
    public override int BackwardOutputLength(OpPlan op, TensorPlan source, TensorPlan target) => source.PhysicalChannels * target.Height * target.Width;

    /// <summary>Lanes [block × 16, +16) of workspace vector <paramref name="vector"/> (0 mean, 1 inverse std, 2 scale, 3 shift, 4–6 backward coefficients).</summary>
    internal static string Lanes(BatchNormPlan bn, string span, int vector, int offset)
        => $"{span}.Slice({offset + vector * bn.PhysicalChannels} + block * 16, 16)";

    public override void WriteForward(Emitter emitter, OpPlan op, TensorPlan source, TensorPlan target)
    {
        var w = emitter.Writer;
        var bn = op.BatchNorm!;
        var pixels = source.Height * source.Width;
        w.Line("var workspace = __batchNormWorkspace.Span;");
        if (emitter.Plan.IsTrainable)
        {
            w.Line("// Training's statistics phase: items are blocks; each adds the pass's images in order into its own lanes.");
            using (w.Block("if (__batchNormStatistics)"))
            {
                w.Line("var sums = new global::System.Span<double>(__batchNormSums);");
                using (w.Block("for (var block = begin; block < end; block++)"))
                using (w.Block("for (var image = 0; image < batch; image++)"))
                {
                    w.Line($"global::InceptionGen.Kernels.BatchNormKernels.AccumulateStatistics({Plane("memory", "inputBase", source)}, {pixels}, {Lanes(bn, "sums", 0, bn.SumsOffset)}, {Lanes(bn, "sums", 1, bn.SumsOffset)});");
                }

                w.Line("return;");
            }

            w.Line();
        }

        w.Line($"// y = x·scale + shift{(bn.Relu ? ", then ReLU" : "")}, per 16-channel plane: the scale and shift of the batch (training) or of the running statistics.");
        using (emitter.ItemLoop(Blocks(source), "block"))
        {
            w.Line($"global::InceptionGen.Kernels.BatchNormKernels.Normalize({Plane("memory", "inputBase", source)}, {Plane("memory", "outputBase", target, op.OutputChannelOffset)}, {pixels}, {Lanes(bn, "workspace", 2, bn.WorkspaceOffset)}, {Lanes(bn, "workspace", 3, bn.WorkspaceOffset)}, relu: {Emitter.Bool(bn.Relu)});");
        }
    }

    public override void WriteBackward(Emitter emitter, BackwardContext context)
    {
        var w = emitter.Writer;
        var bn = context.Op.BatchNorm!;
        var source = context.Source;
        var target = context.Target;
        var pixels = source.Height * source.Width;
        var outputPlane = Emitter.Add(context.Op.OutputChannelOffset * target.Height * target.Width, $"block * {Emitter.PlanePerBlock(target)}");
        var y = $"{Emitter.TrainingSlice("activations", target, outputPlane, Emitter.PlanePerBlock(target))}";
        var dy = $"{Emitter.TrainingSlice("gradients", target, outputPlane, Emitter.PlanePerBlock(target))}";
        var x = $"{Emitter.TrainingSlice("activations", source, $"block * {Emitter.PlanePerBlock(source)}", Emitter.PlanePerBlock(source))}";
        var dx = $"{Emitter.TrainingSlice("gradients", source, $"block * {Emitter.PlanePerBlock(source)}", Emitter.PlanePerBlock(source))}";
        w.Line("var workspace = __batchNormWorkspace.Span;");
        using (w.Block("if (weights)"))
        {
            w.Line("// Gradient statistics: items are blocks; each adds the pass's images in order into its own lanes.");
            w.Line("var sums = new global::System.Span<double>(__batchNormSums);");
            using (w.Block("for (var block = begin; block < end; block++)"))
            using (w.Block("for (var image = 0; image < batch; image++)"))
            {
                if (bn.Relu)
                {
                    w.Line($"{Emitter.Blocked}.ReluMask({y}, {dy});");
                }

                w.Line($"global::InceptionGen.Kernels.BatchNormKernels.AccumulateGradientStatistics({x}, {dy}, {pixels}, {Lanes(bn, "workspace", 0, bn.WorkspaceOffset)}, {Lanes(bn, "sums", 2, bn.SumsOffset)}, {Lanes(bn, "sums", 3, bn.SumsOffset)});");
            }

            w.Line("return;");
        }

        if (context.ReadsNetworkInput)
        {
            w.Line("// Its input is the network input: its gradient is computed only when the caller asks for it.");
            using (w.Block("if (!__wantInputGradient)"))
            {
                w.Line("return;");
            }
        }

        w.Line("// dx += (dy − mean(dy) − (x − mean)·k)·γ·invstd, with the whole batch's coefficients.");
        using (emitter.ItemLoop(Blocks(source), "block"))
        {
            w.Line($"global::InceptionGen.Kernels.BatchNormKernels.AddInputGradient({x}, {dy}, {dx}, {pixels}, {Lanes(bn, "workspace", 0, bn.WorkspaceOffset)}, {Lanes(bn, "workspace", 4, bn.WorkspaceOffset)}, {Lanes(bn, "workspace", 5, bn.WorkspaceOffset)}, {Lanes(bn, "workspace", 6, bn.WorkspaceOffset)});");
        }
    }

    public override string GraphNode(OpPlan op, string head)
    {
        var bn = op.BatchNorm!;
        return $"new {GraphTypes}BatchNormNode({head}, {Double(bn.Epsilon)}, {Double(bn.Momentum)}, {Emitter.Bool(bn.Relu)}, {Emitter.WeightName(bn.Weight)}, {Emitter.WeightName(bn.Bias)}, {Emitter.WeightName(bn.RunningMean)}, {Emitter.WeightName(bn.RunningVariance)}),";
    }

    internal static string Double(double value) => value.ToString("R", CultureInfo.InvariantCulture) + "d";

    // ---- the layer: [BatchNorm] -----------------------------------------------------------------

    public LayerTraits Traits { get; } = new(ReadsMap: true, MakesVector: false, NeedsBlockedInput: true, IsTap: false);

    public bool CheckOptions(Planner planner, LayerModel layer) => CheckValues(planner, layer, "Epsilon", "Momentum");

    /// <summary>IG0011 for an eps that is not a finite number above 0, or a momentum outside [0, 1].</summary>
    internal static bool CheckValues(Planner planner, LayerModel layer, string epsilonOption, string momentumOption)
        => planner.Check(layer.Epsilon > 0 && !double.IsInfinity(layer.Epsilon), layer.Location, epsilonOption, layer.Name, Planner.Double(layer.Epsilon),
               "BatchNorm's eps must be a finite number > 0, or a channel of constant values divides by 0")
           & planner.Check(layer.Momentum >= 0 && layer.Momentum <= 1, layer.Location, momentumOption, layer.Name, Planner.Double(layer.Momentum),
               "BatchNorm's momentum must be in [0, 1]: the running statistics are a weighted average of the old value and the batch's");

    public int? Lower(Planner planner, LayerModel layer, LayerInput input) => Add(planner, layer, "", input.Trunk, layer.Relu, auxiliary: false, stateDictPrefix: layer.WeightName);

    public string KindText(LayerModel layer) => $"batchnorm{(layer.Relu ? " + ReLU" : "")}";

    public string Handle(Emitter emitter, LayerPlan layer, string shape) => emitter.BatchNormHandle(layer.Model.Name, "");

    /// <summary>
    /// Adds a BatchNorm op on <paramref name="input"/> with its parameters (γ, β) and buffers (running mean and variance,
    /// batches tracked) under <c>layer[.part]</c>; returns its output tensor. A sub-row of the summary when it is a part.
    /// </summary>
    /// <paramref name="stateDictPrefix"/> names the tensors as PyTorch does (<c>prefix.running_mean</c>); <paramref name="destination"/>
    /// is a concat tensor whose channels from <paramref name="channelOffset"/> (a multiple of 16) it writes, instead of a tensor of its own.
    public static int Add(Planner planner, LayerModel layer, string part, int input, bool relu, bool auxiliary,
        string? stateDictPrefix = null, int? destination = null, int channelOffset = 0, string? layerName = null)
    {
        var source = planner.Tensors[input];
        var opLayer = layerName ?? layer.Name;
        var prefix = stateDictPrefix ?? (part.Length == 0 ? opLayer : opLayer + "." + part);
        var bn = new BatchNormPlan(prefix, layer.Epsilon, layer.Momentum, relu, source.Channels, source.PhysicalChannels, StateDictNames: stateDictPrefix is not null);
        var channels = new[] { source.Channels };
        planner.AddParameter(bn.Weight, channels, false, 1, false, auxiliary, "Scale");
        planner.AddParameter(bn.Bias, channels, true, 1, false, auxiliary);
        planner.AddParameter(bn.RunningMean, channels, false, 1, false, auxiliary, "RunningMean");
        planner.AddParameter(bn.RunningVariance, channels, false, 1, false, auxiliary, "RunningVariance");
        planner.AddParameter(bn.NumBatchesTracked, Array.Empty<int>(), false, 1, false, auxiliary, "BatchCount");
        var output = destination ?? planner.NewTensorLike(Planner.Snake(prefix.Replace(".", "_")) + "_bn", source, source.Height, source.Width,
            source.Storage == TensorStorage.TrainingOnly ? TensorStorage.TrainingOnly : TensorStorage.Arena);
        var target = planner.Tensors[output];
        var slice = channelOffset > 0 || source.Channels != target.Channels ? $"; writes channels [{channelOffset}, {channelOffset + source.Channels}) of {target.Name}" : "";
        var op = Planner.NewOp(OpKind.BatchNorm, opLayer, part,
            $"batchnorm eps {Planner.Double(layer.Epsilon)}, momentum {Planner.Double(layer.Momentum)}{(relu ? ", ReLU" : "")}, {source.ShapeText}{slice}",
            input, output, source, target, auxiliary) with
        {
            OutputChannelOffset = channelOffset,
            OutChannels = source.Channels,
            Relu = relu,
            Weights = bn.Weight,
            Bias = bn.Bias,
            BatchNorm = bn,
        };
        planner.Ops.Add(op);
        if (part.Length > 0)
        {
            planner.Summary.Add(new SummaryRow(opLayer + "." + part, "batchnorm", source.Channels, source.Height, source.Width, 2L * source.Channels, 0, 1, auxiliary));
        }

        return output;
    }
}
