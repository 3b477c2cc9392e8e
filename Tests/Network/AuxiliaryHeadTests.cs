using InceptionGen.Definitions;
using Xunit;

namespace InceptionGen.Tests.Network;

/// <summary>
/// GoogLeNet's auxiliary heads pinned to the paper (section 5; Caffe's bvlc_googlenet loss1/loss2), written out here rather
/// than read from the generated graph: the PyTorch reference of the agreement tests builds its model from that graph's JSON,
/// so a head with a missing ReLU or a wrong dropout rate would be wrong on both sides and still agree.
/// </summary>
public sealed class AuxiliaryHeadTests
{
    /// <summary>
    /// Each head, after inception4a and inception4d: 5x5/3 average pool → 1x1 conv 128 + ReLU → flatten → FC 1024 + ReLU →
    /// dropout 0.7 → FC 1000 (linear, scores for the softmax loss), all training only, loss weight 0.3.
    /// </summary>
    [Theory]
    [InlineData("aux1", "inception4a")]
    [InlineData("aux2", "inception4d")]
    public void Each_head_is_the_papers_with_its_ReLUs_and_dropout_rate(string head, string tap)
    {
        foreach (var graph in new[] { GoogLeNet.Graph, NetworkGraph.FromJson(GoogLeNet.Graph.ToJson()) })
        {
            var nodes = graph.Nodes.Where(node => node.Name.StartsWith(head + ".", StringComparison.Ordinal)).ToList();
            Assert.Equal([$"{head}.pool", $"{head}.conv", $"{head}.flatten", $"{head}.hidden", $"{head}.dropout", $"{head}.classifier"],
                nodes.Select(node => node.Name));
            Assert.All(nodes, node => Assert.True(node.TrainingOnly, $"{node.Name} runs in inference"));
            Assert.Equal(tap, Assert.Single(nodes[0].Inputs));
            for (var i = 1; i < nodes.Count; i++)
            {
                Assert.Equal(nodes[i - 1].Output, Assert.Single(nodes[i].Inputs));
            }

            var pool = Assert.IsType<AvgPoolNode>(nodes[0]);
            Assert.Equal((5, 5, 3, 3), (pool.KernelHeight, pool.KernelWidth, pool.StrideHeight, pool.StrideWidth));
            var conv = Assert.IsType<ConvNode>(nodes[1]);
            Assert.Equal((128, 1, 1, 1, 1, 0, 0, true), (conv.OutChannels, conv.KernelHeight, conv.KernelWidth, conv.StrideHeight, conv.StrideWidth, conv.PaddingHeight, conv.PaddingWidth, conv.Relu));
            Assert.NotNull(conv.Bias);
            Assert.IsType<FlattenNode>(nodes[2]);
            var hidden = Assert.IsType<LinearNode>(nodes[3]);
            Assert.Equal((1024, true), (hidden.OutFeatures, hidden.Relu));
            Assert.NotNull(hidden.Bias);
            Assert.Equal(0.7f, Assert.IsType<DropoutNode>(nodes[4]).P);
            var classifier = Assert.IsType<LinearNode>(nodes[5]);
            Assert.Equal((1000, false), (classifier.OutFeatures, classifier.Relu));
            Assert.NotNull(classifier.Bias);
            Assert.Contains(new GraphAuxiliaryOutput($"{head}.classifier", 0.3f), graph.AuxiliaryOutputs);
        }
    }

    /// <summary>The main head: global average pool → dropout 0.4 → FC 1000, linear; dropout is the only training-only behaviour there.</summary>
    [Fact]
    public void The_main_head_drops_40_percent_and_its_classifier_has_no_ReLU()
    {
        var graph = GoogLeNet.Graph;
        var dropout = Assert.IsType<DropoutNode>(graph.Nodes.Single(node => node.Name == "dropout"));
        Assert.Equal(0.4f, dropout.P);
        var classifier = Assert.IsType<LinearNode>(graph.Nodes.Single(node => node.Name == graph.Output));
        Assert.Equal((1000, false, false), (classifier.OutFeatures, classifier.Relu, classifier.TrainingOnly));
    }

    /// <summary>
    /// The torchvision styles, op by op as torchvision's <c>InceptionAux</c> forward code has them (written out here, not read
    /// from the generator): GoogLeNet's adaptive 4x4 pool → BasicConv2d 128 → fc1 + ReLU → dropout 0.7 → fc2, and
    /// Inception-v3's 5x5/3 floor-mode pool → BasicConv2d 128 1x1 → BasicConv2d 768 5x5 → adaptive 1x1 pool → fc, with no
    /// hidden layer and no dropout; and a Caffe-named head with a second convolution and a global pool.
    /// </summary>
    [Fact]
    public void The_torchvision_heads_are_torchvisions_op_by_op()
    {
        var graph = NetworkGraph.FromJson(TorchvisionHeadsNet.Graph.ToJson());
        List<GraphNode> Head(string head, string tap, params string[] names)
        {
            var nodes = graph.Nodes.Where(node => node.Name.StartsWith(head + ".", StringComparison.Ordinal)).ToList();
            Assert.Equal(names.Select(name => head + "." + name), nodes.Select(node => node.Name));
            Assert.All(nodes, node => Assert.True(node.TrainingOnly, $"{node.Name} runs in inference"));
            Assert.Equal(graph.Nodes.Single(node => node.Name == tap).Output, Assert.Single(nodes[0].Inputs));
            for (var i = 1; i < nodes.Count; i++)
            {
                Assert.Equal(nodes[i - 1].Output, Assert.Single(nodes[i].Inputs));
            }

            return nodes;
        }

        static void BasicConv2d(GraphNode conv, GraphNode bn, int channels, int kernel)
        {
            var c = Assert.IsType<ConvNode>(conv);
            Assert.Equal((channels, kernel, kernel, 1, 1, 0, 0, false, null), (c.OutChannels, c.KernelHeight, c.KernelWidth, c.StrideHeight, c.StrideWidth, c.PaddingHeight, c.PaddingWidth, c.Relu, c.Bias));
            Assert.Equal(conv.Name + ".weight", c.Weight);
            var b = Assert.IsType<BatchNormNode>(bn);
            Assert.Equal((0.001, 0.1, true), (b.Epsilon, b.Momentum, b.Relu));
        }

        var v3 = Head("aux_logits", "conv1.bn", "pool", "conv0.conv", "conv0.bn", "conv1.conv", "conv1.bn", "global_pool", "flatten", "fc");
        var pool = Assert.IsType<AvgPoolNode>(v3[0]);
        Assert.Equal((5, 3, 0, false), (pool.KernelHeight, pool.StrideHeight, pool.PaddingHeight, pool.CeilMode));
        Assert.Equal(new FeatureShape(16, 5, 5), TorchvisionHeadsNet.Summary.Layers.Single(row => row.Name == "AuxLogits.Pool").OutputShape);
        BasicConv2d(v3[1], v3[2], 128, 1);
        BasicConv2d(v3[3], v3[4], 768, 5);
        Assert.Equal((1, 1), (Assert.IsType<AdaptiveAvgPoolNode>(v3[5]).OutputHeight, ((AdaptiveAvgPoolNode)v3[5]).OutputWidth));
        Assert.IsType<FlattenNode>(v3[6]);
        Assert.Equal((6, false), (Assert.IsType<LinearNode>(v3[7]).OutFeatures, ((LinearNode)v3[7]).Relu));
        Assert.Contains(new GraphAuxiliaryOutput("aux_logits.fc", 0.4f), graph.AuxiliaryOutputs);

        var googLeNet = Head("aux1", "pool1", "pool", "conv.conv", "conv.bn", "flatten", "fc1", "dropout", "fc2");
        Assert.Equal((4, 4), (Assert.IsType<AdaptiveAvgPoolNode>(googLeNet[0]).OutputHeight, ((AdaptiveAvgPoolNode)googLeNet[0]).OutputWidth));
        BasicConv2d(googLeNet[1], googLeNet[2], 128, 1);
        Assert.IsType<FlattenNode>(googLeNet[3]);
        Assert.Equal((1024, true), (Assert.IsType<LinearNode>(googLeNet[4]).OutFeatures, ((LinearNode)googLeNet[4]).Relu));
        Assert.Equal(0.7f, Assert.IsType<DropoutNode>(googLeNet[5]).P);
        Assert.Equal((6, false), (Assert.IsType<LinearNode>(googLeNet[6]).OutFeatures, ((LinearNode)googLeNet[6]).Relu));

        var caffe = Head("aux2", "pool1", "pool", "conv", "conv2", "global_pool", "flatten", "dropout", "classifier");
        Assert.Equal((3, 2, true), (Assert.IsType<AvgPoolNode>(caffe[0]).KernelHeight, ((AvgPoolNode)caffe[0]).StrideHeight, ((AvgPoolNode)caffe[0]).CeilMode));
        var second = Assert.IsType<ConvNode>(caffe[2]);
        Assert.Equal((8, 2, true), (second.OutChannels, second.KernelHeight, second.Relu));
        Assert.NotNull(second.Bias);
        Assert.Equal(new FeatureShape(8, 3, 3), TorchvisionHeadsNet.Summary.Layers.Single(row => row.Name == "Aux2.Conv2").OutputShape);
        Assert.Equal(0.5f, Assert.IsType<DropoutNode>(caffe[5]).P);

        // The handles: a head without a hidden layer has none, and a BasicConv2d's BN is reachable from its convolution.
        var net = new TorchvisionHeadsNet(maxBatch: 1, seed: 1);
        Assert.Null(net.AuxLogits.Hidden);
        Assert.Equal(768, net.AuxLogits.SecondConv!.OutChannels);
        Assert.Equal(0.001, net.AuxLogits.Conv.BatchNorm!.Epsilon);
        Assert.Equal((0f, 0.7f), (net.AuxLogits.DropoutRate, net.Aux1.DropoutRate));
        Assert.Equal(1024, net.Aux1.Hidden!.OutFeatures);
        Assert.Equal(["Aux2.Conv", "Aux2.Conv2", "Aux2.Classifier"], net.Aux2.WeightedLayers.Select(layer => layer.Name));
    }
}

