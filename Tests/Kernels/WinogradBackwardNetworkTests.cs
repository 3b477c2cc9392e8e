using System.Reflection;
using InceptionGen.Kernels;
using InceptionGen.Tests.Network;
using InceptionGen.Tests.Training;
using InceptionGen.Training;
using Xunit;

namespace InceptionGen.Tests.Kernels;

/// <summary>
/// A 1x1 convolution, then a 3x3 one whose input gradient (a 128 → 64 transposed convolution on a 30x30 map) the
/// default cost model gives to Winograd F(2,3); the 1x1 in front makes that gradient run in every training step.
/// </summary>
[Network(Channels = 16, Height = 28, Width = 28)]
public sealed partial class WinogradBackwardNet
{
    [Conv(64, Kernel = 1)] public partial Conv Reduce { get; }
    [Conv(128, Kernel = 3, Padding = 1)] public partial Conv Conv3x3 { get; }
    [GlobalAveragePool] public partial Pool Pool { get; }
    [Linear(10)] public partial Linear Classifier { get; }
}

/// <summary><see cref="WinogradBackwardNet"/> with every convolution forced direct, forward and backward.</summary>
[Network(Channels = 16, Height = 28, Width = 28, Convolution = ConvolutionAlgorithm.Direct)]
public sealed partial class WinogradBackwardNetDirect
{
    [Conv(64, Kernel = 1)] public partial Conv Reduce { get; }
    [Conv(128, Kernel = 3, Padding = 1)] public partial Conv Conv3x3 { get; }
    [GlobalAveragePool] public partial Pool Pool { get; }
    [Linear(10)] public partial Linear Classifier { get; }
}

/// <summary>
/// The input gradient of 3x3 stride-1 convolutions by Winograd in generated networks, on whichever instruction-set path
/// this process runs: the plan's choice is what the emitted backward runs (a Winograd input-gradient method exists exactly
/// for the convolutions the plan gave it), the gradients agree with the direct network's and with central differences of
/// the network's own loss, with F(2,3) (<c>Auto</c>) and F(4,3) (<see cref="WinogradNet"/>, <c>Fastest</c>).
/// </summary>
public sealed class WinogradBackwardNetworkTests(ITestOutputHelper output)
{
    private const int Batch = 3;

    private static string[] WinogradInputGradients(Type network)
        => network.GetMethods(BindingFlags.Instance | BindingFlags.NonPublic).Select(method => method.Name)
            .Where(name => name.StartsWith("__WinogradInputGradient_", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToArray();

    [Fact]
    public void The_emitted_backward_runs_winograd_where_the_plan_chose_it_and_direct_turns_it_off()
    {
        Assert.Equal(["__WinogradInputGradient_Conv3x3"], WinogradInputGradients(typeof(WinogradBackwardNet)));
        Assert.Empty(WinogradInputGradients(typeof(WinogradBackwardNetDirect)));
        Assert.Empty(WinogradInputGradients(typeof(WinogradNetDirect)));
        var googLeNet = WinogradInputGradients(typeof(Definitions.GoogLeNet));
        Assert.Contains("__WinogradInputGradient_Conv2", googLeNet);
        output.WriteLine($"WinogradNet: {string.Join(", ", WinogradInputGradients(typeof(WinogradNet)))}");
        output.WriteLine($"GoogLeNet: {string.Join(", ", googLeNet)}");
    }

    [Fact]
    public void Gradients_agree_with_the_direct_network()
    {
        var winograd = new WinogradBackwardNet(Batch, seed: 5);
        var direct = new WinogradBackwardNetDirect(Batch, seed: 5);
        Differential.RandomizeBiases(winograd.Parameters, seed: 6);
        Differential.RandomizeBiases(direct.Parameters, seed: 6);
        var images = Differential.RandomInput(seed: 7, Batch * WinogradBackwardNet.InputLength);
        int[] labels = [3, 9, 0];
        var winogradInput = new float[images.Length];
        var directInput = new float[images.Length];
        winograd.Backward(images, labels, Batch, winogradInput);
        direct.Backward(images, labels, Batch, directInput);

        var weights = Differential.AssertClose(winograd.Gradients.ReadOnlySpan, direct.Gradients.ReadOnlySpan, $"parameter gradients on {Isa.Current}");
        var input = Differential.AssertClose(winogradInput, directInput, $"input gradient on {Isa.Current}");
        // Reduce's weight gradient reads the gradient the Winograd backward of Conv3x3 wrote: it must not be the direct one bit for bit.
        var reduce = WinogradBackwardNet.ParameterTensors.First(tensor => tensor.Name == "Reduce.Weights");
        Assert.False(winograd.Gradients[reduce].SequenceEqual(direct.Gradients[reduce]), "Reduce's weight gradient is the direct one bit for bit: did the Winograd input gradient run?");
        output.WriteLine($"parameter gradients {weights:G3}, input gradient {input:G3} of the largest on {Isa.Current}");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Input_and_reduce_gradients_match_finite_differences(bool fastest)
    {
        ITrainableNetwork network;
        IReadOnlyList<ParameterTensor> tensors;
        int inputLength;
        Action<float[], int[], float[]> backward;
        if (fastest)
        {
            var winogradNet = new WinogradNet(Batch, seed: 8);
            (network, tensors, inputLength) = (winogradNet, WinogradNet.ParameterTensors, WinogradNet.InputLength);
            backward = (images, labels, gradient) => winogradNet.Backward(images, labels, Batch, gradient);
        }
        else
        {
            var backwardNet = new WinogradBackwardNet(Batch, seed: 8);
            (network, tensors, inputLength) = (backwardNet, WinogradBackwardNet.ParameterTensors, WinogradBackwardNet.InputLength);
            backward = (images, labels, gradient) => backwardNet.Backward(images, labels, Batch, gradient);
        }

        Differential.RandomizeBiases(network.Parameters, seed: 9);
        var images = Differential.RandomInput(seed: 10, Batch * inputLength);
        int[] labels = [1, 4, 8];
        var step = network.TrainingStep;
        var inputGradient = new float[images.Length];
        backward(images, labels, inputGradient);
        var analytic = network.Gradients.ReadOnlySpan.ToArray();
        Assert.Contains(inputGradient, value => value != 0f);
        var random = new Random(11);
        for (var sample = 0; sample < 12; sample++)
        {
            var index = random.Next(images.Length);
            NetworkGradientCheck.AssertClose(inputGradient[index], NetworkGradientCheck.InputDifference(network, images, labels, Batch, step, index), $"input[{index}]");
        }

        // The first convolution's weights: their gradient reads the input gradient of the Winograd 3x3 after it.
        var first = tensors.First(tensor => tensor.Role == ParameterRole.Weight);
        for (var sample = 0; sample < 6; sample++)
        {
            var index = first.Offset + random.Next(first.Length);
            NetworkGradientCheck.AssertClose(analytic[index], NetworkGradientCheck.ParameterDifference(network, images, labels, Batch, step, index), $"{first.Name}[{index - first.Offset}]");
        }
    }
}
