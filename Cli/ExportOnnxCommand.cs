using System.Globalization;
using InceptionGen.CommandLine;
using InceptionGen.Interop;
using InceptionGen.Onnx;

namespace InceptionGen.Cli;

/// <summary><c>export-onnx</c>: a weights file to an ONNX model of the network's inference graph.</summary>
internal static class ExportOnnxCommand
{
    public static readonly string[] OptionNames = ["weights", "output", "network"];

    public static int Run(Arguments arguments, TextWriter output, TextWriter error)
    {
        if (arguments.Positional.Count > 0)
        {
            throw new UsageException("export-onnx takes no positional arguments: export-onnx --weights W.safetensors --output model.onnx [--network NAME]");
        }

        var weights = arguments.Text("weights") ?? throw new UsageException("export-onnx needs --weights W.safetensors");
        var path = arguments.Text("output") ?? throw new UsageException("export-onnx needs --output model.onnx");
        FileChecks.RequireInput(weights, "weights");
        FileChecks.RequireOutput(path, "output", (weights, "--weights"));
        var (name, entry) = InferenceCommands.NetworkOf(weights, arguments.Text("network"), fallback: "GoogLeNet");
        var network = entry.Create(1, 0, null);

        // A file that records its graph must have been saved from this network as built here.
        var graph = InferenceCommands.Guard(weights, () => SafeTensors.ReadMetadata(weights)).GetValueOrDefault(NetworkGraph.MetadataKey);
        if (graph is not null && graph != network.Graph.ToJson())
        {
            throw new UsageException($"'{weights}' was saved from another graph of {name} than this build's; re-save the weights with this version");
        }

        InferenceCommands.Guard(weights, () => SafeTensors.Load(network.Parameters, weights));
        FileChecks.WarnIfNotFinite(error, $"the weights '{weights}'", network.Parameters.ReadOnlySpan);
        InferenceCommands.WriteOrExplain(path, () => OnnxExporter.Export(network, path));

        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"wrote {path}: {name}, ONNX opset {OnnxExporter.Opset}, {new FileInfo(path).Length:N0} bytes, input \"{OnnxExporter.InputName}\" N x {entry.Summary.InputShape.Channels} x {entry.Summary.InputShape.Height} x {entry.Summary.InputShape.Width}, output \"{OnnxExporter.OutputName}\""));
        return 0;
    }
}
