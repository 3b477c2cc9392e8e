using System.Reflection;
using InceptionGen.Definitions;
using InceptionGen.Interop;
using InceptionGen.Tests.Interop;
using Xunit;

namespace InceptionGen.Tests.Network;

/// <summary>The generated <see cref="NetworkGraph"/>: its nodes, its weights against the parameter store, its JSON, and its shapes.</summary>
public sealed class GraphTests
{
    public static TheoryData<string> Networks => ["GoogLeNet", "FashionInception", "SmallInceptionNet", "SmallGappedNet", "NaiveInceptionModule", "BottleneckInceptionModule", "SmallBatchNormNet", "MapBatchNormNet"];

    internal static INetwork Create(string name) => name switch
    {
        "GoogLeNet" => new GoogLeNet(seed: 3),
        "FashionInception" => new FashionInception(seed: 3),
        "SmallInceptionNet" => new SmallInceptionNet(seed: 3),
        "SmallGappedNet" => new SmallGappedNet(seed: 3),
        "NaiveInceptionModule" => new NaiveInceptionModule(seed: 3),
        "BottleneckInceptionModule" => new BottleneckInceptionModule(seed: 3),
        "SmallBatchNormNet" => new SmallBatchNormNet(seed: 3),
        "MapBatchNormNet" => new MapBatchNormNet(seed: 3),
        _ => throw new ArgumentException(name),
    };

    [Fact]
    public void GoogLeNetHasTheExpectedNodes()
    {
        var graph = GoogLeNet.Graph;

        Assert.Equal("GoogLeNet", graph.Network);
        Assert.Equal(new GraphInput("input", 3, 224, 224), graph.Input);
        Assert.Equal("classifier", graph.Output);
        Assert.Equal([new GraphAuxiliaryOutput("aux1.classifier", 0.3f), new GraphAuxiliaryOutput("aux2.classifier", 0.3f)], graph.AuxiliaryOutputs);
        // Stem 7, nine modules of 6 convolutions + pool + concat, pools 3 and 4, GAP + dropout + classifier, two heads of 6.
        Assert.Equal(7 + 9 * 8 + 2 + 3 + 2 * 6, graph.Nodes.Count);
        var counts = graph.Nodes.GroupBy(node => node.Op).ToDictionary(group => group.Key, group => group.Count());
        Assert.Equal(new Dictionary<string, int>
        {
            ["Conv"] = 3 + 9 * 6 + 2, ["MaxPool"] = 4 + 9, ["LRN"] = 2, ["Concat"] = 9, ["AvgPool"] = 2, ["Flatten"] = 2,
            ["Linear"] = 1 + 2 * 2, ["Dropout"] = 1 + 2, ["GlobalAveragePool"] = 1,
        }, counts);
        Assert.Equal(12, graph.Nodes.Count(node => node.TrainingOnly));
        Assert.All(graph.Nodes.Where(node => node.TrainingOnly), node => Assert.StartsWith("aux", node.Name));

        var concat = Assert.IsType<ConcatNode>(graph.Nodes.Single(node => node.Name == "inception3a"));
        Assert.Equal(["inception3a.branch1", "inception3a.branch2", "inception3a.branch3", "inception3a.branch4_projection"], concat.Inputs);
        var pool = Assert.IsType<MaxPoolNode>(graph.Nodes.Single(node => node.Name == "inception3a.pool"));
        Assert.Equal((3, 3, 1, 1, 1, 1, false), (pool.KernelHeight, pool.KernelWidth, pool.StrideHeight, pool.StrideWidth, pool.PaddingHeight, pool.PaddingWidth, pool.CeilMode));
        Assert.Equal(new LrnNode("norm1", graph.Nodes.Single(node => node.Name == "norm1").Inputs, "norm1", false, 5, 1e-4f, 0.75f, 1f), graph.Nodes.Single(node => node.Name == "norm1"));
        var auxPool = Assert.IsType<AvgPoolNode>(graph.Nodes.Single(node => node.Name == "aux1.pool"));
        Assert.Equal(["inception4a"], auxPool.Inputs);
        Assert.Equal((5, 5, 3, 3, 0, 0, true, true), (auxPool.KernelHeight, auxPool.KernelWidth, auxPool.StrideHeight, auxPool.StrideWidth, auxPool.PaddingHeight, auxPool.PaddingWidth, auxPool.CeilMode, auxPool.CountIncludePad));
        Assert.Equal(["aux1.conv"], graph.Nodes.Single(node => node.Name == "aux1.flatten").Inputs);
        Assert.Same(GoogLeNet.Graph, ((INetwork)new GoogLeNet()).Graph);
    }

    [Theory]
    [MemberData(nameof(Networks))]
    public void WeightsOfTheGraphAreExactlyTheParameterStoresWithTheirShapes(string name)
    {
        var network = Create(name);
        var graph = network.Graph;
        var shapes = ShapeWalker.Walk(graph);
        var expected = new Dictionary<string, int[]>();
        foreach (var node in graph.Nodes)
        {
            var input = shapes[node.Inputs[0]];
            switch (node)
            {
                case ConvNode conv:
                    expected.Add(conv.Weight, [conv.OutChannels, input.Channels, conv.KernelHeight, conv.KernelWidth]);
                    AddBias(conv.Bias, conv.OutChannels);
                    break;
                case LinearNode linear:
                    expected.Add(linear.Weight, [linear.OutFeatures, input.Length]);
                    AddBias(linear.Bias, linear.OutFeatures);
                    break;
                case BatchNormNode bn:
                    foreach (var tensor in new[] { bn.Weight, bn.Bias, bn.RunningMean, bn.RunningVariance })
                    {
                        expected.Add(tensor, [input.Channels]);
                    }

                    // num_batches_tracked, a scalar, sits beside them as in torch's state_dict.
                    expected.Add(bn.Weight[..^"weight".Length] + "num_batches_tracked", []);
                    break;
            }
        }

        var stored = network.Parameters.Tensors.ToDictionary(tensor => PyTorchNames.From(tensor.Name), tensor => tensor.Shape.ToArray());
        Assert.Equal(stored.Keys.Order(), expected.Keys.Order());
        Assert.All(expected, entry => Assert.Equal(entry.Value, stored[entry.Key]));

        void AddBias(string? bias, int length)
        {
            if (bias is not null)
            {
                expected.Add(bias, [length]);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Networks))]
    public void ShapesWalkedFromTheGraphEqualTheLayerHandles(string name)
    {
        var network = Create(name);
        var shapes = ShapeWalker.Walk(network.Graph);
        var handles = network.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(property => typeof(Layer).IsAssignableFrom(property.PropertyType))
            .Select(property => (Layer)property.GetValue(network)!)
            .ToList();
        Assert.NotEmpty(handles);
        var compared = 0;
        foreach (var handle in handles)
        {
            var layers = handle switch
            {
                Inception module => [module, .. module.Convolutions],
                AuxiliaryClassifier head => [.. head.WeightedLayers],
                _ => new Layer[] { handle },
            };
            foreach (var layer in layers)
            {
                var shape = shapes[PyTorchNames.From(layer.Name)];
                Assert.True(shape == layer.OutputShape, $"{layer.Name}: graph {shape}, handle {layer.OutputShape}");
                compared++;
            }
        }

        Assert.True(compared >= handles.Count);
        var output = shapes[network.Graph.Output];
        Assert.Equal(network.OutputLength, output.Length);
    }

    [Theory]
    [MemberData(nameof(Networks))]
    public void JsonRoundTrips(string name)
    {
        var graph = Create(name).Graph;
        var json = graph.ToJson();

        var read = NetworkGraph.FromJson(json);

        Assert.Equal(json, read.ToJson());
        Assert.Equal(graph.Nodes.Select(node => (node.Op, node.Name, node.Output, node.TrainingOnly)), read.Nodes.Select(node => (node.Op, node.Name, node.Output, node.TrainingOnly)));
        Assert.Equal(graph.Nodes.Select(node => node.GetType()), read.Nodes.Select(node => node.GetType()));
    }

    [Fact]
    public void JsonFollowsTheContract()
    {
        var json = GoogLeNet.Graph.ToJson();

        Assert.StartsWith("""{"format":"inceptiongen.graph/1","network":"GoogLeNet","input":{"name":"input","channels":3,"height":224,"width":224},"output":"classifier","auxiliary_outputs":[{"name":"aux1.classifier","loss_weight":0.3},""", json);
        Assert.Contains("""{"op":"Conv","name":"conv1","inputs":["input"],"output":"conv1","out_channels":64,"kernel":7,"stride":2,"padding":3,"relu":true,"weight":"conv1.weight","bias":"conv1.bias","training_only":false}""", json);
        Assert.Contains("""{"op":"MaxPool","name":"pool1","inputs":["conv1"],"output":"pool1","kernel":3,"stride":2,"padding":0,"ceil_mode":true,"training_only":false}""", json);
        Assert.Contains("""{"op":"LRN","name":"norm1","inputs":["pool1"],"output":"norm1","size":5,"alpha":0.0001,"beta":0.75,"k":1,"training_only":false}""", json);
        Assert.Contains("""{"op":"Dropout","name":"dropout","inputs":["pool5"],"output":"dropout","p":0.4,"training_only":false}""", json);
        Assert.EndsWith("""{"op":"Linear","name":"classifier","inputs":["dropout"],"output":"classifier","out_features":1000,"relu":false,"weight":"classifier.weight","bias":"classifier.bias","training_only":false}]}""", json);
        Assert.Contains("\"bias\":null", SmallGappedNet.Graph.ToJson());
    }

    [Theory]
    [InlineData("not json", "not valid JSON")]
    [InlineData("[]", "graph is not an object")]
    [InlineData("""{"format":"other/1"}""", "format 'other/1'")]
    [InlineData("""{"format":"inceptiongen.graph/1","network":"X"}""", "graph lacks \"input\"")]
    [InlineData("""{"format":"inceptiongen.graph/1","network":"X","input":{"name":"input","channels":0,"height":1,"width":1}}""", "graph.input.channels is 0")]
    [InlineData("""{"format":"inceptiongen.graph/1","network":"X","input":{"name":"input","channels":1,"height":1,"width":1},"output":"a","auxiliary_outputs":[],"nodes":[{"op":"Softmax","name":"a","inputs":["input"],"output":"a","training_only":false}]}""", "graph.nodes[0] has unknown op 'Softmax'")]
    [InlineData("""{"format":"inceptiongen.graph/1","network":"X","input":{"name":"input","channels":1,"height":1,"width":1},"output":"a","auxiliary_outputs":[],"nodes":[{"op":"Flatten","name":"a","inputs":["b"],"output":"a","training_only":false}]}""", "node 'a' reads 'b'")]
    [InlineData("""{"format":"inceptiongen.graph/1","network":"X","input":{"name":"input","channels":1,"height":1,"width":1},"output":"z","auxiliary_outputs":[],"nodes":[{"op":"Flatten","name":"a","inputs":["input"],"output":"a","training_only":false}]}""", "output 'z' is not produced")]
    [InlineData("""{"format":"inceptiongen.graph/1","network":"X","input":{"name":"input","channels":1,"height":1,"width":1},"output":"a","auxiliary_outputs":[],"nodes":[{"op":"Dropout","name":"a","inputs":["input"],"output":"a","p":"x","training_only":false}]}""", "graph.nodes[0].p is String")]
    [InlineData("""{"format":"inceptiongen.graph/1","network":"X","input":{"name":"input","channels":1,"height":1,"width":1},"output":"a","auxiliary_outputs":[],"nodes":[{"op":"Flatten","name":"a","inputs":["input"],"output":"a","training_only":1}]}""", "training_only is Number; expected a boolean")]
    public void MalformedJsonIsRejectedWithAClearMessage(string json, string expected)
    {
        var exception = Assert.Throws<FormatException>(() => NetworkGraph.FromJson(json));
        Assert.Contains(expected, exception.Message);
    }

    [Fact]
    public void SavingANetworkRecordsItsNameAndGraph()
    {
        using var directory = new TempDirectory();
        var path = directory.File("model.safetensors");
        var network = new SmallInceptionNet(seed: 5);

        SafeTensors.Save(network, path, new Dictionary<string, string> { ["note"] = "kept", ["network"] = "overridden" });

        var metadata = SafeTensors.ReadMetadata(path);
        Assert.Equal("SmallInceptionNet", metadata["network"]);
        Assert.Equal("kept", metadata["note"]);
        Assert.Equal(SmallInceptionNet.Graph.ToJson(), NetworkGraph.FromJson(metadata[NetworkGraph.MetadataKey]).ToJson());
        var loaded = new SmallInceptionNet(seed: 6);
        SafeTensors.Load(loaded.Parameters, path);
        Differential.AssertBitwiseEqual(network.Parameters.ReadOnlySpan, loaded.Parameters.ReadOnlySpan, "loaded weights");
    }
}

/// <summary>
/// Shapes of every tensor of a graph, computed from the nodes alone with PyTorch's formulas (written here
/// independently of the generator): <c>pooling_output_shape</c> for pools, <c>(in + 2p − k) / s + 1</c> for convolutions.
/// </summary>
internal static class ShapeWalker
{
    public static Dictionary<string, FeatureShape> Walk(NetworkGraph graph)
    {
        var shapes = new Dictionary<string, FeatureShape> { [graph.Input.Name] = new(graph.Input.Channels, graph.Input.Height, graph.Input.Width) };
        foreach (var node in graph.Nodes)
        {
            var input = shapes[node.Inputs[0]];
            shapes[node.Output] = node switch
            {
                ConvNode conv => new(conv.OutChannels, (input.Height + 2 * conv.PaddingHeight - conv.KernelHeight) / conv.StrideHeight + 1, (input.Width + 2 * conv.PaddingWidth - conv.KernelWidth) / conv.StrideWidth + 1),
                MaxPoolNode pool => new(input.Channels, PoolSize(input.Height, pool.KernelHeight, pool.StrideHeight, pool.PaddingHeight, pool.CeilMode), PoolSize(input.Width, pool.KernelWidth, pool.StrideWidth, pool.PaddingWidth, pool.CeilMode)),
                AvgPoolNode pool => new(input.Channels, PoolSize(input.Height, pool.KernelHeight, pool.StrideHeight, pool.PaddingHeight, pool.CeilMode), PoolSize(input.Width, pool.KernelWidth, pool.StrideWidth, pool.PaddingWidth, pool.CeilMode)),
                ConcatNode => Concat(node.Inputs.Select(name => shapes[name]).ToList()),
                GlobalAveragePoolNode => new(input.Channels, 1, 1),
                FlattenNode => new(input.Length, 1, 1),
                LinearNode linear => new(linear.OutFeatures, 1, 1),
                LrnNode or DropoutNode or BatchNormNode => input,
                _ => throw new InvalidOperationException(node.Op),
            };
        }

        return shapes;
    }

    /// <summary>PyTorch's pooling_output_shape (aten/src/ATen/native/Pool.h), dilation 1.</summary>
    private static int PoolSize(int size, int kernel, int stride, int padding, bool ceilMode)
    {
        var output = (size + 2 * padding - kernel + (ceilMode ? stride - 1 : 0)) / stride + 1;
        if (ceilMode && (output - 1) * stride >= size + padding)
        {
            output--;
        }

        return output;
    }

    private static FeatureShape Concat(IReadOnlyList<FeatureShape> parts)
    {
        Assert.All(parts, part => Assert.Equal((parts[0].Height, parts[0].Width), (part.Height, part.Width)));
        return new FeatureShape(parts.Sum(part => part.Channels), parts[0].Height, parts[0].Width);
    }
}
