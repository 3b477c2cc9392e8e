using InceptionGen.Kernels;
using InceptionGen.Tests.Network;
using InceptionGen.Training;
using Xunit;

namespace InceptionGen.Tests.Kernels;

/// <summary>
/// BatchNorm folded into convolutions that run by Winograd: a BasicConv2d 3x3 (BN and ReLU folded) and a 3x3 without
/// ReLU followed by a [BatchNorm] with ReLU (folded too, the conv taking the BN's ReLU), on an odd 17x19 map.
/// </summary>
[Network(Channels = 32, Height = 17, Width = 19, Convolution = ConvolutionAlgorithm.Fastest)]
public sealed partial class WinogradBatchNormNet
{
    [Conv(32, Kernel = 3, Padding = 1, BatchNorm = true)] public partial Conv Conv1 { get; }
    [Conv(32, Kernel = 3, Padding = 1, Relu = false)] public partial Conv Conv2 { get; }
    [BatchNorm(Relu = true)] public partial BatchNormLayer Norm { get; }
    [GlobalAveragePool] public partial Pool Pool { get; }
    [Linear(10)] public partial Linear Classifier { get; }
}

/// <summary><see cref="WinogradBatchNormNet"/> with every convolution direct.</summary>
[Network(Channels = 32, Height = 17, Width = 19, Convolution = ConvolutionAlgorithm.Direct)]
public sealed partial class WinogradBatchNormNetDirect
{
    [Conv(32, Kernel = 3, Padding = 1, BatchNorm = true)] public partial Conv Conv1 { get; }
    [Conv(32, Kernel = 3, Padding = 1, Relu = false)] public partial Conv Conv2 { get; }
    [BatchNorm(Relu = true)] public partial BatchNormLayer Norm { get; }
    [GlobalAveragePool] public partial Pool Pool { get; }
    [Linear(10)] public partial Linear Classifier { get; }
}

/// <summary>
/// The Winograd weights of a convolution with a folded BN are transformed from the folded weights (inference) or the
/// plain ones (training), and the BN's ReLU is applied: both networks agree within the Winograd error bound, in eval
/// mode with random running statistics and in a train-mode step.
/// </summary>
public sealed class WinogradBatchNormTests(ITestOutputHelper output)
{
    [Fact]
    public void Both_convolutions_run_by_winograd()
    {
        var kinds = WinogradBatchNormNet.Summary.Layers.ToDictionary(layer => layer.Name, layer => layer.Kind);
        output.WriteLine(WinogradBatchNormNet.Summary.Format());
        Assert.Contains("winograd", kinds["Conv1.Conv"], StringComparison.Ordinal);
        Assert.Contains("winograd", kinds["Conv2"], StringComparison.Ordinal);
    }

    [Fact]
    public void Eval_forward_with_folded_batch_norm_agrees_with_the_direct_network()
    {
        var (winograd, direct) = Networks(maxBatch: 2);
        var input = Differential.RandomInput(seed: 41, 2 * WinogradBatchNormNet.InputLength);
        var actual = new float[2 * WinogradBatchNormNet.OutputLength];
        var expected = new float[2 * WinogradBatchNormNet.OutputLength];
        winograd.Forward(input, actual, 2);
        direct.Forward(input, expected, 2);

        var relative = Differential.AssertClose(actual, expected, $"Winograd with folded BN against direct on {Isa.Current}");
        Assert.False(actual.AsSpan().SequenceEqual(expected), "bit-identical to the direct network: did Winograd run?");
        output.WriteLine($"logits: {relative:G3} of the largest on {Isa.Current}");
    }

    [Fact]
    public void A_training_step_agrees_with_the_direct_network()
    {
        var (winograd, direct) = Networks(maxBatch: 2);
        var images = Differential.RandomInput(seed: 42, 4 * WinogradBatchNormNet.InputLength);
        int[] labels = [1, 7, 3, 0];
        winograd.TrainStep(images, labels, 4, new SgdMomentum(0.1f));
        direct.TrainStep(images, labels, 4, new SgdMomentum(0.1f));

        var relative = Differential.AssertClose(winograd.Parameters.ReadOnlySpan, direct.Parameters.ReadOnlySpan, $"parameters and running statistics after a step on {Isa.Current}");
        output.WriteLine($"parameters after a step: {relative:G3} of the largest on {Isa.Current}");
    }

    private static (WinogradBatchNormNet Winograd, WinogradBatchNormNetDirect Direct) Networks(int maxBatch)
    {
        var winograd = new WinogradBatchNormNet(maxBatch, seed: 11);
        var direct = new WinogradBatchNormNetDirect(maxBatch, seed: 11);
        BatchNormNetReference.Randomize(winograd.Parameters, 13);
        BatchNormNetReference.Randomize(direct.Parameters, 13);
        Differential.AssertBitwiseEqual(winograd.Parameters.ReadOnlySpan, direct.Parameters.ReadOnlySpan, "the two networks' initial parameters");
        return (winograd, direct);
    }
}
