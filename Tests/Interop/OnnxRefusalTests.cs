using InceptionGen.Onnx;
using InceptionGen.Tests.Network;
using Xunit;

namespace InceptionGen.Tests.Interop;

/// <summary>
/// What the ONNX exporter refuses rather than export wrongly: an average pool that leaves padding out of its divisor
/// (ONNX has no exact lowering here), a weight the graph names but the parameters lack, and null arguments. Each refusal
/// names the node or weight, and writes no file. (Its refusal of an unknown op cannot be reached from outside the
/// runtime: every public node kind has a lowering, and no other can be derived.)
/// </summary>
public sealed class OnnxRefusalTests
{
    [Fact]
    public void An_average_pool_that_excludes_padding_from_its_divisor_is_refused()
    {
        var network = new SmallGappedNet(seed: 1);
        var graph = SmallGappedNet.Graph;
        var pool = graph.Nodes.OfType<AvgPoolNode>().Single(node => node.PaddingHeight > 0);
        var changed = graph with { Nodes = [.. graph.Nodes.Select(node => node == pool ? pool with { CountIncludePad = false } : node)] };

        var error = Assert.Throws<NotSupportedException>(() => OnnxExporter.ToModel(new GraphOverride(network, changed)));

        Assert.Equal($"{pool.Name}: average pooling that excludes padding from the divisor is not exported", error.Message);
    }

    [Fact]
    public void A_weight_the_parameters_lack_is_refused_and_no_file_is_written()
    {
        using var directory = new TempDirectory();
        var network = new SmallGappedNet(seed: 1);
        var graph = SmallGappedNet.Graph;
        var conv = graph.Nodes.OfType<ConvNode>().First();
        var changed = graph with { Nodes = [.. graph.Nodes.Select(node => node == conv ? conv with { Weight = "missing.weight" } : node)] };
        var path = directory.File("model.onnx");

        var error = Assert.Throws<InvalidOperationException>(() => OnnxExporter.Export(new GraphOverride(network, changed), path));

        Assert.Equal("the graph names weight 'missing.weight', which the network's parameters lack", error.Message);
        Assert.Empty(Directory.GetFileSystemEntries(directory.Path));
    }

    [Fact]
    public void Null_arguments_are_refused()
    {
        Assert.Throws<ArgumentNullException>(() => OnnxExporter.ToModel(null!));
        Assert.Throws<ArgumentNullException>(() => OnnxExporter.Export(new SmallGappedNet(seed: 1), (Stream)null!));
    }

    /// <summary>A generated network seen through another graph: what a stale or hand-edited graph would give the exporter.</summary>
    private sealed class GraphOverride(INetwork network, NetworkGraph graph) : INetwork
    {
        public NetworkSummary Summary => network.Summary;
        public NetworkGraph Graph => graph;
        public NetworkSchedule Schedule => network.Schedule;
        public int InputLength => network.InputLength;
        public int OutputLength => network.OutputLength;
        public int MaxBatch => network.MaxBatch;
        public ParameterStore Parameters => network.Parameters;
        public IReadOnlyList<OperationInfo> Operations => network.Operations;
        public void RunOperation(int operation) => network.RunOperation(operation);
        public void Forward(ReadOnlySpan<float> input, Span<float> output, int batch) => network.Forward(input, output, batch);
    }
}
