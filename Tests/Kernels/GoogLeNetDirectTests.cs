using InceptionGen.Definitions;
using InceptionGen.Kernels;
using InceptionGen.Tests.Network;
using Xunit;

namespace InceptionGen.Tests.Kernels;

/// <summary>
/// <see cref="GoogLeNetDirect"/>, the benchmarks' direct baseline, is GoogLeNet layer for layer with every convolution
/// direct; and GoogLeNet, whose planner runs some 3x3 convolutions and their input gradients by Winograd F(2,3), agrees with
/// it, by the PyTorch agreement's bounds: logits within 1e-4 of the largest; the parameter gradients of a training step
/// within 1e-3 in relative L2, 5x for one that feeds a near tie. A near tie is a max-pool window or ReLU whose decision a
/// rounding difference of Winograd's size flips; which gradients feed one needs PyTorch's tie search
/// (<c>PyTorchAgreementTests</c>), so here every gradient gets the 5x bound and the classifier heads, which feed none
/// (asserted there), the 1e-3 one.
/// </summary>
public sealed class GoogLeNetDirectTests(ITestOutputHelper output)
{
    private static string WithoutAlgorithm(string kind)
    {
        var winograd = kind.IndexOf(" winograd", StringComparison.Ordinal);
        return winograd < 0 ? kind : kind[..winograd];
    }

    [Fact]
    public void Its_layers_and_parameters_are_googlenets_and_every_convolution_is_direct()
    {
        Assert.Equal(GoogLeNet.Summary.Layers.Select(layer => (layer.Name, WithoutAlgorithm(layer.Kind), layer.OutputShape)),
            GoogLeNetDirect.Summary.Layers.Select(layer => (layer.Name, layer.Kind, layer.OutputShape)));
        Assert.Equal(GoogLeNet.ParameterTensors.Select(tensor => (tensor.Name, tensor.Offset, tensor.Length)),
            GoogLeNetDirect.ParameterTensors.Select(tensor => (tensor.Name, tensor.Offset, tensor.Length)));
        Assert.DoesNotContain(GoogLeNetDirect.Summary.Layers, layer => layer.Kind.Contains("winograd", StringComparison.Ordinal));
        Assert.Contains(GoogLeNet.Summary.Layers, layer => layer.Kind.Contains("winograd", StringComparison.Ordinal));
    }

    [Fact]
    public void Googlenet_with_winograd_agrees_with_the_direct_one_forward_and_in_a_training_step()
    {
        const int batch = 2;
        var winograd = new GoogLeNet(batch, seed: 3);
        var direct = new GoogLeNetDirect(batch, seed: 3);
        Differential.RandomizeBiases(winograd.Parameters, seed: 4);
        Differential.RandomizeBiases(direct.Parameters, seed: 4);
        var images = Differential.RandomInput(seed: 5, batch * GoogLeNet.InputLength);

        var logits = new float[batch * GoogLeNet.OutputLength];
        var directLogits = new float[batch * GoogLeNet.OutputLength];
        winograd.Forward(images, logits, batch);
        direct.Forward(images, directLogits, batch);
        var logitError = Differential.AssertClose(logits, directLogits, $"GoogLeNet logits against GoogLeNetDirect on {Isa.Current}");
        Assert.False(logits.AsSpan().SequenceEqual(directLogits), "GoogLeNet's logits are GoogLeNetDirect's bit for bit: did Winograd run?");
        if (!System.Runtime.Intrinsics.Vector128.IsHardwareAccelerated)
        {
            // Without SIMD both backward passes run the scalar direct reference (no Winograd input gradient), and the two
            // training steps take over ten minutes: the vector paths check them.
            output.WriteLine($"logits {logitError:G3} of the largest on {Isa.Current}; the training step is checked on the vector paths");
            return;
        }

        int[] labels = [17, 912];
        winograd.Backward(images, labels, batch);
        direct.Backward(images, labels, batch);
        var worst = (Name: "", Error: 0.0);
        var loose = new List<string>();
        foreach (var tensor in GoogLeNet.ParameterTensors)
        {
            var ours = winograd.Gradients[tensor];
            var theirs = direct.Gradients[tensor];
            double difference = 0, norm = 0;
            for (var i = 0; i < ours.Length; i++)
            {
                difference += ((double)ours[i] - theirs[i]) * ((double)ours[i] - theirs[i]);
                norm += (double)theirs[i] * theirs[i];
            }

            var error = norm == 0 ? Math.Sqrt(difference) : Math.Sqrt(difference / norm);
            var head = tensor.Auxiliary || tensor.Name.StartsWith("Classifier.", StringComparison.Ordinal);
            var bound = head ? 1e-3 : 5e-3;
            Assert.True(error <= bound, $"{tensor.Name}: gradient relative L2 error {error:G3} against GoogLeNetDirect on {Isa.Current}, bound {bound:G3}");
            if (error > 1e-3)
            {
                loose.Add($"{tensor.Name} {error:G3}");
            }

            worst = error > worst.Error ? (tensor.Name, error) : worst;
        }

        output.WriteLine($"logits {logitError:G3} of the largest; worst gradient {worst.Name} {worst.Error:G3} (relative L2) on {Isa.Current}; past 1e-3: {string.Join(", ", loose)}");
    }
}
