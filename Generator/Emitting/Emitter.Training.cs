using System.Linq;
using InceptionGen.Generator.Descriptors;
using InceptionGen.Generator.Model;
using InceptionGen.Generator.Planning;

namespace InceptionGen.Generator.Emitting;

/// <summary>
/// The training pass of a network that ends in class scores: a forward pass that keeps every activation
/// (auxiliary heads and dropout on), the softmax cross-entropy losses, and the backward pass, op by op in
/// reverse. A batch runs in passes of a few images; parameter gradients add up over the passes, so the
/// memory needed does not grow with the batch.
/// </summary>
internal sealed partial class Emitter
{
    internal const string Backward = "global::InceptionGen.Kernels.ReferenceBackward";
    internal const string BlockedBackward = "global::InceptionGen.Kernels.BlockedBackwardKernels";

    private void WriteTraining()
    {
        WriteTrainingMembers();
        WriteTrainingApi();
        WriteTrainingPasses();
        WriteBackwardDispatch();
        WriteGradientPacking();
    }

    private void WriteTrainingMembers()
    {
        var w = _writer;
        w.Line("/// <summary>Floats of training memory per image: every activation kept for the backward pass, and the dropout masks.</summary>");
        w.Line(GeneratedCode);
        w.Line($"public const int TrainingLengthPerImage = {_plan.TrainingLengthPerImage};");
        w.Line("/// <summary>Floats per image of the activation gradients: the training memory's tensors, without its scratch slots and masks.</summary>");
        w.Line(GeneratedCode);
        w.Line($"private const int __TrainingGradientLengthPerImage = {_plan.TrainingGradientLengthPerImage};");
        w.Line();
        w.Line(GeneratedCode);
        w.Line("private global::InceptionGen.AlignedBuffer? __trainingActivations;");
        w.Line(GeneratedCode);
        w.Line("private global::InceptionGen.AlignedBuffer? __activationGradients;");
        w.Line(GeneratedCode);
        w.Line("private global::InceptionGen.ParameterStore? __gradients;");
        w.Line(GeneratedCode);
        w.Line("private bool __training;");
        w.Line(GeneratedCode);
        w.Line("private bool __wantInputGradient;");
        w.Line(GeneratedCode);
        w.Line("private int __passFirstImage;");
        w.Line(GeneratedCode);
        w.Line("private long __trainingStep;");
        w.Line(GeneratedCode);
        w.Line("private global::InceptionGen.AlignedBuffer? __transposedWeights;");
        w.Line(GeneratedCode);
        w.Line("private global::InceptionGen.AlignedBuffer? __packedGradients;");
        w.Line(GeneratedCode);
        w.Line("private int __transposedVersion = -1;");
        w.Line(GeneratedCode);
        w.Line($"private const int __TransposedWeightsLength = {_plan.TransposedWeightsLength};");
        w.Line();
        w.Line("/// <summary>The gradient of the loss for every parameter, laid out like <see cref=\"Parameters\"/>; filled by <see cref=\"Backward(global::System.ReadOnlySpan{float}, global::System.ReadOnlySpan{int}, int)\"/>.</summary>");
        w.Line(GeneratedCode);
        w.Line("public global::InceptionGen.ParameterStore Gradients => __gradients ??= new global::InceptionGen.ParameterStore(__parameterTensors, ParameterBlockLength);");
        w.Line();
        w.Line("/// <summary>Seed of the dropout masks; with the step count and the image's index it decides every mask, so results do not depend on threads.</summary>");
        w.Line(GeneratedCode);
        w.Line("public ulong DropoutSeed { get; set; }");
        w.Line();
        w.Line("/// <summary>Label smoothing of the training loss (0: none), for the main classifier and every auxiliary head; see <see cref=\"global::InceptionGen.ITrainableNetwork.LabelSmoothing\"/>.</summary>");
        w.Line(GeneratedCode);
        w.Line("public float LabelSmoothing { get; set; }");
        w.Line();
        w.Line("/// <summary>Training steps (calls of Backward) so far; it moves the dropout masks on.</summary>");
        w.Line(GeneratedCode);
        w.Line("public long TrainingStep { get => __trainingStep; set => __trainingStep = value; }");
        w.Line();
    }

    private void WriteTrainingApi()
    {
        var w = _writer;
        w.Line("/// <summary>One optimizer step on a batch: <see cref=\"Backward(global::System.ReadOnlySpan{float}, global::System.ReadOnlySpan{int}, int)\"/>, then <paramref name=\"optimizer\"/> updates the parameters.</summary>");
        w.Line(GeneratedCode);
        using (w.Block("public global::InceptionGen.Training.TrainingLoss TrainStep(global::System.ReadOnlySpan<float> images, global::System.ReadOnlySpan<int> labels, int batch, global::InceptionGen.Training.IOptimizer optimizer)"))
        {
            w.Line("global::System.ArgumentNullException.ThrowIfNull(optimizer);");
            w.Line("var loss = Backward(images, labels, batch);");
            w.Line("optimizer.Step(__parameters, Gradients.ReadOnlySpan);");
            w.Line("return loss;");
        }

        w.Line();
        w.Line("/// <summary>");
        w.Line("/// The training forward pass (auxiliary heads and dropout on) and the backward pass on a batch with integer class");
        w.Line("/// labels. The loss is the mean softmax cross-entropy of the main classifier plus each auxiliary head's times its");
        w.Line("/// weight; <see cref=\"Gradients\"/> receives its gradient (overwritten, not added to). Allocates nothing after the first call.");
        w.Line("/// </summary>");
        w.Line(GeneratedCode);
        w.Line("public global::InceptionGen.Training.TrainingLoss Backward(global::System.ReadOnlySpan<float> images, global::System.ReadOnlySpan<int> labels, int batch)");
        w.Line("    => Backward(images, labels, batch, default);");
        w.Line();
        w.Line("/// <summary>As <see cref=\"Backward(global::System.ReadOnlySpan{float}, global::System.ReadOnlySpan{int}, int)\"/>, and writes the gradient of the loss with respect to the images (NCHW) to <paramref name=\"inputGradient\"/> unless it is empty.</summary>");
        w.Line(GeneratedCode);
        using (w.Block("public global::InceptionGen.Training.TrainingLoss Backward(global::System.ReadOnlySpan<float> images, global::System.ReadOnlySpan<int> labels, int batch, global::System.Span<float> inputGradient)"))
        {
            w.Line("global::System.ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);");
            using (w.Block("if (images.Length < batch * InputLength)"))
            {
                w.Line("throw new global::System.ArgumentException($\"images holds {images.Length} floats; a batch of {batch} needs {batch * InputLength} ({InputChannels}x{InputHeight}x{InputWidth} each).\", nameof(images));");
            }

            using (w.Block("if (labels.Length < batch)"))
            {
                w.Line("throw new global::System.ArgumentException($\"labels holds {labels.Length} labels; a batch of {batch} needs {batch}.\", nameof(labels));");
            }

            using (w.Block("if (!inputGradient.IsEmpty && inputGradient.Length < batch * InputLength)"))
            {
                w.Line("throw new global::System.ArgumentException($\"inputGradient holds {inputGradient.Length} floats; a batch of {batch} needs {batch * InputLength}.\", nameof(inputGradient));");
            }

            using (w.Block("for (var image = 0; image < batch; image++)"))
            using (w.Block($"if ((uint)labels[image] >= {_plan.Tensors[_plan.Logits].Channels})"))
            {
                w.Line($"throw new global::System.ArgumentOutOfRangeException(nameof(labels), labels[image], $\"label of image {{image}} is not a class in [0, {_plan.Tensors[_plan.Logits].Channels}).\");");
            }

            w.Line();
            if (_plan.HasBatchNorm)
            {
                w.Line("__EnsurePassMemory(batch);");
            }
            else
            {
                w.Line("__trainingActivations ??= new global::InceptionGen.AlignedBuffer((long)TrainingLengthPerImage * __TrainingImagesPerPass);");
                w.Line("__activationGradients ??= new global::InceptionGen.AlignedBuffer((long)__TrainingGradientLengthPerImage * __TrainingImagesPerPass);");
            }

            w.Line("var gradients = Gradients;");
            w.Line("gradients.Span.Clear();");
            w.Line("var version = __parameters.Version;");
            using (w.Block(_plan.HasBatchNorm ? "if (version != __packedVersion || __packedFolded)" : "if (version != __packedVersion)"))
            {
                if (_plan.HasBatchNorm)
                {
                    w.Line("__packedFolded = false;");
                }

                w.Line("__PackWeights();");
                w.Line("__packedVersion = version;");
            }

            w.Line("__transposedWeights ??= new global::InceptionGen.AlignedBuffer(__TransposedWeightsLength);");
            w.Line("__packedGradients ??= new global::InceptionGen.AlignedBuffer(PackedWeightsLength);");
            using (w.Block("if (version != __transposedVersion)"))
            {
                w.Line("__PackTransposedWeights();");
                w.Line("__transposedVersion = version;");
            }

            w.Line("__packedGradients.Span.Clear();");
            w.Line("__trainingStep++;");
            w.Line("__wantInputGradient = !inputGradient.IsEmpty;");
            w.Line("var total = 0.0;");
            w.Line("var main = 0.0;");
            w.Line("var correct = 0;");
            w.Line("var scale = 1f / batch;");
            using (w.Block("try"))
            {
                if (_plan.HasBatchNorm)
                {
                    WriteBatchNormTrainingStep();
                }
                else
                using (w.Block("for (var first = 0; first < batch; first += __TrainingImagesPerPass)"))
                {
                    w.Line("var count = global::System.Math.Min(__TrainingImagesPerPass, batch - first);");
                    w.Line("__batch = count;");
                    w.Line("__training = true;");
                    w.Line("__passFirstImage = first;");
                    w.Line("__TrainingForwardPass(images.Slice(first * InputLength, count * InputLength), count);");
                    w.Line("var (passTotal, passMain, passCorrect) = __Losses(labels.Slice(first, count), count, scale);");
                    w.Line("total += passTotal;");
                    w.Line("main += passMain;");
                    w.Line("correct += passCorrect;");
                    w.Line("__BackwardPass(count, inputGradient.IsEmpty ? default : inputGradient.Slice(first * InputLength, count * InputLength));");
                }
            }

            using (w.Block("finally"))
            {
                if (_plan.HasBatchNorm)
                {
                    w.Line("__batchNormStatistics = false;");
                }

                w.Line("__training = false;");
                w.Line("__batch = 0;");
            }

            w.Line("// The vectorized kernels summed weight gradients in the packed order: add them to Gradients once.");
            using (w.Block($"if ({Vector128Accelerated})"))
            {
                w.Line("__AddPackedGradients();");
            }

            w.Line("return new global::InceptionGen.Training.TrainingLoss((float)(total / batch), (float)(main / batch)) { Correct = correct };");
        }

        w.Line();
    }

    private void WriteTrainingPasses()
    {
        var w = _writer;
        var inputOp = _plan.Ops.First(op => op.Kind == OpKind.InputToBlocked);
        var blockedInput = _plan.Tensors[inputOp.Output];
        var input = _plan.Tensors[inputOp.Input];
        if (_plan.HasBatchNorm)
        {
            WriteBatchNormTrainingPasses();
            WriteLosses();
            return;
        }

        w.Line("/// <summary>The training forward pass over one pass of images: every op, auxiliary heads and dropout included, into the training memory.</summary>");
        w.Line(GeneratedCode);
        using (w.Block("private void __TrainingForwardPass(global::System.ReadOnlySpan<float> input, int batch)"))
        {
            w.Line("var memory = __trainingActivations!.Span;");
            using (w.Block("for (var image = 0; image < batch; image++)"))
            {
                w.Line($"{Blocked}.PlainToBlocked(input.Slice(image * InputLength, InputLength), {Slice("memory", $"{blockedInput.TrainingOffset} * batch", blockedInput, null, null)}, {input.Channels}, {input.Height}, {input.Width}{PaddingArgument(inputOp)});");
            }

            foreach (var (op, index) in PoolOps)
            {
                w.Line($"__pool.Run(this, {OperationName(op)}, __ItemCount({OperationName(op)}, batch)); // {op.Description}");
            }
        }

        w.Line();
        WriteLosses();
        WriteBackwardPass(blockedInput, input, inputOp);
    }

    private void WriteLosses()
    {
        var w = _writer;
        var logits = _plan.Tensors[_plan.Logits];
        w.Line("/// <summary>Softmax cross-entropy of the main classifier and of each auxiliary head for one pass; writes the logits' gradients (scaled for the batch mean) and counts the main classifier's right answers.</summary>");
        w.Line(GeneratedCode);
        using (w.Block("private (double Total, double Main, int Correct) __Losses(global::System.ReadOnlySpan<int> labels, int batch, float scale)"))
        {
            w.Line("var activations = __trainingActivations!.Span;");
            w.Line("var gradients = __activationGradients!.Span;");
            w.Line("// Only the tensors' gradients: the scratch slots and masks after them live in the activations.");
            w.Line("gradients[..(batch * __TrainingGradientLengthPerImage)].Clear();");
            w.Line("var total = 0.0;");
            w.Line("var main = 0.0;");
            w.Line("var correct = 0;");
            using (w.Block("for (var image = 0; image < batch; image++)"))
            {
                w.Line($"correct += global::InceptionGen.Training.SoftmaxCrossEntropy.IsTopClass({TrainingSlice("activations", logits)}, labels[image]) ? 1 : 0;");
                w.Line($"var loss = global::InceptionGen.Training.SoftmaxCrossEntropy.Loss({TrainingSlice("activations", logits)}, labels[image], {TrainingSlice("gradients", logits)}, scale, LabelSmoothing);");
                w.Line("main += loss;");
                w.Line("total += loss;");
                foreach (var head in _plan.AuxiliaryLosses)
                {
                    var headLogits = _plan.Tensors[head.Logits];
                    w.Line($"// {head.Layer}: weight {Float(head.Weight)}");
                    w.Line($"total += {Float(head.Weight)} * global::InceptionGen.Training.SoftmaxCrossEntropy.Loss({TrainingSlice("activations", headLogits)}, labels[image], {TrainingSlice("gradients", headLogits)}, {Float(head.Weight)} * scale, LabelSmoothing);");
                }
            }

            w.Line("return (total, main, correct);");
        }

        w.Line();
    }

    private void WriteBackwardPass(TensorPlan blockedInput, TensorPlan input, OpPlan inputOp)
    {
        var w = _writer;
        w.Line("/// <summary>The backward pass over one pass of images: every op in reverse; weight gradients add up in <see cref=\"Gradients\"/>.</summary>");
        w.Line(GeneratedCode);
        using (w.Block("private void __BackwardPass(int batch, global::System.Span<float> inputGradient)"))
        {
            foreach (var (op, index) in PoolOps.Reverse())
            {
                WriteBackwardRuns(op);
            }

            using (w.Block("if (!inputGradient.IsEmpty)"))
            {
                w.Line("var gradients = __activationGradients!.Span;");
                using (w.Block("for (var image = 0; image < batch; image++)"))
                {
                    w.Line($"{Kernels}.BlockedToPlain({TrainingSlice("gradients", blockedInput)}, default, inputGradient.Slice(image * InputLength, InputLength), {input.Channels}, {input.Height}, {input.Width}{PaddingArgument(inputOp)});");
                }
            }
        }

        w.Line();
    }

    /// <summary>An op's backward on the pool: its input gradient, then its weight gradients when it has weights.</summary>
    private void WriteBackwardRuns(OpPlan op)
    {
        var w = _writer;
        var perImage = op.Schedule!.BackwardItemsPerImage;
        w.Line($"__pool.Run(this, {BackwardOperation(op, weights: false)}, {(perImage == 1 ? "batch" : $"batch * ({Vector128Accelerated} ? {perImage} : 1)")}); // {op.Kind} input gradient");
        if (op.Weights is not null)
        {
            var weightItems = op.Schedule.WeightGradientItems;
            var items = op.Kind == OpKind.Conv || weightItems > 1 ? $"{Vector128Accelerated} ? {weightItems} : 1" : "1";
            w.Line($"__pool.Run(this, {BackwardOperation(op, weights: true)}, {items}); // weight gradients");
        }
    }

    private void WriteGradientPacking()
    {
        var w = _writer;
        static bool Transposed(OpPlan op) => op.Backward!.TransposedOffset >= 0;
        w.Line("/// <summary>Packs each stride-1 convolution's flipped, transposed weights for its input-gradient pass, one convolution per pool item.</summary>");
        w.Line(GeneratedCode);
        using (w.Block("private void __PackTransposedWeights()"))
        {
            w.Line($"__pool.Run(this, __PackTransposedWeightsOperation, {Convolutions.Count(Transposed)});");
        }

        w.Line();
        WriteConvolutionItems("__PackTransposedWeights", ["var parameters = __parameters.ReadOnlySpan;", "var packed = __transposedWeights!.Span;"], op =>
        {
            var source = _plan.Tensors[op.Input];
            if (op.Backward!.InputGradientWinograd is not null)
            {
                return [WinogradTransposedPackStatement(op, source, ParameterSpan(op.Weights))];
            }

            return [$"global::InceptionGen.Kernels.WeightPacking.PackTransposedConvolution({ParameterSpan(op.Weights)}, packed.Slice({op.Backward!.TransposedOffset}, {source.PhysicalChannels * op.OutChannels * op.Kernel.Area}), {op.OutChannels}, {source.Channels}, {KernelValues(op.Kernel)}, {ChannelMap(source)}, {source.PhysicalChannels});"];
        }, Transposed);

        w.Line("/// <summary>Adds the weight and bias gradients the vectorized kernels summed in the packed order into <see cref=\"Gradients\"/>, one convolution per pool item.</summary>");
        w.Line(GeneratedCode);
        using (w.Block("private void __AddPackedGradients()"))
        {
            w.Line($"__pool.Run(this, __AddPackedGradientsOperation, {Convolutions.Count});");
        }

        w.Line();
        WriteConvolutionItems("__AddPackedGradients", ["var packed = __packedGradients!.Span;", "var gradients = __gradients!.Span;"], op =>
        {
            var source = _plan.Tensors[op.Input];
            var weights = _plan.Parameters[_parameterIndex[op.Weights!]];
            var bias = op.Bias is null ? "default" : $"gradients.Slice({_plan.Parameters[_parameterIndex[op.Bias]].Offset}, {op.OutChannels})";
            return [$"global::InceptionGen.Kernels.WeightPacking.AddUnpackedGradient(packed.Slice({op.PackedOffset}, {op.Schedule!.PackedLength}), packed.Slice({op.PackedBiasOffset}, {RoundUp(op.OutChannels)}), gradients.Slice({weights.Offset}, {weights.Length}), {bias}, {op.OutChannels}, {source.Channels}, {KernelValues(op.Kernel)}, {ChannelMap(source)}, {op.LoopChannels});"];
        });
    }

    internal static string TrainingSlice(string memory, TensorPlan tensor, string? extra = null, int? length = null)
        => Slice(memory, $"{tensor.TrainingOffset} * batch", tensor, extra, length);

    private void WriteBackwardDispatch()
    {
        var w = _writer;
        w.Line("/// <summary>Runs items [begin, end) of a backward op: 2 × op index for input gradients, + 1 for weight gradients.</summary>");
        w.Line(GeneratedCode);
        using (w.Block("private void __Backward(int operation, int begin, int end, int batch)"))
        {
            using (w.Block("switch (operation)"))
            {
                foreach (var (op, index) in PoolOps)
                {
                    w.Line($"case 2 * {OperationName(op)}: {BackwardName(op)}(begin, end, batch, weights: false); break;");
                    if (op.Weights is not null)
                    {
                        w.Line($"case 2 * {OperationName(op)} + 1: {BackwardName(op)}(begin, end, batch, weights: true); break;");
                    }
                }

                w.Line("default: throw new global::System.ArgumentOutOfRangeException(nameof(operation));");
            }
        }

        w.Line();
    }

    private void WriteBackwardOp(OpPlan op)
    {
        var w = _writer;
        var source = _plan.Tensors[op.Input];
        var target = _plan.Tensors[op.Output];
        var readsNetworkInput = ReadsNetworkInput(op);
        w.Line($"// Backward of {op.QualifiedName}: {op.Description}");
        w.Line(GeneratedCode);
        using (w.Block($"private void {BackwardName(op)}(int begin, int end, int batch, bool weights)"))
        {
            w.Line("var activations = __trainingActivations!.Span;");
            w.Line("var gradients = __activationGradients!.Span;");
            var slice = op.OutputChannelOffset * target.Height * target.Width;
            var descriptor = OpDescriptor.For(op.Kind);
            var outputLength = descriptor.BackwardOutputLength(op, source, target);
            string Y(string memory) => TrainingSlice(memory, target, slice > 0 ? slice.ToString(System.Globalization.CultureInfo.InvariantCulture) : null, outputLength);
            string X(string memory) => TrainingSlice(memory, source);
            descriptor.WriteBackward(this, new BackwardContext(op, source, target, Y, X, X("gradients"), readsNetworkInput ? "if (__wantInputGradient) " : "", readsNetworkInput));
        }

        w.Line();
    }

    internal static string BackwardName(OpPlan op) => "__Backward_" + op.Schedule!.Stem;

    /// <summary>The worker-pool number of an op's input-gradient or weight-gradient run.</summary>
    internal static string BackwardOperation(OpPlan op, bool weights) => $"__BackwardOperationBase + 2 * {OperationName(op)}{(weights ? " + 1" : "")}";

    /// <summary>
    /// Whether an op reads the network input (directly, or through the pad in front of a convolution): its
    /// input gradient is only computed when the caller asks for the gradient with respect to the images.
    /// </summary>
    private bool ReadsNetworkInput(OpPlan op)
    {
        var producer = _plan.Ops.FirstOrDefault(candidate => candidate.Output == op.Input);
        return producer?.Kind == OpKind.InputToBlocked || (producer?.Kind == OpKind.Pad && ReadsNetworkInput(producer));
    }

    internal static string MaskSlice(OpPlan op, TensorPlan target, string memory = "activations")
        => $"{memory}.Slice({op.MaskOffset} * batch + image * {target.Length}, {target.Length}) /* dropout mask */";

    internal static string ConvGeometryText(OpPlan op, TensorPlan source)
        => $"new global::InceptionGen.Kernels.ConvGeometry(InChannels: {source.Channels}, InHeight: {source.Height}, InWidth: {source.Width}, OutChannels: {op.OutChannels}, OutHeight: {op.OutHeight}, OutWidth: {op.OutWidth}, {GeometryArguments(op, padding: 0)}, Relu: {Bool(op.Relu)})";

    internal static string PoolGeometryText(OpPlan op, TensorPlan source)
        => $"new global::InceptionGen.Kernels.PoolGeometry(Channels: {source.PhysicalChannels}, InHeight: {source.Height}, InWidth: {source.Width}, OutHeight: {op.OutHeight}, OutWidth: {op.OutWidth}, {GeometryArguments(op)})";

    /// <summary>
    /// A geometry's named kernel, stride and padding arguments: <c>Kernel: 3, Stride: 1, Padding: 1</c> when all three are
    /// square (the constructor every square network has always called), else the six height and width values.
    /// </summary>
    internal static string GeometryArguments(OpPlan op, SizePair? padding = null)
    {
        var (kernel, stride, pad) = (op.Kernel, op.Stride, padding ?? op.Padding);
        return kernel.IsSquare && stride.IsSquare && pad.IsSquare
            ? $"Kernel: {kernel.Height}, Stride: {stride.Height}, Padding: {pad.Height}"
            : $"KernelHeight: {kernel.Height}, KernelWidth: {kernel.Width}, StrideHeight: {stride.Height}, StrideWidth: {stride.Width}, PaddingHeight: {pad.Height}, PaddingWidth: {pad.Width}";
    }

    /// <summary>Kernel, stride and padding as positional arguments (graph nodes, layer handles): three numbers when all are square, else six.</summary>
    internal static string Geometry(OpPlan op)
        => op.Kernel.IsSquare && op.Stride.IsSquare && op.Padding.IsSquare
            ? $"{op.Kernel.Height}, {op.Stride.Height}, {op.Padding.Height}"
            : $"{op.Kernel.Height}, {op.Kernel.Width}, {op.Stride.Height}, {op.Stride.Width}, {op.Padding.Height}, {op.Padding.Width}";

    /// <summary>A padding as the kernels' arguments: one number when square, else height and width.</summary>
    internal static string PaddingValues(SizePair padding) => padding.IsSquare ? $"{padding.Height}" : $"{padding.Height}, {padding.Width}";

    /// <summary>A kernel as the weight packing's arguments: one number when square, else height and width.</summary>
    internal static string KernelValues(SizePair kernel) => kernel.IsSquare ? $"{kernel.Height}" : $"{kernel.Height}, {kernel.Width}";
}
