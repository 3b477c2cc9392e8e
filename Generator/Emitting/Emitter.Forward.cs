using System;
using System.Collections.Generic;
using System.Linq;
using InceptionGen.Generator.Descriptors;
using InceptionGen.Generator.Planning;

namespace InceptionGen.Generator.Emitting;

/// <summary>
/// The forward pass: <c>Forward</c> converts the input on the calling thread, runs every op on the worker
/// pool as a range of independent items, and copies the result out. Each op gets its own method with its
/// shapes as constants; ops that touch only the arena are the only ones the workers run.
/// </summary>
internal sealed partial class Emitter
{
    internal const string Vector512Accelerated = "global::System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated";
    internal const string Vector256Accelerated = "global::System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated";
    internal const string Vector128Accelerated = "global::System.Runtime.Intrinsics.Vector128.IsHardwareAccelerated";
    internal const string Blocked = "global::InceptionGen.Kernels.BlockedKernels";
    internal const string Unsafe = "global::System.Runtime.CompilerServices.Unsafe";

    /// <summary>Output rows per item of a Linear op (the plan's schedule).</summary>
    internal int LinearRowsPerItem => Schedule.LinearRowsPerItem;

    /// <summary>The ops of the inference pass with their index in the plan (the operation number the pool runs them under).</summary>
    private IEnumerable<(OpPlan Op, int Index)> InferenceOps => _plan.Ops.Select((op, index) => (op, index)).Where(entry => !entry.op.TrainingOnly);

    /// <summary>
    /// The ops the worker pool runs, with their index: all but the first and last (they touch the caller's
    /// spans), and the training-only ones only when the training pass is generated.
    /// </summary>
    private IEnumerable<(OpPlan Op, int Index)> PoolOps => _plan.Ops.Select((op, index) => (op, index))
        .Where(entry => !RunsOnCallingThread(entry.op) && (_plan.IsTrainable || !entry.op.TrainingOnly));

    /// <summary>The input layout's zero border, when the planner gave it the first convolution's padding.</summary>
    internal static string PaddingArgument(OpPlan inputLayout)
        => inputLayout.Padding.IsSquare
            ? inputLayout.Padding.Height > 0 ? $", padding: {inputLayout.Padding.Height}" : ""
            : $", paddingHeight: {inputLayout.Padding.Height}, paddingWidth: {inputLayout.Padding.Width}";

    /// <summary>The network's own first and last ops touch the caller's spans, so they run on the calling thread.</summary>
    private static bool RunsOnCallingThread(OpPlan op) => op.IsNetworkBoundary;

    /// <summary>
    /// The identifiers of an op's generated members: a fixed verb, then the op's stem, which the plan made unique.
    /// Every private generated member starts with two underscores, which C# reserves for the implementation, so no
    /// user member can take one of these names.
    /// </summary>
    internal static string MethodName(OpPlan op) => "__Forward_" + op.Schedule!.Stem;

    /// <summary>The named constant of an op's worker-pool operation number.</summary>
    internal static string OperationName(OpPlan op) => "__Op_" + op.Schedule!.Stem;

    private void WriteForward()
    {
        var w = _writer;
        w.Line("/// <summary>");
        w.Line("/// Inference on <paramref name=\"batch\"/> images: <paramref name=\"input\"/> holds batch × <see cref=\"InputLength\"/> floats");
        w.Line("/// (NCHW), <paramref name=\"output\"/> receives batch × <see cref=\"OutputLength\"/>. Auxiliary heads and dropout are off.");
        w.Line("/// It allocates nothing, and one instance runs one call at a time.");
        w.Line("/// </summary>");
        w.Line(GeneratedCode);
        using (w.Block("public void Forward(global::System.ReadOnlySpan<float> input, global::System.Span<float> output, int batch)"))
        {
            w.Line("global::System.ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);");
            w.Line("global::System.ArgumentOutOfRangeException.ThrowIfGreaterThan(batch, MaxBatch);");
            using (w.Block("if (input.Length < batch * InputLength)"))
            {
                w.Line("throw new global::System.ArgumentException($\"input holds {input.Length} floats; a batch of {batch} needs {batch * InputLength} ({InputChannels}x{InputHeight}x{InputWidth} each).\", nameof(input));");
            }

            using (w.Block("if (output.Length < batch * OutputLength)"))
            {
                w.Line("throw new global::System.ArgumentException($\"output holds {output.Length} floats; a batch of {batch} needs {batch * OutputLength}.\", nameof(output));");
            }

            w.Line();
            w.Line("// Convolutions read weights repacked for the kernels; repack when the parameters moved on.");
            w.Line("var version = __parameters.Version;");
            if (_plan.HasBatchNorm)
            {
                WriteInferencePacking();
            }
            else
            {
                using (w.Block("if (version != __packedVersion)"))
                {
                    w.Line("__PackWeights();");
                    w.Line("__packedVersion = version;");
                }
            }

            w.Line();
            w.Line("// Large batches run in passes of a few images, so that each layer's tensors stay in cache.");
            using (w.Block("for (var first = 0; first < batch; first += __ImagesPerPass)"))
            {
                w.Line("var images = global::System.Math.Min(__ImagesPerPass, batch - first);");
                w.Line("__ForwardPass(input.Slice(first * InputLength, images * InputLength), output.Slice(first * OutputLength, images * OutputLength), images);");
            }
        }

        w.Line();
        w.Line("/// <summary>One pass of the forward pass over <paramref name=\"batch\"/> images, every op in order.</summary>");
        w.Line(GeneratedCode);
        using (w.Block("private void __ForwardPass(global::System.ReadOnlySpan<float> input, global::System.Span<float> output, int batch)"))
        {
            w.Line("__batch = batch;");
            if (_plan.IsTrainable)
            {
                w.Line("__training = false;");
            }

            w.Line("var activations = __activations.Span;");
            foreach (var (op, index) in InferenceOps)
            {
                w.Line();
                WriteOpComment(op);
                if (RunsOnCallingThread(op))
                {
                    WriteCallerOp(op);
                }
                else
                {
                    w.Line($"__pool.Run(this, {OperationName(op)}, __ItemCount({OperationName(op)}, batch));");
                }
            }
        }

        w.Line();
    }

    private void WriteOpComment(OpPlan op)
        => _writer.Line(op.IsNetworkBoundary ? $"// {op.Description}" : $"// {op.QualifiedName}: {op.Description}");

    /// <summary>The first and last op touch the caller's spans, so they run here, one image at a time.</summary>
    private void WriteCallerOp(OpPlan op)
    {
        var w = _writer;
        var source = _plan.Tensors[op.Input];
        var target = _plan.Tensors[op.Output];
        using (w.Block("for (var image = 0; image < batch; image++)"))
        {
            OpDescriptor.For(op.Kind).WriteCallerForward(this, op, source, target);
        }
    }

    private void WriteOperationTable()
    {
        var w = _writer;
        w.Line("/// <summary>");
        w.Line("/// The ops of the forward pass by worker-pool operation index (for per-layer profiles); training-only ops are flagged.");
        w.Line("/// In a trainable network each also names the pool numbers of its backward runs and the parameters whose gradients it writes.");
        w.Line("/// </summary>");
        w.Line(GeneratedCode);
        using (w.Block("public static global::System.Collections.Generic.IReadOnlyList<global::InceptionGen.OperationInfo> Operations { get; } =", "[", "];"))
        {
            foreach (var op in _plan.Ops)
            {
                w.Line($"new(\"{op.QualifiedName}\", \"{op.Description}\", {op.MultiplyAdds}, {Bool(op.TrainingOnly)}){BackwardInitializer(op)},");
            }
        }

        w.Line();
        w.Line("// The worker-pool number of each op, its index in Operations; its backward runs under __BackwardOperationBase + 2 × it (input gradient) and + 1 (weight gradients).");
        foreach (var op in _plan.Ops)
        {
            w.Line($"private const int {OperationName(op)} = {op.Schedule!.Index};");
        }

        w.Line();
    }

    /// <summary>The operation table's backward fields of <paramref name="op"/>, from its schedule; empty when it has no backward run.</summary>
    private static string BackwardInitializer(OpPlan op)
    {
        var schedule = op.Schedule!;
        if (schedule.InputGradientOperation < 0)
        {
            return "";
        }

        var fields = new List<string> { $"InputGradientOperation = {schedule.InputGradientOperation}" };
        if (schedule.WeightGradientOperation >= 0)
        {
            var parameters = new[] { op.Weights, op.Bias }.Where(name => name is not null).Select(name => $"\"{name}\"");
            fields.Add($"WeightGradientOperation = {schedule.WeightGradientOperation}");
            fields.Add($"Parameters = [{string.Join(", ", parameters)}]");
            if (OpDescriptor.For(op.Kind).WritesGradientsInPlace)
            {
                fields.Add("WritesGradientsInPlace = true");
            }
        }

        return " { " + string.Join(", ", fields) + " }";
    }

    private void WriteDispatch()
    {
        var w = _writer;
        WriteOperationTable();
        w.Line("/// <summary>");
        w.Line("/// Runs items [begin, end) of op <paramref name=\"operation\"/>, called by the worker pool. The same op methods serve");
        w.Line("/// inference and training; they differ in where the tensors live (the arena, or the training memory).");
        w.Line("/// </summary>");
        w.Line(GeneratedCode);
        using (w.Block("void global::InceptionGen.Threading.IRangeWork.Execute(int operation, int begin, int end)"))
        {
            w.Line("var batch = __batch;");
            if (_plan.IsTrainable)
            {
                w.Line("var training = __training;");
                w.Line("var memory = training ? __trainingActivations!.Span : __activations.Span;");
                using (w.Block("if (operation >= __BackwardOperationBase)"))
                {
                    w.Line("__Backward(operation - __BackwardOperationBase, begin, end, batch);");
                    w.Line("return;");
                }

                w.Line();
            }
            else
            {
                w.Line("var memory = __activations.Span;");
            }

            using (w.Block("switch (operation)"))
            {
                foreach (var (op, index) in PoolOps)
                {
                    var source = _plan.Tensors[op.Input];
                    var target = _plan.Tensors[op.Output];
                    w.Line($"case {OperationName(op)}: {MethodName(op)}(begin, end, memory, {BaseOffset(op, source)}, {BaseOffset(op, target)}); break;");
                }

                w.Line("case __PackWeightsOperation: __PackWeights(begin, end); break;");
                if (_plan.IsTrainable)
                {
                    w.Line("case __PackTransposedWeightsOperation: __PackTransposedWeights(begin, end); break;");
                    w.Line("case __AddPackedGradientsOperation: __AddPackedGradients(begin, end); break;");
                }

                w.Line("default: throw new global::System.ArgumentOutOfRangeException(nameof(operation));");
            }
        }

        w.Line();
        w.Line("/// <summary>");
        w.Line("/// Runs one op of the forward pass again on the pool, with the batch of the last pass, for per-layer timing.");
        w.Line("/// The first and last op (they touch the caller's spans) and training-only ops cannot be run alone.");
        w.Line("/// </summary>");
        w.Line(GeneratedCode);
        using (w.Block("public void RunOperation(int operation)"))
        {
            using (w.Block(_plan.IsTrainable ? "if (__batch == 0 || __training)" : "if (__batch == 0)"))
            {
                w.Line("throw new global::System.InvalidOperationException(\"Run Forward once before timing single operations.\");");
            }

            using (w.Block("if ((uint)operation >= (uint)Operations.Count || Operations[operation].TrainingOnly)"))
            {
                w.Line("throw new global::System.ArgumentOutOfRangeException(nameof(operation), operation, \"not an op of the inference pass\");");
            }

            w.Line("__pool.Run(this, operation, __ItemCount(operation, __batch));");
        }

        w.Line();
        w.Line("/// <summary>");
        w.Line("/// Items op <paramref name=\"operation\"/> splits a pass of <paramref name=\"batch\"/> images into: the vectorized");
        w.Line("/// kernels take blocks or rows of an image per item, the scalar fallback a whole image.");
        w.Line("/// </summary>");
        w.Line(GeneratedCode);
        using (w.Block("private static int __ItemCount(int operation, int batch) => operation switch", "{", "};"))
        {
            foreach (var (op, index) in PoolOps)
            {
                w.Line($"{OperationName(op)} => {ItemCountExpression(op)},");
            }

            w.Line("_ => throw new global::System.ArgumentOutOfRangeException(nameof(operation), operation, \"not an op that runs on the pool\"),");
        }

        w.Line();
    }

    /// <summary>
    /// The start of a tensor's batch in the memory an op runs on: the arena offset in inference, the training
    /// offset in training (training-only ops have only the latter), times the batch of the pass.
    /// </summary>
    internal string BaseOffset(OpPlan op, TensorPlan tensor)
    {
        if (op.TrainingOnly || !_plan.IsTrainable)
        {
            return $"{(op.TrainingOnly ? tensor.TrainingOffset : tensor.ArenaOffset)} * batch";
        }

        return tensor.ArenaOffset == tensor.TrainingOffset ? $"{tensor.ArenaOffset} * batch" : $"(training ? {tensor.TrainingOffset} : {tensor.ArenaOffset}) * batch";
    }

    /// <summary>
    /// Inside an op's method: the start of <paramref name="tensor"/>'s batch in the memory the op runs on, for a tensor the op
    /// reads besides its input (a residual sum's branches): the training offset in training, else the arena offset.
    /// </summary>
    internal string TensorBase(TensorPlan tensor)
        => !_plan.IsTrainable || tensor.ArenaOffset == tensor.TrainingOffset ? $"{tensor.ArenaOffset} * batch" : $"(__training ? {tensor.TrainingOffset} : {tensor.ArenaOffset}) * batch";

    /// <summary>
    /// Items per batch: the vectorized kernels split each image into blocks or rows; the scalar fallback
    /// takes a whole image per item.
    /// </summary>
    internal static string ItemCountExpression(OpPlan op)
    {
        var schedule = op.Schedule!;
        if (schedule.PassItems > 0)
        {
            return $"{schedule.PassItems}";
        }

        var (wide, narrow, scalar) = (schedule.ForwardItemsWide, schedule.ForwardItemsNarrow, schedule.ForwardItemsScalar);
        if (wide == narrow && narrow == scalar)
        {
            return wide == 1 ? "batch" : $"batch * {wide}";
        }

        var narrowOrScalar = narrow == scalar ? $"{narrow}" : $"({Vector128Accelerated} ? {narrow} : {scalar})";
        return wide == narrow ? $"batch * ({Vector128Accelerated} ? {narrow} : {scalar})" : $"batch * ({Vector512Accelerated} ? {wide} : {narrowOrScalar})";
    }

    private void WritePackWeights()
    {
        var w = _writer;
        w.Line("/// <summary>Repacks every convolution's weights and bias into the kernels' order (<see cref=\"global::InceptionGen.Kernels.WeightPacking\"/>), one convolution per pool item.</summary>");
        w.Line(GeneratedCode);
        using (w.Block("private void __PackWeights()"))
        {
            if (Convolutions.Count > 0)
            {
                w.Line($"__pool.Run(this, __PackWeightsOperation, {Convolutions.Count});");
            }
            else
            {
                w.Line("// The network has no convolution.");
            }
        }

        w.Line();
        WriteConvolutionItems("__PackWeights", ["var parameters = __parameters.ReadOnlySpan;", "var packed = __packedWeights.Span;"], op =>
        {
            var source = _plan.Tensors[op.Input];
            string[] Pack(string weights, string bias)
            {
                string[] statements =
                [
                    $"global::InceptionGen.Kernels.WeightPacking.PackConvolution({weights}, packed.Slice({op.PackedOffset}, {op.Schedule!.PackedLength}), {op.OutChannels}, {source.Channels}, {KernelValues(op.Kernel)}, {ChannelMap(source)}, {op.LoopChannels});",
                    $"global::InceptionGen.Kernels.WeightPacking.PackBias({bias}, packed.Slice({op.PackedBiasOffset}, {RoundUp(op.OutChannels)}), {op.OutChannels});",
                ];
                return op.Winograd is null ? statements : [.. statements, WinogradPackStatement(op, source, weights)];
            }

            return op.BatchNorm is { FoldedOffset: >= 0 } ? FoldedPacking(op, Pack(FoldedWeights(op, "packed"), FoldedBias(op, "packed")), Pack(ParameterSpan(op.Weights), ParameterSpan(op.Bias))) : Pack(ParameterSpan(op.Weights), ParameterSpan(op.Bias));
        });
    }

    private List<OpPlan> Convolutions => _plan.Ops.Where(op => op.Kind == OpKind.Conv).ToList();

    /// <summary>
    /// <c>{name}(begin, end)</c>: items [begin, end) of a per-convolution job on the pool, item i being the i-th
    /// convolution, so that the pool spreads them over its threads. Each item writes its own slices only.
    /// </summary>
    private void WriteConvolutionItems(string name, string[] locals, Func<OpPlan, string[]> statements, Func<OpPlan, bool>? include = null)
    {
        var w = _writer;
        var items = Convolutions.Where(include ?? (_ => true)).ToList();
        w.Line($"/// <summary>Items [begin, end) of <see cref=\"{name}()\"/>: one convolution each.</summary>");
        w.Line(GeneratedCode);
        using (w.Block($"private void {name}(int begin, int end)"))
        {
            if (items.Count == 0)
            {
                // No item to run: a loop around a switch with only a throwing default would be unreachable code (CS0162).
                using (w.Block("if (begin < end)"))
                {
                    w.Line("throw new global::System.ArgumentOutOfRangeException(nameof(begin));");
                }
            }
            else
            {
                WriteConvolutionItemSwitch(locals, statements, items);
            }
        }

        w.Line();
    }

    private void WriteConvolutionItemSwitch(string[] locals, Func<OpPlan, string[]> statements, List<OpPlan> items)
    {
        var w = _writer;
        foreach (var local in locals)
        {
            w.Line(local);
        }

        using (w.Block("for (var item = begin; item < end; item++)"))
        using (w.Block("switch (item)"))
        {
            for (var item = 0; item < items.Count; item++)
            {
                var op = items[item];
                var weights = _plan.Parameters[_parameterIndex[op.Weights!]];
                using (w.Block($"case {item}: // {op.QualifiedName}: [{string.Join(", ", weights.Shape)}]"))
                {
                    foreach (var statement in statements(op))
                    {
                        w.Line(statement);
                    }

                    w.Line("break;");
                }
            }

            w.Line("default: throw new global::System.ArgumentOutOfRangeException(nameof(begin));");
        }
    }

    /// <summary>
    /// Each layer's code in one region: per op, its forward method and drivers, then its backward method and drivers,
    /// so that a layer reads top to bottom in one place.
    /// </summary>
    private void WriteLayerRegions()
    {
        var w = _writer;
        var ops = PoolOps.Select(entry => entry.Op).Where(op => _plan.IsTrainable || !op.TrainingOnly).ToList();
        for (var first = 0; first < ops.Count;)
        {
            var layer = ops[first].Layer;
            var end = first;
            while (end < ops.Count && ops[end].Layer == layer)
            {
                end++;
            }

            w.Line($"#region {layer}: {SummaryKind(layer)}");
            w.Line();
            for (var index = first; index < end; index++)
            {
                WriteOp(ops[index]);
                WriteConvolutionDrivers();
                if (_plan.IsTrainable)
                {
                    WriteBackwardOp(ops[index]);
                    WriteConvolutionBackwardDrivers();
                }
            }

            w.Line("#endregion");
            w.Line();
            first = end;
        }
    }

    private void WriteOp(OpPlan op)
    {
        var w = _writer;
        var source = _plan.Tensors[op.Input];
        var target = _plan.Tensors[op.Output];
        WriteOpComment(op);
        w.Line(GeneratedCode);
        using (w.Block($"private void {MethodName(op)}(int begin, int end, global::System.Span<float> memory, int inputBase, int outputBase)"))
        {
            w.Line("var batch = __batch;");
            OpDescriptor.For(op.Kind).WriteForward(this, op, source, target);
        }

        w.Line();
    }

    /// <summary>Loops over items [begin, end) as (image, <paramref name="name"/>) pairs with <paramref name="perImage"/> items per image.</summary>
    internal IndentedWriter.Scope ItemLoop(int perImage, string name)
    {
        var scope = _writer.Block("for (var item = begin; item < end; item++)");
        _writer.Line($"var image = item / {perImage};");
        _writer.Line($"var {name} = item % {perImage};");
        return scope;
    }

    /// <summary>Loops over items [begin, end) as whole images (the scalar fallback).</summary>
    internal IndentedWriter.Scope ImageLoop() => _writer.Block("for (var image = begin; image < end; image++)");

    internal static int PlanePerBlock(TensorPlan tensor) => tensor.Height * tensor.Width * 16;

    /// <summary>
    /// One image's span of an op's input or output tensor, or of part of it, in the memory the op runs on:
    /// the tensor's batch starts at <c>inputBase</c> / <c>outputBase</c>, and image i at i × its length.
    /// </summary>
    internal static string InputSlice(TensorPlan tensor, string? extra = null, int? length = null) => Slice("memory", "inputBase", tensor, extra, length);

    internal static string OutputSlice(TensorPlan tensor, string? extra = null, int? length = null) => Slice("memory", "outputBase", tensor, extra, length);

    internal static string Slice(string memory, string baseOffset, TensorPlan tensor, string? extra, int? length)
        => $"{memory}.Slice({baseOffset} + image * {tensor.Length}{(extra is null ? "" : " + " + extra)}, {length ?? tensor.Length}) /* {tensor.Name} {tensor.ShapeText} */";

    /// <summary>One image's span of an inference tensor, for the ops that run on the calling thread.</summary>
    internal static string CallerSlice(TensorPlan tensor) => Slice("activations", $"{tensor.ArenaOffset} * batch", tensor, null, null);

    internal static string? Add(int constant, string? term)
        => constant == 0 ? term : term is null ? constant.ToString(System.Globalization.CultureInfo.InvariantCulture) : $"{constant} + {term}";

    internal string ParameterSpan(string? name)
    {
        if (name is null)
        {
            return "default";
        }

        var parameter = _plan.Parameters[_parameterIndex[name]];
        return $"parameters.Slice({parameter.Offset}, {parameter.Length}) /* {name} [{string.Join(", ", parameter.Shape)}] */";
    }

    internal static string ChannelMap(TensorPlan tensor) => tensor.ChannelMap.Count == 0 ? "default" : ChannelMapName(tensor);

    internal static string ChannelMapName(TensorPlan tensor) => "__ChannelMap_" + tensor.Name;

    private void WriteChannelMaps()
    {
        var written = new HashSet<string>();
        foreach (var tensor in _plan.Tensors.Where(t => t.ChannelMap.Count > 0))
        {
            if (!written.Add(ChannelMapName(tensor)))
            {
                continue;
            }

            // A static array, not a ReadOnlySpan property over a collection expression: without
            // optimizations the property allocates on every read, and Forward must allocate nothing.
            _writer.Line($"// Physical channel of each logical channel of {tensor.Name}: its concat slices start on 16-channel blocks.");
            _writer.Line(GeneratedCode);
            _writer.Line($"private static readonly int[] {ChannelMapName(tensor)} = [{string.Join(", ", tensor.ChannelMap)}];");
            _writer.Line();
        }
    }
}
