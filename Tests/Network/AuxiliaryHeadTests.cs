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
}
