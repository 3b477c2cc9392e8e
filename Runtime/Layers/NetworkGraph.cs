using System.Globalization;
using System.Text;
using System.Text.Json;

namespace InceptionGen;

/// <summary>
/// A network's graph as the generator planned it, in PyTorch terms: nodes in topological order, each reading
/// earlier nodes' outputs (or <see cref="GraphInput.Name"/>), with PyTorch-style names and weights named exactly
/// as the safetensors tensors. For exporters (ONNX) and for rebuilding the network elsewhere (PyTorch).
/// <see cref="ToJson"/> and <see cref="FromJson"/> give the <c>inceptiongen.graph/1</c> JSON stored in weight files.
/// </summary>
/// <remarks>
/// Semantics, all PyTorch's: pooling output sizes follow PyTorch's rules (in ceil mode the last window must start
/// inside the input or the left padding); average pooling counts padding in the divisor and clips the window to the
/// padded input (<c>count_include_pad=True</c>); LRN's alpha is as declared (divided by size in the formula); a
/// <see cref="LinearNode"/> reads its input flattened (<c>flatten(1)</c>) when it is a map; dropout is identity in
/// inference; <see cref="GraphNode.TrainingOnly"/> nodes (the auxiliary heads) are not part of inference.
/// </remarks>
public sealed record NetworkGraph(
    string Network,
    GraphInput Input,
    string Output,
    IReadOnlyList<GraphAuxiliaryOutput> AuxiliaryOutputs,
    IReadOnlyList<GraphNode> Nodes)
{
    /// <summary>The value of <c>"format"</c> in the JSON.</summary>
    public const string Format = "inceptiongen.graph/1";

    /// <summary>The safetensors metadata key that holds the graph's JSON.</summary>
    public const string MetadataKey = "inceptiongen.graph";

    /// <summary>The nodes inference runs: every node that is not training only.</summary>
    public IEnumerable<GraphNode> InferenceNodes => Nodes.Where(node => !node.TrainingOnly);

    /// <summary>The shape of every tensor for one image, by name: the input and each node's output.</summary>
    public IReadOnlyDictionary<string, FeatureShape> Shapes()
    {
        var shapes = new Dictionary<string, FeatureShape>(StringComparer.Ordinal) { [Input.Name] = new(Input.Channels, Input.Height, Input.Width) };
        foreach (var node in Nodes)
        {
            var input = shapes[node.Inputs[0]];
            shapes[node.Output] = node switch
            {
                ConvNode conv => new(conv.OutChannels, ConvSize(input.Height, conv.KernelHeight, conv.StrideHeight, conv.PaddingHeight),
                    ConvSize(input.Width, conv.KernelWidth, conv.StrideWidth, conv.PaddingWidth)),
                MaxPoolNode pool => new(input.Channels, PoolSize(input.Height, pool.KernelHeight, pool.StrideHeight, pool.PaddingHeight, pool.CeilMode),
                    PoolSize(input.Width, pool.KernelWidth, pool.StrideWidth, pool.PaddingWidth, pool.CeilMode)),
                AvgPoolNode pool => new(input.Channels, PoolSize(input.Height, pool.KernelHeight, pool.StrideHeight, pool.PaddingHeight, pool.CeilMode),
                    PoolSize(input.Width, pool.KernelWidth, pool.StrideWidth, pool.PaddingWidth, pool.CeilMode)),
                ConcatNode => new(node.Inputs.Sum(name => shapes[name].Channels), input.Height, input.Width),
                GlobalAveragePoolNode => new(input.Channels, 1, 1),
                AdaptiveAvgPoolNode pool => new(input.Channels, pool.OutputHeight, pool.OutputWidth),
                FlattenNode => new(input.Length, 1, 1),
                LinearNode linear => new(linear.OutFeatures, 1, 1),
                _ => input,
            };
        }

        return shapes;

        static int ConvSize(int size, int kernel, int stride, int padding) => (size + 2 * padding - kernel) / stride + 1;
    }

    /// <summary>
    /// PyTorch's pooled size: floor or ceil of (size + 2·padding − kernel) / stride, plus one; in ceil mode a last
    /// window that would start past the input and its left padding is dropped.
    /// </summary>
    public static int PoolSize(int size, int kernel, int stride, int padding, bool ceilMode)
    {
        var span = size + 2 * padding - kernel;
        var output = (ceilMode ? (span + stride - 1) / stride : span / stride) + 1;
        return ceilMode && (output - 1) * stride >= size + padding ? output - 1 : output;
    }

    /// <summary>The graph as compact <c>inceptiongen.graph/1</c> JSON.</summary>
    public string ToJson()
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            writer.WriteString("format", Format);
            writer.WriteString("network", Network);
            writer.WriteStartObject("input");
            writer.WriteString("name", Input.Name);
            writer.WriteNumber("channels", Input.Channels);
            writer.WriteNumber("height", Input.Height);
            writer.WriteNumber("width", Input.Width);
            writer.WriteEndObject();
            writer.WriteString("output", Output);
            writer.WriteStartArray("auxiliary_outputs");
            foreach (var auxiliary in AuxiliaryOutputs)
            {
                writer.WriteStartObject();
                writer.WriteString("name", auxiliary.Name);
                writer.WriteNumber("loss_weight", auxiliary.LossWeight);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteStartArray("nodes");
            foreach (var node in Nodes)
            {
                node.Write(writer);
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>Reads <c>inceptiongen.graph/1</c> JSON and checks it: types, required fields, and that every input names an earlier output.</summary>
    /// <exception cref="FormatException">The text is not JSON, or not a valid graph; the message says what and where.</exception>
    public static NetworkGraph FromJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException exception)
        {
            throw new FormatException($"graph JSON is not valid JSON: {exception.Message}");
        }

        using (document)
        {
            var root = new JsonReader(document.RootElement, "graph");
            var format = root.String("format");
            if (format != Format)
            {
                throw new FormatException($"graph JSON has format '{format}'; expected '{Format}'");
            }

            var input = root.Object("input");
            var graph = new NetworkGraph(
                root.String("network"),
                new GraphInput(input.String("name"), input.Positive("channels"), input.Positive("height"), input.Positive("width")),
                root.String("output"),
                [.. root.Array("auxiliary_outputs").Select(auxiliary => new GraphAuxiliaryOutput(auxiliary.String("name"), auxiliary.Float("loss_weight")))],
                [.. root.Array("nodes").Select(GraphNode.Read)]);
            graph.Validate();
            return graph;
        }
    }

    /// <summary>Every input is the graph input or an earlier node's output, outputs are unique, and the outputs named at the top exist.</summary>
    private void Validate()
    {
        var known = new HashSet<string>(StringComparer.Ordinal) { Input.Name };
        foreach (var node in Nodes)
        {
            if (node.Inputs.Count == 0)
            {
                throw new FormatException($"graph JSON: node '{node.Name}' has no inputs");
            }

            foreach (var input in node.Inputs.Where(input => !known.Contains(input)))
            {
                throw new FormatException($"graph JSON: node '{node.Name}' reads '{input}', which no earlier node produces");
            }

            if (!known.Add(node.Output))
            {
                throw new FormatException($"graph JSON: output '{node.Output}' of node '{node.Name}' is produced twice");
            }
        }

        foreach (var name in AuxiliaryOutputs.Select(auxiliary => auxiliary.Name).Prepend(Output).Where(name => !known.Contains(name)))
        {
            throw new FormatException($"graph JSON: output '{name}' is not produced by any node");
        }
    }

    /// <summary>Typed access to one JSON object, with errors that name the path.</summary>
    internal readonly struct JsonReader(JsonElement element, string path)
    {
        public string Path => path;

        private JsonElement Get(string name, JsonValueKind kind)
        {
            if (element.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException($"graph JSON: {path} is not an object");
            }

            if (!element.TryGetProperty(name, out var value))
            {
                throw new FormatException($"graph JSON: {path} lacks \"{name}\"");
            }

            if (value.ValueKind != kind && !(kind == JsonValueKind.True && value.ValueKind == JsonValueKind.False))
            {
                throw new FormatException($"graph JSON: {path}.{name} is {value.ValueKind}; expected {(kind == JsonValueKind.True ? "a boolean" : kind.ToString())}");
            }

            return value;
        }

        public string String(string name) => Get(name, JsonValueKind.String).GetString()!;

        /// <summary>A string or null.</summary>
        public string? OptionalString(string name)
        {
            if (element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Null)
            {
                return null;
            }

            return String(name);
        }

        public bool Bool(string name) => Get(name, JsonValueKind.True).GetBoolean();

        public int Int(string name, int minimum)
        {
            var value = Get(name, JsonValueKind.Number);
            if (!value.TryGetInt32(out var result) || result < minimum)
            {
                throw new FormatException($"graph JSON: {path}.{name} is {value.GetRawText()}; expected an integer of at least {minimum}");
            }

            return result;
        }

        public int Positive(string name) => Int(name, 1);

        public double Double(string name)
        {
            var value = Get(name, JsonValueKind.Number);
            if (!value.TryGetDouble(out var result) || !double.IsFinite(result))
            {
                throw new FormatException($"graph JSON: {path}.{name} is {value.GetRawText()}; expected a finite number");
            }

            return result;
        }

        /// <summary>A height × width attribute: one number (square) or <c>[height, width]</c>, each at least <paramref name="minimum"/>.</summary>
        public (int Height, int Width) Pair(string name, int minimum)
        {
            if (element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Array)
            {
                var items = value.EnumerateArray().ToList();
                if (items.Count != 2 || !items[0].TryGetInt32(out var height) || !items[1].TryGetInt32(out var width) || height < minimum || width < minimum)
                {
                    throw new FormatException($"graph JSON: {path}.{name} is {value.GetRawText()}; expected an integer or [height, width] of at least {minimum}");
                }

                return (height, width);
            }

            var size = Int(name, minimum);
            return (size, size);
        }

        public float Float(string name)
        {
            var value = Get(name, JsonValueKind.Number);
            if (!value.TryGetSingle(out var result) || !float.IsFinite(result))
            {
                throw new FormatException($"graph JSON: {path}.{name} is {value.GetRawText()}; expected a finite number");
            }

            return result;
        }

        public JsonReader Object(string name) => new(Get(name, JsonValueKind.Object), path + "." + name);

        public IEnumerable<JsonReader> Array(string name)
        {
            var array = Get(name, JsonValueKind.Array);
            var prefix = path + "." + name;
            return array.EnumerateArray().Select((item, index) => new JsonReader(item, prefix + "[" + index.ToString(CultureInfo.InvariantCulture) + "]")).ToList();
        }

        public IReadOnlyList<string> Strings(string name)
        {
            var array = Get(name, JsonValueKind.Array);
            var prefix = path + "." + name;
            return [.. array.EnumerateArray().Select((item, index) => item.ValueKind == JsonValueKind.String
                ? item.GetString()!
                : throw new FormatException($"graph JSON: {prefix}[{index}] is {item.ValueKind}; expected String"))];
        }
    }
}

/// <summary>The network's input for one image: NCHW with a batch dimension in front.</summary>
public sealed record GraphInput(string Name, int Channels, int Height, int Width);

/// <summary>An auxiliary head's logits and the weight of its loss in training.</summary>
public sealed record GraphAuxiliaryOutput(string Name, float LossWeight);

/// <summary>One node: its name, the tensors it reads, the tensor it writes (named like the node), and whether only training runs it.</summary>
public abstract record GraphNode(string Name, IReadOnlyList<string> Inputs, string Output, bool TrainingOnly)
{
    /// <summary>The <c>"op"</c> of the node in the JSON.</summary>
    public abstract string Op { get; }

    internal void Write(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        writer.WriteString("op", Op);
        writer.WriteString("name", Name);
        writer.WriteStartArray("inputs");
        foreach (var input in Inputs)
        {
            writer.WriteStringValue(input);
        }

        writer.WriteEndArray();
        writer.WriteString("output", Output);
        WriteAttributes(writer);
        writer.WriteBoolean("training_only", TrainingOnly);
        writer.WriteEndObject();
    }

    private protected abstract void WriteAttributes(Utf8JsonWriter writer);

    private protected static void WriteOptional(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is null)
        {
            writer.WriteNull(name);
        }
        else
        {
            writer.WriteString(name, value);
        }
    }

    private static ConvNode ReadConv(NetworkGraph.JsonReader node, string name, IReadOnlyList<string> inputs, string output, bool trainingOnly)
    {
        var (kernel, stride, padding) = (node.Pair("kernel", 1), node.Pair("stride", 1), node.Pair("padding", 0));
        return new ConvNode(name, inputs, output, trainingOnly, node.Positive("out_channels"), kernel.Height, kernel.Width, stride.Height, stride.Width,
            padding.Height, padding.Width, node.Bool("relu"), node.String("weight"), node.OptionalString("bias"));
    }

    private static MaxPoolNode ReadMaxPool(NetworkGraph.JsonReader node, string name, IReadOnlyList<string> inputs, string output, bool trainingOnly)
    {
        var (kernel, stride, padding) = (node.Pair("kernel", 1), node.Pair("stride", 1), node.Pair("padding", 0));
        return new MaxPoolNode(name, inputs, output, trainingOnly, kernel.Height, kernel.Width, stride.Height, stride.Width, padding.Height, padding.Width, node.Bool("ceil_mode"));
    }

    private static AvgPoolNode ReadAvgPool(NetworkGraph.JsonReader node, string name, IReadOnlyList<string> inputs, string output, bool trainingOnly)
    {
        var (kernel, stride, padding) = (node.Pair("kernel", 1), node.Pair("stride", 1), node.Pair("padding", 0));
        return new AvgPoolNode(name, inputs, output, trainingOnly, kernel.Height, kernel.Width, stride.Height, stride.Width, padding.Height, padding.Width,
            node.Bool("ceil_mode"), node.Bool("count_include_pad"));
    }

    private static AdaptiveAvgPoolNode ReadAdaptiveAvgPool(NetworkGraph.JsonReader node, string name, IReadOnlyList<string> inputs, string output, bool trainingOnly)
    {
        var size = node.Pair("output_size", 1);
        return new AdaptiveAvgPoolNode(name, inputs, output, trainingOnly, size.Height, size.Width);
    }

    /// <summary>A height × width attribute as PyTorch writes it: one number when square, else <c>[height, width]</c>.</summary>
    private protected static void WritePair(Utf8JsonWriter writer, string name, int height, int width)
    {
        if (height == width)
        {
            writer.WriteNumber(name, height);
            return;
        }

        writer.WriteStartArray(name);
        writer.WriteNumberValue(height);
        writer.WriteNumberValue(width);
        writer.WriteEndArray();
    }

    internal static GraphNode Read(NetworkGraph.JsonReader node)
    {
        var op = node.String("op");
        var name = node.String("name");
        var inputs = node.Strings("inputs");
        var output = node.String("output");
        var trainingOnly = node.Bool("training_only");
        return op switch
        {
            "Conv" => ReadConv(node, name, inputs, output, trainingOnly),
            "MaxPool" => ReadMaxPool(node, name, inputs, output, trainingOnly),
            "AvgPool" => ReadAvgPool(node, name, inputs, output, trainingOnly),
            "LRN" => new LrnNode(name, inputs, output, trainingOnly, node.Positive("size"), node.Float("alpha"), node.Float("beta"), node.Float("k")),
            "Concat" => new ConcatNode(name, inputs, output, trainingOnly),
            "ResidualAdd" => new ResidualAddNode(name, inputs, output, trainingOnly, node.Float("scale"), node.Bool("relu")),
            "BatchNorm" => new BatchNormNode(name, inputs, output, trainingOnly, node.Double("eps"), node.Double("momentum"), node.Bool("relu"),
                node.String("weight"), node.String("bias"), node.String("running_mean"), node.String("running_var")),
            "GlobalAveragePool" => new GlobalAveragePoolNode(name, inputs, output, trainingOnly),
            "AdaptiveAvgPool" => ReadAdaptiveAvgPool(node, name, inputs, output, trainingOnly),
            "Flatten" => new FlattenNode(name, inputs, output, trainingOnly),
            "Dropout" => new DropoutNode(name, inputs, output, trainingOnly, node.Float("p")),
            "Linear" => new LinearNode(name, inputs, output, trainingOnly, node.Positive("out_features"), node.Bool("relu"), node.String("weight"), node.OptionalString("bias")),
            _ => throw new FormatException($"graph JSON: {node.Path} has unknown op '{op}'"),
        };
    }
}

/// <summary>
/// A convolution, then ReLU when <see cref="Relu"/>; weights OIHW, bias optional. Kernel, stride and padding are
/// height × width; the JSON writes a square one as one number, as PyTorch's <c>Conv2d</c> accepts it.
/// </summary>
public sealed record ConvNode(string Name, IReadOnlyList<string> Inputs, string Output, bool TrainingOnly,
    int OutChannels, int KernelHeight, int KernelWidth, int StrideHeight, int StrideWidth, int PaddingHeight, int PaddingWidth,
    bool Relu, string Weight, string? Bias)
    : GraphNode(Name, Inputs, Output, TrainingOnly)
{
    /// <summary>A square kernel, stride and padding.</summary>
    public ConvNode(string Name, IReadOnlyList<string> Inputs, string Output, bool TrainingOnly,
        int OutChannels, int Kernel, int Stride, int Padding, bool Relu, string Weight, string? Bias)
        : this(Name, Inputs, Output, TrainingOnly, OutChannels, Kernel, Kernel, Stride, Stride, Padding, Padding, Relu, Weight, Bias)
    {
    }

    public override string Op => "Conv";

    private protected override void WriteAttributes(Utf8JsonWriter writer)
    {
        writer.WriteNumber("out_channels", OutChannels);
        WritePair(writer, "kernel", KernelHeight, KernelWidth);
        WritePair(writer, "stride", StrideHeight, StrideWidth);
        WritePair(writer, "padding", PaddingHeight, PaddingWidth);
        writer.WriteBoolean("relu", Relu);
        writer.WriteString("weight", Weight);
        WriteOptional(writer, "bias", Bias);
    }
}

/// <summary>
/// PyTorch's <c>BatchNorm2d</c> (eval: the running statistics), then ReLU when <see cref="Relu"/>. After a convolution
/// it is torchvision's <c>BasicConv2d</c>'s <c>bn</c>; the network folds it into the convolution for inference.
/// </summary>
public sealed record BatchNormNode(string Name, IReadOnlyList<string> Inputs, string Output, bool TrainingOnly,
    double Epsilon, double Momentum, bool Relu, string Weight, string Bias, string RunningMean, string RunningVariance)
    : GraphNode(Name, Inputs, Output, TrainingOnly)
{
    public override string Op => "BatchNorm";

    private protected override void WriteAttributes(Utf8JsonWriter writer)
    {
        writer.WriteNumber("eps", Epsilon);
        writer.WriteNumber("momentum", Momentum);
        writer.WriteBoolean("relu", Relu);
        writer.WriteString("weight", Weight);
        writer.WriteString("bias", Bias);
        writer.WriteString("running_mean", RunningMean);
        writer.WriteString("running_var", RunningVariance);
    }
}

/// <summary>Max pooling (padding counts as −∞), PyTorch's <c>MaxPool2d</c>; window, stride and padding are height × width.</summary>
public sealed record MaxPoolNode(string Name, IReadOnlyList<string> Inputs, string Output, bool TrainingOnly,
    int KernelHeight, int KernelWidth, int StrideHeight, int StrideWidth, int PaddingHeight, int PaddingWidth, bool CeilMode)
    : GraphNode(Name, Inputs, Output, TrainingOnly)
{
    /// <summary>A square window, stride and padding.</summary>
    public MaxPoolNode(string Name, IReadOnlyList<string> Inputs, string Output, bool TrainingOnly, int Kernel, int Stride, int Padding, bool CeilMode)
        : this(Name, Inputs, Output, TrainingOnly, Kernel, Kernel, Stride, Stride, Padding, Padding, CeilMode)
    {
    }

    public override string Op => "MaxPool";

    private protected override void WriteAttributes(Utf8JsonWriter writer)
    {
        WritePair(writer, "kernel", KernelHeight, KernelWidth);
        WritePair(writer, "stride", StrideHeight, StrideWidth);
        WritePair(writer, "padding", PaddingHeight, PaddingWidth);
        writer.WriteBoolean("ceil_mode", CeilMode);
    }
}

/// <summary>
/// Average pooling, PyTorch's <c>AvgPool2d</c>. With <see cref="CountIncludePad"/> (what the generator computes,
/// as Caffe does) the divisor is the window clipped to the padded input; without, clipped to the input.
/// </summary>
public sealed record AvgPoolNode(string Name, IReadOnlyList<string> Inputs, string Output, bool TrainingOnly,
    int KernelHeight, int KernelWidth, int StrideHeight, int StrideWidth, int PaddingHeight, int PaddingWidth, bool CeilMode, bool CountIncludePad)
    : GraphNode(Name, Inputs, Output, TrainingOnly)
{
    /// <summary>A square window, stride and padding.</summary>
    public AvgPoolNode(string Name, IReadOnlyList<string> Inputs, string Output, bool TrainingOnly, int Kernel, int Stride, int Padding, bool CeilMode, bool CountIncludePad)
        : this(Name, Inputs, Output, TrainingOnly, Kernel, Kernel, Stride, Stride, Padding, Padding, CeilMode, CountIncludePad)
    {
    }

    public override string Op => "AvgPool";

    private protected override void WriteAttributes(Utf8JsonWriter writer)
    {
        WritePair(writer, "kernel", KernelHeight, KernelWidth);
        WritePair(writer, "stride", StrideHeight, StrideWidth);
        WritePair(writer, "padding", PaddingHeight, PaddingWidth);
        writer.WriteBoolean("ceil_mode", CeilMode);
        writer.WriteBoolean("count_include_pad", CountIncludePad);
    }
}

/// <summary>Local response normalization across <see cref="Size"/> channels: x / (k + alpha / size · Σx²)^beta.</summary>
public sealed record LrnNode(string Name, IReadOnlyList<string> Inputs, string Output, bool TrainingOnly,
    int Size, float Alpha, float Beta, float K)
    : GraphNode(Name, Inputs, Output, TrainingOnly)
{
    public override string Op => "LRN";

    private protected override void WriteAttributes(Utf8JsonWriter writer)
    {
        writer.WriteNumber("size", Size);
        writer.WriteNumber("alpha", Alpha);
        writer.WriteNumber("beta", Beta);
        writer.WriteNumber("k", K);
    }
}

/// <summary>
/// A residual module's sum: <c>inputs[0] + Scale · inputs[1]</c> (the module's input and its branches' concat, of one
/// shape), then ReLU when <see cref="Relu"/>.
/// </summary>
public sealed record ResidualAddNode(string Name, IReadOnlyList<string> Inputs, string Output, bool TrainingOnly, float Scale, bool Relu)
    : GraphNode(Name, Inputs, Output, TrainingOnly)
{
    public override string Op => "ResidualAdd";

    private protected override void WriteAttributes(Utf8JsonWriter writer)
    {
        writer.WriteNumber("scale", Scale);
        writer.WriteBoolean("relu", Relu);
    }
}

/// <summary>Concatenation of the inputs along channels, in order.</summary>
public sealed record ConcatNode(string Name, IReadOnlyList<string> Inputs, string Output, bool TrainingOnly)
    : GraphNode(Name, Inputs, Output, TrainingOnly)
{
    public override string Op => "Concat";

    private protected override void WriteAttributes(Utf8JsonWriter writer)
    {
    }
}

/// <summary>The mean of each channel: C×H×W → C×1×1.</summary>
/// <summary>
/// PyTorch's <c>AdaptiveAvgPool2d(output_size)</c>: output cell (i, j) averages input rows [floor(i·H/h), ceil((i+1)·H/h))
/// and columns likewise (<see cref="Kernels.ReferenceKernels.AdaptiveWindow"/>).
/// </summary>
public sealed record AdaptiveAvgPoolNode(string Name, IReadOnlyList<string> Inputs, string Output, bool TrainingOnly, int OutputHeight, int OutputWidth)
    : GraphNode(Name, Inputs, Output, TrainingOnly)
{
    public override string Op => "AdaptiveAvgPool";

    private protected override void WriteAttributes(Utf8JsonWriter writer) => WritePair(writer, "output_size", OutputHeight, OutputWidth);
}

public sealed record GlobalAveragePoolNode(string Name, IReadOnlyList<string> Inputs, string Output, bool TrainingOnly)
    : GraphNode(Name, Inputs, Output, TrainingOnly)
{
    public override string Op => "GlobalAveragePool";

    private protected override void WriteAttributes(Utf8JsonWriter writer)
    {
    }
}

/// <summary>C×H×W → a vector of C·H·W in NCHW order (PyTorch's <c>flatten(1)</c>).</summary>
public sealed record FlattenNode(string Name, IReadOnlyList<string> Inputs, string Output, bool TrainingOnly)
    : GraphNode(Name, Inputs, Output, TrainingOnly)
{
    public override string Op => "Flatten";

    private protected override void WriteAttributes(Utf8JsonWriter writer)
    {
    }
}

/// <summary>Inverted dropout with drop probability <see cref="P"/> in training; identity in inference.</summary>
public sealed record DropoutNode(string Name, IReadOnlyList<string> Inputs, string Output, bool TrainingOnly, float P)
    : GraphNode(Name, Inputs, Output, TrainingOnly)
{
    public override string Op => "Dropout";

    private protected override void WriteAttributes(Utf8JsonWriter writer) => writer.WriteNumber("p", P);
}

/// <summary>A fully connected layer on the flattened input, then ReLU when <see cref="Relu"/>; weights [out, in], bias optional.</summary>
public sealed record LinearNode(string Name, IReadOnlyList<string> Inputs, string Output, bool TrainingOnly,
    int OutFeatures, bool Relu, string Weight, string? Bias)
    : GraphNode(Name, Inputs, Output, TrainingOnly)
{
    public override string Op => "Linear";

    private protected override void WriteAttributes(Utf8JsonWriter writer)
    {
        writer.WriteNumber("out_features", OutFeatures);
        writer.WriteBoolean("relu", Relu);
        writer.WriteString("weight", Weight);
        WriteOptional(writer, "bias", Bias);
    }
}
