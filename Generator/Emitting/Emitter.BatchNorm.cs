using System.Collections.Generic;
using System.Linq;
using InceptionGen.Generator.Descriptors;
using InceptionGen.Generator.Planning;

namespace InceptionGen.Generator.Emitting;

/// <summary>
/// What a network with BatchNorm adds (only such networks get any of it, so other networks' code is unchanged):
/// <list type="bullet">
/// <item>Inference: convolutions that fold a BN are packed from folded weights and bias (<c>BatchNorm.FoldIntoConvolution</c>)
/// and apply the BN's ReLU; <c>__packedFolded</c> says which packing is current (training packs the plain weights). Other
/// BN ops normalize with the running statistics' scale and shift, computed on the calling thread per Forward call.</item>
/// <item>Training: PyTorch's train mode, with statistics over the whole batch. The batch keeps every activation (one
/// training buffer per pass of images), and the ops run in stages split at the BN ops: each stage runs over every pass,
/// then the calling thread turns the whole batch's sums into the BN's coefficients (and updates the running statistics),
/// and the next stage starts. The backward runs the stages in reverse, the BN's gradient sums being the barrier.</item>
/// </list>
/// </summary>
internal sealed partial class Emitter
{
    private const string BatchNormKernels = "global::InceptionGen.Kernels.BatchNorm";

    private void WriteBatchNormFields()
    {
        var w = _writer;
        w.Line(GeneratedCode);
        w.Line("private readonly global::InceptionGen.AlignedBuffer __batchNormWorkspace;");
        w.Line(GeneratedCode);
        w.Line("private readonly double[] __batchNormSums;");
        w.Line(GeneratedCode);
        w.Line("private bool __packedFolded;");
        if (!_plan.IsTrainable)
        {
            return;
        }

        w.Line(GeneratedCode);
        w.Line("private bool __batchNormStatistics;");
        w.Line(GeneratedCode);
        w.Line("private global::InceptionGen.AlignedBuffer[] __passActivations = [];");
        w.Line(GeneratedCode);
        w.Line("private global::InceptionGen.AlignedBuffer[] __passGradients = [];");
        w.Line();
        w.Line("/// <summary>");
        w.Line("/// Keeps every BatchNorm frozen in training (fine-tuning): it normalizes with its running statistics, which stay as");
        w.Line("/// they are, and its γ and β still get gradients. Off by default: PyTorch's train mode, with the batch's statistics.");
        w.Line("/// </summary>");
        w.Line(GeneratedCode);
        w.Line("public bool FreezeBatchNorm { get; set; }");
    }

    // ---- inference: the fold ---------------------------------------------------------------------

    private void WriteInferencePacking()
    {
        var w = _writer;
        w.Line("// Inference packs the convolutions with their BatchNorm folded in; training packs the plain weights.");
        using (w.Block("if (version != __packedVersion || !__packedFolded)"))
        {
            w.Line("__packedFolded = true;");
            w.Line("__PackWeights();");
            w.Line("__packedVersion = version;");
        }

        var standalone = _plan.Ops.Where(op => op.Kind == OpKind.BatchNorm && !op.TrainingOnly).ToList();
        if (standalone.Count == 0)
        {
            return;
        }

        w.Line("// BatchNorms not folded into a convolution normalize with their running statistics' scale and shift.");
        w.Line("var parameters = __parameters.ReadOnlySpan;");
        w.Line("var workspace = __batchNormWorkspace.Span;");
        foreach (var op in standalone)
        {
            WriteEvaluationCoefficients(op);
        }
    }

    private void WriteEvaluationCoefficients(OpPlan op)
    {
        var bn = op.BatchNorm!;
        var source = _plan.Tensors[op.Input];
        _writer.Line($"{BatchNormKernels}.EvaluationCoefficients({ParameterSpan(bn.RunningMean)}, {ParameterSpan(bn.RunningVariance)}, {bn.Channels}, {ChannelMap(source)}, {ParameterSpan(bn.Weight)}, {ParameterSpan(bn.Bias)}, {BatchNormOp.Double(bn.Epsilon)}, {WorkspaceVectors(bn, 0, 4)});");
    }

    /// <summary><paramref name="count"/> consecutive workspace vectors from <paramref name="first"/>, as arguments.</summary>
    private static string WorkspaceVectors(BatchNormPlan bn, int first, int count)
        => string.Join(", ", Enumerable.Range(first, count).Select(vector => $"workspace.Slice({bn.WorkspaceOffset + vector * bn.PhysicalChannels}, {bn.PhysicalChannels})"));

    private static string SumVector(BatchNormPlan bn, int vector) => $"sums.Slice({bn.SumsOffset + vector * bn.PhysicalChannels}, {bn.PhysicalChannels})";

    internal string FoldedWeights(OpPlan op, string packed)
        => $"{packed}.Slice({op.BatchNorm!.FoldedOffset}, {_plan.Parameters[_parameterIndex[op.Weights!]].Length}) /* folded weights */";

    internal string FoldedBias(OpPlan op, string packed)
        => $"{packed}.Slice({op.BatchNorm!.FoldedOffset + RoundUp(_plan.Parameters[_parameterIndex[op.Weights!]].Length)}, {op.OutChannels}) /* folded bias */";

    /// <summary>The ReLU argument of a convolution that folds a BN: the BN's ReLU when packed folded (inference), none in training.</summary>
    internal static string? FoldedRelu(OpPlan op) => op.BatchNorm is { FoldedOffset: >= 0 } bn ? (bn.Relu ? "__packedFolded" : "false") : null;

    /// <summary>A folded convolution's packing: fold then pack for inference, the plain weights for training.</summary>
    private string[] FoldedPacking(OpPlan op, string[] packFolded, string[] packPlain)
    {
        var bn = op.BatchNorm!;
        var lines = new List<string>
        {
            $"// Folds {bn.Prefix} (eval: running statistics) into the weights and bias when packing for inference.",
            "if (__packedFolded)",
            "{",
            $"    {BatchNormKernels}.FoldIntoConvolution({ParameterSpan(op.Weights)}, {ParameterSpan(op.Bias)}, {op.OutChannels}, {ParameterSpan(bn.Weight)}, {ParameterSpan(bn.Bias)}, {ParameterSpan(bn.RunningMean)}, {ParameterSpan(bn.RunningVariance)}, {BatchNormOp.Double(bn.Epsilon)}, {FoldedWeights(op, "packed")}, {FoldedBias(op, "packed")});",
        };
        lines.AddRange(packFolded.Select(line => "    " + line));
        lines.Add("}");
        lines.Add("else");
        lines.Add("{");
        lines.AddRange(packPlain.Select(line => "    " + line));
        lines.Add("}");
        return lines.ToArray();
    }

    internal string BatchNormHandle(string layer, string part)
    {
        var op = _plan.Ops.First(candidate => candidate.Layer == layer && candidate.Part == part && candidate.Kind == OpKind.BatchNorm);
        var bn = op.BatchNorm!;
        return $"new global::InceptionGen.BatchNormLayer(\"{op.QualifiedName}\", new global::InceptionGen.FeatureShape({op.OutChannels}, {op.OutHeight}, {op.OutWidth}), __parameters, "
            + $"{ParameterReference(bn.Weight)}, {ParameterReference(bn.Bias)}, {ParameterReference(bn.RunningMean)}, {ParameterReference(bn.RunningVariance)}, {ParameterReference(bn.NumBatchesTracked)}, "
            + $"{BatchNormOp.Double(bn.Epsilon)}, {BatchNormOp.Double(bn.Momentum)}, {Bool(bn.Relu)})";
    }

    // ---- training: stages over the whole batch ---------------------------------------------------

    /// <summary>The pool ops split at the BN ops: stage k starts with BN k's normalize (k ≥ 1) and ends before BN k + 1.</summary>
    private List<List<OpPlan>> Stages()
    {
        var stages = new List<List<OpPlan>> { new() };
        foreach (var (op, _) in PoolOps)
        {
            if (op.Kind == OpKind.BatchNorm)
            {
                stages.Add(new List<OpPlan>());
            }

            stages[stages.Count - 1].Add(op);
        }

        return stages;
    }

    private static string StageBatchNormStem(List<OpPlan> stage) => stage[0].Schedule!.Stem;

    /// <summary>The training step's body, inside its <c>try</c>: forward stages, losses, backward stages, pass by pass.</summary>
    private void WriteBatchNormTrainingStep()
    {
        var w = _writer;
        var stages = Stages();
        w.Line("var passes = (batch + __TrainingImagesPerPass - 1) / __TrainingImagesPerPass;");
        w.Line("global::System.Array.Clear(__batchNormSums);");
        w.Line("__training = true;");
        w.Line("// Forward, stage by stage: a BatchNorm needs the whole batch's statistics before it normalizes any image.");
        for (var k = 0; k < stages.Count; k++)
        {
            if (k > 0)
            {
                w.Line($"__FinishBatchNorm_{StageBatchNormStem(stages[k])}(batch);");
            }

            using (w.Block("for (var pass = 0; pass < passes; pass++)"))
            {
                w.Line("__SetPass(pass, batch);");
                w.Line(k == 0 ? "__TrainingForwardStage0(images.Slice(__passFirstImage * InputLength, __batch * InputLength), __batch);" : $"__TrainingForwardStage{k}(__batch);");
            }
        }

        w.Line("// The losses, pass by pass (each clears its pass's activation gradients first).");
        using (w.Block("for (var pass = 0; pass < passes; pass++)"))
        {
            w.Line("__SetPass(pass, batch);");
            w.Line("var (passTotal, passMain, passCorrect) = __Losses(labels.Slice(__passFirstImage, __batch), __batch, scale);");
            w.Line("total += passTotal;");
            w.Line("main += passMain;");
            w.Line("correct += passCorrect;");
        }

        w.Line("// Backward, stage by stage in reverse: a BatchNorm needs the whole batch's gradient sums before any input gradient.");
        for (var k = stages.Count - 1; k >= 0; k--)
        {
            using (w.Block("for (var pass = 0; pass < passes; pass++)"))
            {
                w.Line("__SetPass(pass, batch);");
                w.Line(k == 0
                    ? "__BackwardStage0(__batch, inputGradient.IsEmpty ? default : inputGradient.Slice(__passFirstImage * InputLength, __batch * InputLength));"
                    : $"__BackwardStage{k}(__batch);");
            }

            if (k > 0)
            {
                w.Line($"__FinishBatchNormGradient_{StageBatchNormStem(stages[k])}(batch);");
            }
        }
    }

    /// <summary>The memory of the passes and the stage methods.</summary>
    private void WriteBatchNormTrainingPasses()
    {
        var w = _writer;
        w.Line("/// <summary>Training memory for a batch: every activation of every image is kept, one buffer per pass of images (allocated when the batch first grows).</summary>");
        w.Line(GeneratedCode);
        using (w.Block("private void __EnsurePassMemory(int batch)"))
        {
            w.Line("var passes = (batch + __TrainingImagesPerPass - 1) / __TrainingImagesPerPass;");
            using (w.Block("if (__passActivations.Length < passes)"))
            {
                w.Line("var activations = new global::InceptionGen.AlignedBuffer[passes];");
                w.Line("var gradients = new global::InceptionGen.AlignedBuffer[passes];");
                using (w.Block("for (var pass = 0; pass < passes; pass++)"))
                {
                    w.Line("activations[pass] = pass < __passActivations.Length ? __passActivations[pass] : new global::InceptionGen.AlignedBuffer((long)TrainingLengthPerImage * __TrainingImagesPerPass);");
                    w.Line("gradients[pass] = pass < __passGradients.Length ? __passGradients[pass] : new global::InceptionGen.AlignedBuffer((long)__TrainingGradientLengthPerImage * __TrainingImagesPerPass);");
                }

                w.Line("__passActivations = activations;");
                w.Line("__passGradients = gradients;");
            }
        }

        w.Line();
        w.Line("/// <summary>Makes pass <paramref name=\"pass\"/> of the batch current: its images and its training memory.</summary>");
        w.Line(GeneratedCode);
        using (w.Block("private void __SetPass(int pass, int batch)"))
        {
            w.Line("__passFirstImage = pass * __TrainingImagesPerPass;");
            w.Line("__batch = global::System.Math.Min(__TrainingImagesPerPass, batch - __passFirstImage);");
            w.Line("__trainingActivations = __passActivations[pass];");
            w.Line("__activationGradients = __passGradients[pass];");
        }

        w.Line();
        var stages = Stages();
        var inputOp = _plan.Ops.First(op => op.Kind == OpKind.InputToBlocked);
        var blockedInput = _plan.Tensors[inputOp.Output];
        var input = _plan.Tensors[inputOp.Input];
        for (var k = 0; k < stages.Count; k++)
        {
            var next = k + 1 < stages.Count ? stages[k + 1][0] : null;
            w.Line($"/// <summary>Training forward stage {k} over one pass of images{(next is null ? "" : $", ending with {next.QualifiedName}'s statistics")}.</summary>");
            w.Line(GeneratedCode);
            using (w.Block(k == 0 ? "private void __TrainingForwardStage0(global::System.ReadOnlySpan<float> input, int batch)" : $"private void __TrainingForwardStage{k}(int batch)"))
            {
                if (k == 0)
                {
                    w.Line("var memory = __trainingActivations!.Span;");
                    using (w.Block("for (var image = 0; image < batch; image++)"))
                    {
                        w.Line($"{Blocked}.PlainToBlocked(input.Slice(image * InputLength, InputLength), {Slice("memory", $"{blockedInput.TrainingOffset} * batch", blockedInput, null, null)}, {input.Channels}, {input.Height}, {input.Width}{PaddingArgument(inputOp)});");
                    }
                }

                foreach (var op in stages[k])
                {
                    w.Line($"__pool.Run(this, {OperationName(op)}, __ItemCount({OperationName(op)}, batch)); // {op.Description}");
                }

                if (next is not null)
                {
                    var blocks = _plan.Tensors[next.Input].PhysicalChannels / 16;
                    using (w.Block("if (!FreezeBatchNorm)"))
                    {
                        w.Line($"// {next.QualifiedName}: add this pass's Σx and Σx², one item per block.");
                        w.Line("__batchNormStatistics = true;");
                        w.Line($"__pool.Run(this, {OperationName(next)}, {blocks});");
                        w.Line("__batchNormStatistics = false;");
                    }
                }
            }

            w.Line();
        }

        for (var k = 0; k < stages.Count; k++)
        {
            var next = k + 1 < stages.Count ? stages[k + 1][0] : null;
            w.Line($"/// <summary>Backward stage {k} over one pass of images, ops in reverse{(k > 0 ? $", ending with {stages[k][0].QualifiedName}'s gradient sums" : "")}.</summary>");
            w.Line(GeneratedCode);
            using (w.Block(k == 0 ? "private void __BackwardStage0(int batch, global::System.Span<float> inputGradient)" : $"private void __BackwardStage{k}(int batch)"))
            {
                if (next is not null)
                {
                    var blocks = _plan.Tensors[next.Input].PhysicalChannels / 16;
                    w.Line($"__pool.Run(this, {BackwardOperation(next, weights: false)}, batch * {blocks}); // {next.QualifiedName} input gradient");
                }

                foreach (var op in Enumerable.Reverse(stages[k]))
                {
                    if (op.Kind == OpKind.BatchNorm)
                    {
                        var blocks = _plan.Tensors[op.Input].PhysicalChannels / 16;
                        w.Line($"__pool.Run(this, {BackwardOperation(op, weights: true)}, {blocks}); // {op.QualifiedName}: gradient sums, one item per block");
                        continue;
                    }

                    WriteBackwardRuns(op);
                }

                if (k == 0)
                {
                    using (w.Block("if (!inputGradient.IsEmpty)"))
                    {
                        w.Line("var gradients = __activationGradients!.Span;");
                        using (w.Block("for (var image = 0; image < batch; image++)"))
                        {
                            w.Line($"{Kernels}.BlockedToPlain({TrainingSlice("gradients", blockedInput)}, default, inputGradient.Slice(image * InputLength, InputLength), {input.Channels}, {input.Height}, {input.Width}{PaddingArgument(inputOp)});");
                        }
                    }
                }
            }

            w.Line();
        }

        foreach (var stage in stages.Skip(1))
        {
            WriteBatchNormFinish(stage[0]);
        }
    }

    /// <summary>The calling thread's per-channel steps of one BN once the whole batch is in: coefficients and running statistics, then the gradient's.</summary>
    private void WriteBatchNormFinish(OpPlan op)
    {
        var w = _writer;
        var bn = op.BatchNorm!;
        var source = _plan.Tensors[op.Input];
        var count = $"(long)batch * {source.Height * source.Width}";
        var nbt = _plan.Parameters[_parameterIndex[bn.NumBatchesTracked]];
        w.Line($"/// <summary>{op.QualifiedName}: the batch's mean and variance into its scale and shift, and the running statistics' update (or, frozen, the running statistics' scale and shift).</summary>");
        w.Line(GeneratedCode);
        using (w.Block($"private void __FinishBatchNorm_{op.Schedule!.Stem}(int batch)"))
        {
            w.Line("var workspace = __batchNormWorkspace.Span;");
            using (w.Block("if (FreezeBatchNorm)"))
            {
                w.Line("var parameters = __parameters.ReadOnlySpan;");
                WriteEvaluationCoefficients(op);
                w.Line("return;");
            }

            w.Line();
            w.Line("var sums = new global::System.Span<double>(__batchNormSums);");
            using (w.Block(null))
            {
                w.Line("var parameters = __parameters.ReadOnlySpan;");
                w.Line($"{BatchNormKernels}.TrainingCoefficients({SumVector(bn, 0)}, {SumVector(bn, 1)}, {count}, {bn.Channels}, {ChannelMap(source)}, {ParameterSpan(bn.Weight)}, {ParameterSpan(bn.Bias)}, {BatchNormOp.Double(bn.Epsilon)}, {WorkspaceVectors(bn, 0, 4)});");
            }

            w.Line("// The running statistics change, so the next inference repacks its folded weights (the version moves on).");
            using (w.Block(null))
            {
                w.Line("var parameters = __parameters.Span;");
                w.Line($"var tracked = (long)parameters[{nbt.Offset}];");
                w.Line($"var factor = {BatchNormKernels}.RunningUpdateFactor({BatchNormOp.Double(bn.Momentum)}, ref tracked);");
                w.Line($"parameters[{nbt.Offset}] = tracked;");
                w.Line($"{BatchNormKernels}.UpdateRunningStatistics({SumVector(bn, 0)}, {SumVector(bn, 1)}, {count}, {bn.Channels}, {ChannelMap(source)}, factor, {ParameterSpan(bn.RunningMean)}, {ParameterSpan(bn.RunningVariance)});");
            }
        }

        w.Line();
        w.Line($"/// <summary>{op.QualifiedName}: the batch's gradient sums into dγ, dβ and the input gradient's coefficients.</summary>");
        w.Line(GeneratedCode);
        using (w.Block($"private void __FinishBatchNormGradient_{op.Schedule!.Stem}(int batch)"))
        {
            w.Line("var workspace = __batchNormWorkspace.Span;");
            w.Line("var sums = new global::System.Span<double>(__batchNormSums);");
            w.Line("var parameters = __parameters.ReadOnlySpan;");
            w.Line("var parameterGradients = __gradients!.Span;");
            var weight = _plan.Parameters[_parameterIndex[bn.Weight]];
            var bias = _plan.Parameters[_parameterIndex[bn.Bias]];
            w.Line($"{BatchNormKernels}.GradientCoefficients({SumVector(bn, 2)}, {SumVector(bn, 3)}, {count}, {bn.Channels}, {ChannelMap(source)}, {WorkspaceVectors(bn, 1, 1)}, {ParameterSpan(bn.Weight)}, batchStatistics: !FreezeBatchNorm, "
                + $"parameterGradients.Slice({weight.Offset}, {weight.Length}), parameterGradients.Slice({bias.Offset}, {bias.Length}), {WorkspaceVectors(bn, 4, 3)});");
        }

        w.Line();
    }
}
