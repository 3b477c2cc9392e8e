using InceptionGen.Kernels;
using InceptionGen.Tests.Network;
using InceptionGen.Threading;
using InceptionGen.Training;
using Xunit;

namespace InceptionGen.Tests.Kernels;

/// <summary>
/// A 3x3 convolution on an odd map (17x19, 4x5 tiles of F(4,3) with partial tiles at both edges) and an Inception module
/// whose 3x3 branch writes a concat slice: with F(4,3) allowed, the planner gives both to it.
/// </summary>
[Network(Channels = 32, Height = 17, Width = 19, Convolution = ConvolutionAlgorithm.Fastest)]
public sealed partial class WinogradNet
{
    [Conv(48, Kernel = 3, Padding = 1)] public partial Conv Conv1 { get; }
    [Inception(16, 48, 64, 8, 16, 16)] public partial Inception Mixed { get; }
    [GlobalAveragePool] public partial Pool Pool { get; }
    [Linear(10)] public partial Linear Classifier { get; }
}

/// <summary><see cref="WinogradNet"/> with every convolution forced direct.</summary>
[Network(Channels = 32, Height = 17, Width = 19, Convolution = ConvolutionAlgorithm.Direct)]
public sealed partial class WinogradNetDirect
{
    [Conv(48, Kernel = 3, Padding = 1)] public partial Conv Conv1 { get; }
    [Inception(16, 48, 64, 8, 16, 16)] public partial Inception Mixed { get; }
    [GlobalAveragePool] public partial Pool Pool { get; }
    [Linear(10)] public partial Linear Classifier { get; }
}

/// <summary>
/// The generated Winograd path in networks, on whichever instruction-set path this process runs: the planner's choice
/// shows in the summary, <c>Convolution = ConvolutionAlgorithm.Direct</c> turns it off, the forward pass and a training
/// step agree with the direct network's within the Winograd error bound (and differ from it, so Winograd ran), and a
/// result does not depend on the thread count.
/// </summary>
public sealed class WinogradNetworkTests(ITestOutputHelper output)
{
    [Fact]
    public void The_summary_shows_each_convolutions_algorithm_and_direct_turns_winograd_off()
    {
        var kinds = WinogradNet.Summary.Layers.ToDictionary(layer => layer.Name, layer => layer.Kind);
        Assert.Equal("conv 3x3/1 winograd F(4,3)", kinds["Conv1"]);
        Assert.Equal("conv 3x3/1 winograd F(4,3)", kinds["Mixed.Branch2"]);
        Assert.Equal("conv 1x1/1", kinds["Mixed.Branch2Reduce"]);
        Assert.DoesNotContain(WinogradNetDirect.Summary.Layers, layer => layer.Kind.Contains("winograd", StringComparison.Ordinal));
        Assert.Contains("winograd F(4,3)", WinogradNet.Summary.Format(), StringComparison.Ordinal);
    }

    /// <summary>
    /// GoogLeNet (<c>Auto</c>) gives some 3x3 stride-1 convolutions, conv2 among them, to F(2,3) and none to F(4,3), whose
    /// error would move its gradients out of agreement with PyTorch.
    /// </summary>
    [Fact]
    public void GoogLeNet_runs_only_f2_winograd_and_conv2_by_it()
    {
        var winograd = Definitions.GoogLeNet.Summary.Layers.Where(layer => layer.Kind.Contains("winograd", StringComparison.Ordinal)).ToList();
        Assert.Contains(winograd, layer => layer.Name == "Conv2");
        Assert.All(winograd, layer => Assert.Equal("conv 3x3/1 winograd F(2,3)", layer.Kind));
        foreach (var layer in winograd)
        {
            output.WriteLine($"{layer.Name}: {layer.Kind}");
        }
    }

    [Fact]
    public void Forward_agrees_with_the_direct_network_and_differs_from_it()
    {
        var (winograd, direct) = Networks(maxBatch: 3);
        var input = Differential.RandomInput(seed: 31, 3 * WinogradNet.InputLength);
        var actual = new float[3 * WinogradNet.OutputLength];
        var expected = new float[3 * WinogradNet.OutputLength];
        winograd.Forward(input, actual, 3);
        direct.Forward(input, expected, 3);

        var relative = Differential.AssertClose(actual, expected, $"Winograd against direct on {Isa.Current}");
        Assert.False(actual.AsSpan().SequenceEqual(expected), "the Winograd network gave the direct result bit for bit: did Winograd run?");
        output.WriteLine($"logits: {relative:G3} of the largest on {Isa.Current}");
    }

    [Fact]
    public void A_training_step_agrees_with_the_direct_network()
    {
        var (winograd, direct) = Networks(maxBatch: 2);
        var images = Differential.RandomInput(seed: 32, 4 * WinogradNet.InputLength);
        int[] labels = [1, 7, 3, 0];
        winograd.TrainStep(images, labels, 4, new SgdMomentum(0.1f));
        direct.TrainStep(images, labels, 4, new SgdMomentum(0.1f));

        var relative = Differential.AssertClose(winograd.Parameters.ReadOnlySpan, direct.Parameters.ReadOnlySpan, $"weights after a step on {Isa.Current}");
        output.WriteLine($"weights after a step: {relative:G3} of the largest on {Isa.Current}");
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void Results_are_bit_identical_across_thread_counts(int threads)
    {
        float[] Run(int count)
        {
            using var pool = new WorkerPool(count);
            var network = new WinogradNet(maxBatch: 3, seed: 11, pool: pool);
            Differential.RandomizeBiases(network.Parameters, seed: 12);
            var result = new float[3 * WinogradNet.OutputLength];
            network.Forward(Differential.RandomInput(seed: 33, 3 * WinogradNet.InputLength), result, 3);
            return result;
        }

        Differential.AssertBitwiseEqual(Run(1), Run(threads), $"1 thread against {threads}");
    }

    private static (WinogradNet Winograd, WinogradNetDirect Direct) Networks(int maxBatch)
    {
        var winograd = new WinogradNet(maxBatch, seed: 11);
        var direct = new WinogradNetDirect(maxBatch, seed: 11);
        Differential.RandomizeBiases(winograd.Parameters, seed: 12);
        Differential.RandomizeBiases(direct.Parameters, seed: 12);
        Differential.AssertBitwiseEqual(winograd.Parameters.ReadOnlySpan, direct.Parameters.ReadOnlySpan, "the two networks' initial parameters");
        return (winograd, direct);
    }
}
