using InceptionGen.Interop;
using InceptionGen.Tests.Network;
using Xunit;

namespace InceptionGen.Tests.Interop;

/// <summary>
/// <see cref="SmallBatchNormNet"/> (torchvision's BasicConv2d, BatchNorm layers of their own, folded and not) against
/// PyTorch's own <c>BatchNorm2d</c> in tools/reference (reference.py builds the network from our graph JSON): eval logits,
/// train-mode loss and every parameter gradient over a batch of 6 (two of our passes of images, so statistics taken per
/// pass would fail), and the running statistics and num_batches_tracked after the step (read from torch's state_dict,
/// num_batches_tracked as torch's int64). Skips, saying why, without torch.
/// </summary>
public sealed class BatchNormAgreementTests(ITestOutputHelper output)
{
    private const int Batch = 6;

    /// <summary>The bar for the running statistics after one step.</summary>
    private const double RunningStatisticsTolerance = 1e-5;

    [Fact]
    public void SmallBatchNormNet_agrees_with_PyTorch_in_eval_and_train_mode()
    {
        Python.RequireModules("torch", "numpy");
        using var directory = new TempDirectory();
        var written = new SmallBatchNormNet(maxBatch: Batch, seed: 5);
        BatchNormNetReference.Randomize(written.Parameters, 17);
        var images = BatchNormNetworkTests.Images(Batch, SmallBatchNormNet.InputLength, 19);
        PyTorchAgreement.WriteCase(written, dropoutSeed: 7, images, [0, 4, 2, 1, 3, 3], directory.Path);
        output.WriteLine(PyTorchAgreement.RunReference(directory.Path, TimeSpan.FromMinutes(10), nearTies: 1e-5));

        var network = new SmallBatchNormNet(maxBatch: Batch, seed: 6);
        var agreement = PyTorchAgreement.Compare(network, directory.Path);
        var (nearTies, exposed) = PyTorchAgreement.ReadNearTies(directory.Path);
        output.WriteLine($"SmallBatchNormNet vs PyTorch: {agreement}; {nearTies} near ties feed {exposed.Count} gradients");
        // conv2.bias feeds a train-mode BN, which subtracts the batch mean: its true gradient is 0, and both sides give
        // rounding noise (~1e-9), which a relative error cannot judge. Both must be that small; the rest as usual.
        var biasGradient = network.Gradients.ReadOnlySpan.Slice(network.Conv2.BiasTensor!.Offset, network.Conv2.BiasTensor.Length).ToArray();
        var largest = network.Gradients.ReadOnlySpan.ToArray().Max(Math.Abs);
        Assert.All(biasGradient, value => Assert.True(Math.Abs(value) <= 1e-5f * largest, $"conv2.bias gradient {value} (largest gradient {largest})"));
        (agreement with { Gradients = [.. agreement.Gradients.Where(gradient => gradient.Name != "conv2.bias")] }).AssertWithinTolerances(exposed);

        // Running statistics after the step, against torch's state_dict (its num_batches_tracked is I64).
        var state = new ParameterStore(network.Parameters.Tensors, network.Parameters.Length);
        SafeTensors.Load(state, Path.Combine(directory.Path, PyTorchAgreement.ReferenceFolder, "state.safetensors"));
        var buffers = network.Parameters.Tensors.Where(tensor => tensor.Role.IsBuffer()).ToList();
        Assert.Equal(9, buffers.Count);
        foreach (var tensor in buffers)
        {
            var theirs = state.ReadOnlySpan.Slice(tensor.Offset, tensor.Length);
            var ours = network.Parameters.ReadOnlySpan.Slice(tensor.Offset, tensor.Length);
            var error = PyTorchAgreement.RelativeError(theirs, ours);
            output.WriteLine($"{PyTorchNames.From(tensor.Name)}: {error:E2}");
            Assert.True(error <= RunningStatisticsTolerance, $"{PyTorchNames.From(tensor.Name)} differs from torch's by {error:E2} of its largest");
        }

        Assert.All(buffers.Where(tensor => tensor.Role == ParameterRole.BatchCount), tensor => Assert.Equal(1f, network.Parameters.ReadOnlySpan[tensor.Offset]));
    }
}
