using InceptionGen.Kernels;
using InceptionGen.Onnx;
using InceptionGen.Tests.Network;
using Xunit;
using static InceptionGen.Tests.Training.NetworkGradientCheck;

namespace InceptionGen.Tests.Training;

/// <summary>torchvision GoogLeNet's auxiliary head in small: an adaptive average pool of a 14x14 map to 4x4, whose windows overlap.</summary>
[Network(Channels = 5, Height = 14, Width = 14)]
public sealed partial class AdaptiveNet
{
    [Conv(16, Kernel = 3, Padding = 1)] public partial Conv Conv { get; }
    [AdaptiveAveragePool(4)] public partial Pool Pool { get; }
    [Conv(8)] public partial Conv Project { get; }
    [Flatten] public partial Flatten Flatten { get; }
    [Linear(3)] public partial Linear Classifier { get; }
}

/// <summary>An adaptive pool whose windows are uniform (14 rows to 7, 14 columns to 2), which ONNX exports as an AveragePool.</summary>
[Network(Channels = 3, Height = 14, Width = 14)]
public sealed partial class UniformAdaptiveNet
{
    [Conv(17, Kernel = 3, Padding = 1)] public partial Conv Conv { get; }
    [AdaptiveAveragePool(OutputHeight = 7, OutputWidth = 2)] public partial Pool Pool { get; }
    [Flatten] public partial Flatten Flatten { get; }
    [Linear(4)] public partial Linear Classifier { get; }
}

/// <summary>The adaptive average pool: its windows, kernels on this process's instruction-set path, shapes, gradients and export.</summary>
public sealed class AdaptivePoolTests
{
    private const int Batch = 3;

    [Fact]
    public void Windows_are_PyTorch_s_floor_and_ceil_of_i_times_in_over_out()
    {
        // torchvision's GoogLeNet auxiliary head: 14x14 to 4x4.
        Assert.Equal([(0, 4), (3, 7), (7, 11), (10, 14)], Enumerable.Range(0, 4).Select(o => ReferenceKernels.AdaptiveWindow(o, 14, 4)));
        Assert.Equal([(0, 2), (2, 4), (4, 6)], Enumerable.Range(0, 3).Select(o => ReferenceKernels.AdaptiveWindow(o, 6, 3)));
        // More outputs than inputs: windows of one cell, repeated.
        Assert.Equal([(0, 1), (0, 2), (1, 2)], Enumerable.Range(0, 3).Select(o => ReferenceKernels.AdaptiveWindow(o, 2, 3)));
    }

    /// <summary>Bit for bit: both add each window's cells in the same order and divide by the same count; the backward adds the same shares in the same order.</summary>
    [Theory]
    [InlineData(16, 14, 14, 4, 4)]
    [InlineData(17, 9, 7, 4, 3)]
    [InlineData(33, 5, 6, 7, 2)]
    [InlineData(3, 8, 8, 1, 1)]
    public void Blocked_kernels_match_the_reference_bit_for_bit(int channels, int height, int width, int outHeight, int outWidth)
    {
        var physical = BlockedLayout.PaddedChannels(channels);
        var random = new Random(7);
        var input = Enumerable.Range(0, physical * height * width).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var expected = new float[physical * outHeight * outWidth];
        ReferenceKernels.AdaptiveAvgPool2d(input, expected, physical, height, width, outHeight, outWidth);
        var actual = new float[expected.Length];
        var (inPlane, outPlane) = (height * width * 16, outHeight * outWidth * 16);
        for (var b = 0; b < physical / 16; b++)
        {
            BlockedKernels.AdaptiveAvgPoolBlock(input.AsSpan(b * inPlane, inPlane), actual.AsSpan(b * outPlane, outPlane), height, width, outHeight, outWidth);
        }

        Differential.AssertBitwiseEqual(expected, actual, $"adaptive pool {height}x{width} -> {outHeight}x{outWidth} on {Isa.Current}");

        var outputGradient = Enumerable.Range(0, expected.Length).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var prior = Enumerable.Range(0, input.Length).Select(_ => (float)random.NextDouble()).ToArray();
        var expectedGradient = (float[])prior.Clone();
        ReferenceBackward.AdaptiveAvgPool2d(outputGradient, expectedGradient, physical, height, width, outHeight, outWidth);
        var actualGradient = (float[])prior.Clone();
        for (var b = 0; b < physical / 16; b++)
        {
            BlockedBackwardKernels.AdaptiveAvgPoolBlock(outputGradient.AsSpan(b * outPlane, outPlane), actualGradient.AsSpan(b * inPlane, inPlane), height, width, outHeight, outWidth);
        }

        Differential.AssertBitwiseEqual(expectedGradient, actualGradient, $"adaptive pool gradient {height}x{width} -> {outHeight}x{outWidth} on {Isa.Current}");
        Assert.NotEqual(prior, actualGradient);
    }

    [Fact]
    public void The_reference_averages_each_window()
    {
        // One channel of 14x14 holding x + 100·y: each window's mean is its centre's value.
        var input = new float[16 * 14 * 14];
        for (var y = 0; y < 14; y++)
        {
            for (var x = 0; x < 14; x++)
            {
                input[BlockedLayout.Index(0, y, x, 14, 14)] = x + 100 * y;
            }
        }

        var output = new float[16 * 4 * 4];
        ReferenceKernels.AdaptiveAvgPool2d(input, output, 16, 14, 14, 4, 4);
        float[] centres = [1.5f, 4.5f, 8.5f, 11.5f];
        for (var oy = 0; oy < 4; oy++)
        {
            for (var ox = 0; ox < 4; ox++)
            {
                Assert.Equal(centres[ox] + 100 * centres[oy], output[BlockedLayout.Index(0, oy, ox, 4, 4)], 3);
            }
        }
    }

    [Fact]
    public void Shape_summary_and_graph_node()
    {
        var pool = AdaptiveNet.Summary.Layers.Single(row => row.Name == "Pool");
        Assert.Equal(("adaptive avg pool 4x4", 16, 4, 4), (pool.Kind, pool.OutputShape.Channels, pool.OutputShape.Height, pool.OutputShape.Width));
        var node = Assert.IsType<AdaptiveAvgPoolNode>(AdaptiveNet.Graph.Nodes.Single(node => node.Name == "pool"));
        Assert.Equal((4, 4), (node.OutputHeight, node.OutputWidth));
        var read = NetworkGraph.FromJson(AdaptiveNet.Graph.ToJson());
        var back = Assert.IsType<AdaptiveAvgPoolNode>(read.Nodes.Single(n => n.Name == "pool"));
        Assert.Equal(node, back with { Inputs = node.Inputs });
        Assert.Equal(node.Inputs, back.Inputs);
        Assert.Contains("\"output_size\":[7,2]", UniformAdaptiveNet.Graph.ToJson().Replace(" ", ""));
    }

    [Fact]
    public void Onnx_export_refuses_windows_that_are_not_uniform_and_says_why()
    {
        var error = Assert.Throws<NotSupportedException>(() => OnnxExporter.ToBytes(new AdaptiveNet(1, seed: 1)));
        Assert.Contains("pool", error.Message);
        Assert.Contains("[0, 4), [3, 7), [7, 11), [10, 14)", error.Message);
        Assert.Contains("ONNX has no adaptive pool", error.Message);
    }

    [Fact]
    public void Weight_and_input_gradients_match_finite_differences()
    {
        var network = new AdaptiveNet(maxBatch: Batch, seed: 3);
        var random = new Random(21);
        foreach (var tensor in AdaptiveNet.ParameterTensors.Where(tensor => tensor.Role == ParameterRole.Bias))
        {
            foreach (ref var value in network.Parameters[tensor])
            {
                value = (float)(random.NextDouble() * 0.2 - 0.05);
            }
        }

        network.Parameters.MarkChanged();
        var images = Enumerable.Range(0, Batch * AdaptiveNet.InputLength).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        int[] labels = [0, 2, 1];
        var step = network.TrainingStep;
        var inputGradient = new float[images.Length];
        network.Backward(images, labels, Batch, inputGradient);
        var analytic = network.Gradients.ReadOnlySpan.ToArray();
        foreach (var tensor in AdaptiveNet.ParameterTensors)
        {
            for (var sample = 0; sample < 4; sample++)
            {
                var index = tensor.Offset + random.Next(tensor.Length);
                AssertClose(analytic[index], ParameterDifference(network, images, labels, Batch, step, index), $"{tensor.Name}[{index - tensor.Offset}]");
            }
        }

        for (var sample = 0; sample < 16; sample++)
        {
            var index = random.Next(images.Length);
            AssertClose(inputGradient[index], InputDifference(network, images, labels, Batch, step, index), $"input[{index}]");
        }
    }
}
