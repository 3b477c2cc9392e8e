using System.Runtime.InteropServices;
using Google.Protobuf;
using InceptionGen.Interop;
using Onnx;

namespace InceptionGen.Onnx;

/// <summary>
/// Writes a network as an ONNX model (opset 13, standard operators only): the inference graph of
/// <see cref="INetwork.Graph"/> (auxiliary heads and dropout left out) with the current weights as initializers.
/// The input is <c>"input"</c>, float [N, C, H, W] with a symbolic batch <c>N</c>; the output is <c>"logits"</c>
/// (no softmax), [N, classes] for a classifier.
/// </summary>
/// <remarks>
/// Lowering: a convolution, BatchNorm (BatchNormalization, eval mode) or linear layer with ReLU becomes Conv/BatchNormalization/Gemm then Relu; Linear is Gemm with
/// <c>transB=1</c> (weights stay [out, in]) after a Flatten when its input is a map. Pools are written so ONNX
/// needs no ceil mode and computes PyTorch's sizes and divisors exactly: the window count comes from explicit end
/// padding, and an average pool with padding reads an explicitly zero-padded input with <c>count_include_pad=0</c>
/// (so the divisor is the window clipped to the padded input, PyTorch's <c>count_include_pad=True</c>).
/// </remarks>
public static class OnnxExporter
{
    /// <summary>The ONNX operator set the model uses.</summary>
    public const int Opset = 13;

    /// <summary>The IR version that goes with opset 13.</summary>
    public const long IrVersion = 7;

    /// <summary>The name of the model's input.</summary>
    public const string InputName = "input";

    /// <summary>The name of the model's output.</summary>
    public const string OutputName = "logits";

    /// <summary>Writes the model to <paramref name="path"/> atomically (a temporary file beside it, then a move).</summary>
    public static void Export(INetwork network, string path)
    {
        var model = ToModel(network);
        AtomicFile.Write(path, stream => model.WriteTo(stream));
    }

    /// <summary>Writes the model to <paramref name="stream"/>.</summary>
    public static void Export(INetwork network, Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ToModel(network).WriteTo(stream);
    }

    /// <summary>The model's bytes.</summary>
    public static byte[] ToBytes(INetwork network) => ToModel(network).ToByteArray();

    /// <summary>The ONNX model of <paramref name="network"/>'s inference graph with its current weights.</summary>
    /// <exception cref="InvalidOperationException">The graph names a weight the network's parameters lack.</exception>
    public static ModelProto ToModel(INetwork network)
    {
        ArgumentNullException.ThrowIfNull(network);
        var graph = network.Graph;
        var builder = new Builder(graph, network.Parameters);
        var model = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = "InceptionGen",
            ProducerVersion = "0.1.0",
            DocString = $"{graph.Network}: inference graph, weights as initializers, logits output (no softmax).",
            Graph = builder.Build(),
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        return model;
    }

    private sealed class Builder(NetworkGraph graph, ParameterStore parameters)
    {
        private readonly GraphProto _onnx = new() { Name = graph.Network };
        private readonly IReadOnlyDictionary<string, FeatureShape> _shapes = graph.Shapes();
        private readonly Dictionary<string, ParameterTensor> _tensors = parameters.Tensors.ToDictionary(tensor => PyTorchNames.From(tensor.Name), StringComparer.Ordinal);
        private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal) { [graph.Input.Name] = InputName };
        private readonly HashSet<string> _vectors = new(StringComparer.Ordinal);
        private readonly HashSet<string> _initializers = new(StringComparer.Ordinal);

        public GraphProto Build()
        {
            _onnx.Input.Add(Value(InputName, [graph.Input.Channels, graph.Input.Height, graph.Input.Width]));
            foreach (var node in graph.InferenceNodes)
            {
                Lower(node);
            }

            var output = _values[graph.Output];
            if (output != OutputName)
            {
                // Only when the output is a pass-through (a trailing dropout): name it with an Identity.
                Add("Identity", graph.Output + ".identity", [output], OutputName);
            }

            var shape = _shapes[graph.Output];
            _onnx.Output.Add(Value(OutputName, _vectors.Contains(graph.Output) ? [shape.Channels] : [shape.Channels, shape.Height, shape.Width]));
            return _onnx;
        }

        private void Lower(GraphNode node)
        {
            var input = _values[node.Inputs[0]];
            var inputShape = _shapes[node.Inputs[0]];
            switch (node)
            {
                case ConvNode conv:
                    Add("Conv", conv.Name, [input, Initializer(conv.Weight), .. Bias(conv.Bias)], Activation(conv.Output, conv.Relu),
                        Ints("kernel_shape", conv.KernelHeight, conv.KernelWidth), Ints("strides", conv.StrideHeight, conv.StrideWidth),
                        Ints("pads", conv.PaddingHeight, conv.PaddingWidth, conv.PaddingHeight, conv.PaddingWidth));
                    Relu(conv.Output, conv.Relu);
                    break;
                case MaxPoolNode pool:
                    {
                        // Padding counts as −∞; extra end padding only decides how many windows there are.
                        var (endY, endX) = EndPadding(inputShape, _shapes[pool.Output], (pool.KernelHeight, pool.KernelWidth), (pool.StrideHeight, pool.StrideWidth), (pool.PaddingHeight, pool.PaddingWidth));
                        Add("MaxPool", pool.Name, [input], Output(pool.Output), Ints("kernel_shape", pool.KernelHeight, pool.KernelWidth),
                            Ints("strides", pool.StrideHeight, pool.StrideWidth), Ints("pads", pool.PaddingHeight, pool.PaddingWidth, endY, endX));
                        break;
                    }

                case AvgPoolNode pool:
                    {
                        if (!pool.CountIncludePad && (pool.PaddingHeight > 0 || pool.PaddingWidth > 0))
                        {
                            throw new NotSupportedException($"{pool.Name}: average pooling that excludes padding from the divisor is not exported");
                        }

                        var source = input;
                        var padded = inputShape;
                        if (pool.PaddingHeight > 0 || pool.PaddingWidth > 0)
                        {
                            // Zeros that count in the divisor, as PyTorch's count_include_pad=True (and Caffe) have them.
                            var (py, px) = (pool.PaddingHeight, pool.PaddingWidth);
                            source = pool.Output + ".padded";
                            Add("Pad", pool.Name + ".pad", [input, Int64Initializer(pool.Name + ".pads", [0, 0, py, px, 0, 0, py, px])], source);
                            padded = inputShape with { Height = inputShape.Height + 2 * py, Width = inputShape.Width + 2 * px };
                        }

                        // Windows hanging past the (padded) input divide by the part inside it.
                        var (endY, endX) = EndPadding(padded, _shapes[pool.Output], (pool.KernelHeight, pool.KernelWidth), (pool.StrideHeight, pool.StrideWidth), (0, 0));
                        Add("AveragePool", pool.Name, [source], Output(pool.Output), Ints("kernel_shape", pool.KernelHeight, pool.KernelWidth),
                            Ints("strides", pool.StrideHeight, pool.StrideWidth), Ints("pads", 0, 0, endY, endX), Int("count_include_pad", 0));
                        break;
                    }

                case BatchNormNode bn:
                    // Eval mode: the running statistics (ONNX Runtime folds it into the convolution before it, as we do).
                    Add("BatchNormalization", bn.Name, [input, Initializer(bn.Weight), Initializer(bn.Bias), Initializer(bn.RunningMean), Initializer(bn.RunningVariance)],
                        Activation(bn.Output, bn.Relu), Float("epsilon", (float)bn.Epsilon), Float("momentum", (float)(1 - bn.Momentum)));
                    Relu(bn.Output, bn.Relu);
                    break;
                case LrnNode lrn:
                    Add("LRN", lrn.Name, [input], Output(lrn.Output), Int("size", lrn.Size), Float("alpha", lrn.Alpha), Float("beta", lrn.Beta), Float("bias", lrn.K));
                    break;
                case ResidualAddNode residual:
                    {
                        // input + scale · branches (Mul, then Add, as the generated code computes it), then the ReLU.
                        var scaled = _values[residual.Inputs[1]];
                        if (residual.Scale != 1f)
                        {
                            Add("Mul", residual.Name + ".scale", [scaled, FloatInitializer(residual.Name + ".scale_value", residual.Scale)], residual.Output + ".scaled");
                            scaled = residual.Output + ".scaled";
                        }

                        Add("Add", residual.Name, [input, scaled], Activation(residual.Output, residual.Relu));
                        Relu(residual.Output, residual.Relu);
                        break;
                    }

                case ConcatNode concat:
                    Add("Concat", concat.Name, [.. concat.Inputs.Select(name => _values[name])], Output(concat.Output), Int("axis", 1));
                    break;
                case AdaptiveAvgPoolNode adaptive:
                    {
                        // ONNX has no adaptive pool: export it as the AveragePool it is when its windows are one size at one step.
                        var (kernelY, strideY) = UniformWindows(adaptive, inputShape.Height, adaptive.OutputHeight, "rows");
                        var (kernelX, strideX) = UniformWindows(adaptive, inputShape.Width, adaptive.OutputWidth, "columns");
                        Add("AveragePool", adaptive.Name, [input], Output(adaptive.Output), Ints("kernel_shape", kernelY, kernelX), Ints("strides", strideY, strideX));
                        break;
                    }

                case GlobalAveragePoolNode gap:
                    Add("GlobalAveragePool", gap.Name, [input], Output(gap.Output));
                    break;
                case FlattenNode flatten:
                    Add("Flatten", flatten.Name, [input], Output(flatten.Output), Int("axis", 1));
                    _vectors.Add(flatten.Output);
                    break;
                case DropoutNode dropout:
                    // Identity in inference.
                    _values[dropout.Output] = input;
                    if (_vectors.Contains(dropout.Inputs[0]))
                    {
                        _vectors.Add(dropout.Output);
                    }

                    break;
                case LinearNode linear:
                    {
                        var features = input;
                        if (!_vectors.Contains(linear.Inputs[0]))
                        {
                            features = linear.Output + ".flatten";
                            Add("Flatten", linear.Name + ".flatten", [input], features, Int("axis", 1));
                        }

                        Add("Gemm", linear.Name, [features, Initializer(linear.Weight), .. Bias(linear.Bias)], Activation(linear.Output, linear.Relu), Int("transB", 1));
                        Relu(linear.Output, linear.Relu);
                        _vectors.Add(linear.Output);
                        break;
                    }

                default:
                    throw new NotSupportedException($"{node.Name}: op '{node.Op}' has no ONNX lowering");
            }
        }

        /// <summary>
        /// The window size and step of an adaptive pool along one dimension, when every window has the same size and each
        /// starts the same step after the last (a size divisible by the output, or any output of 1); else it cannot be exported.
        /// </summary>
        private static (int Kernel, int Stride) UniformWindows(AdaptiveAvgPoolNode node, int size, int outputs, string what)
        {
            var windows = Enumerable.Range(0, outputs).Select(o => InceptionGen.Kernels.ReferenceKernels.AdaptiveWindow(o, size, outputs)).ToList();
            var kernel = windows[0].End - windows[0].Start;
            var stride = outputs > 1 ? windows[1].Start - windows[0].Start : 1;
            if (windows.Select((window, o) => window.End - window.Start == kernel && window.Start == o * stride).All(uniform => uniform))
            {
                return (kernel, stride);
            }

            throw new NotSupportedException($"{node.Name}: adaptive average pooling of {size} {what} to {outputs} has windows of different sizes or steps " +
                $"({string.Join(", ", windows.Select(window => $"[{window.Start}, {window.End})"))}), and ONNX has no adaptive pool; " +
                "only an adaptive pool whose windows are uniform (a size divisible by the output) exports, as AveragePool");
        }

        /// <summary>
        /// End padding that makes ONNX's floor-mode window count equal <paramref name="output"/>: the last window starts at
        /// (output − 1)·stride − padding and must end inside the padded input.
        /// </summary>
        private static (int Y, int X) EndPadding(FeatureShape input, FeatureShape output, (int Height, int Width) kernel, (int Height, int Width) stride, (int Height, int Width) padding)
            => (Math.Max(0, (output.Height - 1) * stride.Height + kernel.Height - input.Height - padding.Height),
                Math.Max(0, (output.Width - 1) * stride.Width + kernel.Width - input.Width - padding.Width));

        /// <summary>The ONNX name of a node's final output: the model's output is called <see cref="OutputName"/>.</summary>
        private string Output(string name)
        {
            var value = name == graph.Output ? OutputName : name;
            _values[name] = value;
            return value;
        }

        /// <summary>Where Conv/Gemm writes: its own name when a Relu follows, else the node's output.</summary>
        private string Activation(string name, bool relu) => relu ? name + ".preact" : Output(name);

        private void Relu(string name, bool relu)
        {
            if (relu)
            {
                Add("Relu", name + ".relu", [name + ".preact"], Output(name));
            }
        }

        private IEnumerable<string> Bias(string? name) => name is null ? [] : [Initializer(name)];

        private string Initializer(string name)
        {
            if (!_tensors.TryGetValue(name, out var tensor))
            {
                throw new InvalidOperationException($"the graph names weight '{name}', which the network's parameters lack");
            }

            if (_initializers.Add(name))
            {
                var proto = new TensorProto
                {
                    Name = name,
                    DataType = (int)TensorProto.Types.DataType.Float,
                    RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(parameters.ReadOnlySpan.Slice(tensor.Offset, tensor.Length))),
                };
                proto.Dims.AddRange(tensor.Shape.Select(dimension => (long)dimension));
                _onnx.Initializer.Add(proto);
            }

            return name;
        }

        private string FloatInitializer(string name, float value)
        {
            var proto = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
            proto.FloatData.Add(value);
            _onnx.Initializer.Add(proto);
            return name;
        }

        private string Int64Initializer(string name, long[] values)
        {
            var proto = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
            proto.Dims.Add(values.Length);
            proto.Int64Data.AddRange(values);
            _onnx.Initializer.Add(proto);
            return name;
        }

        private void Add(string op, string name, IEnumerable<string> inputs, string output, params AttributeProto[] attributes)
        {
            var node = new NodeProto { OpType = op, Name = name };
            node.Input.AddRange(inputs);
            node.Output.Add(output);
            node.Attribute.AddRange(attributes);
            _onnx.Node.Add(node);
        }

        private static ValueInfoProto Value(string name, int[] dimensions)
        {
            var shape = new TensorShapeProto();
            shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = "N" });
            shape.Dim.AddRange(dimensions.Select(dimension => new TensorShapeProto.Types.Dimension { DimValue = dimension }));
            return new ValueInfoProto
            {
                Name = name,
                Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
            };
        }

        private static AttributeProto Ints(string name, params long[] values)
        {
            var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
            attribute.Ints.AddRange(values);
            return attribute;
        }

        private static AttributeProto Int(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

        private static AttributeProto Float(string name, float value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };
    }
}
