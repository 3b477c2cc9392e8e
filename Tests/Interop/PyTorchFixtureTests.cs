using InceptionGen.Tests.Network;
using Xunit;

namespace InceptionGen.Tests.Interop;

/// <summary>
/// SmallInceptionNet's forward pass, loss and every parameter gradient against PyTorch's, from the committed fixtures
/// (Fixtures/SmallInceptionNet, written by tools/reference/make-fixtures.sh): no python needed, so CI runs this class on
/// every instruction-set path, NEON under qemu included.
/// </summary>
public sealed class PyTorchFixtureTests(ITestOutputHelper output)
{
    /// <summary>
    /// The committed fixtures as copied next to the test assembly (so a published build, such as the arm64 one run under qemu,
    /// carries them), else in the checkout.
    /// </summary>
    internal static string SmallNetFixtures
    {
        get
        {
            var published = Path.Combine(AppContext.BaseDirectory, "Interop", "Fixtures", "SmallInceptionNet");
            return Directory.Exists(published) ? published : Path.Combine(PyTorchAgreement.RepositoryRoot(), "Tests", "Interop", "Fixtures", "SmallInceptionNet");
        }
    }

    [Fact]
    public void SmallInceptionNetAgreesWithTheCommittedPyTorchFixtures()
    {
        // Seed 99 differs from the fixtures' seed, so only the committed weights can make this pass.
        var network = new SmallInceptionNet(maxBatch: 4, seed: 99);

        var agreement = PyTorchAgreement.Compare(network, SmallNetFixtures);

        output.WriteLine($"SmallInceptionNet vs PyTorch: {agreement}");
        agreement.AssertWithinTolerances();
    }

    /// <summary>
    /// RectangularNet (1x7, 7x1, a 3x1 max pool with stride 2x1, a 3x5 convolution with stride 2x1, a 1x3 average pool)
    /// against PyTorch's <c>Conv2d</c> and pools with (height, width) kernel, stride and padding, from the committed fixtures.
    /// </summary>
    [Fact]
    public void RectangularNetAgreesWithTheCommittedPyTorchFixtures()
    {
        // Seed 99 differs from the fixtures' seed, so only the committed weights can make this pass.
        var network = new InceptionGen.Tests.Training.RectangularNet(maxBatch: 4, seed: 99);
        var published = Path.Combine(AppContext.BaseDirectory, "Interop", "Fixtures", "RectangularNet");
        var folder = Directory.Exists(published) ? published : Path.Combine(PyTorchAgreement.RepositoryRoot(), "Tests", "Interop", "Fixtures", "RectangularNet");

        var agreement = PyTorchAgreement.Compare(network, folder);

        output.WriteLine($"RectangularNet vs PyTorch: {agreement}");
        agreement.AssertWithinTolerances();
    }

    /// <summary>AdaptiveNet (an adaptive average pool of 14x14 to 4x4, windows overlapping) against PyTorch's <c>adaptive_avg_pool2d</c>.</summary>
    [Fact]
    public void AdaptiveNetAgreesWithTheCommittedPyTorchFixtures()
    {
        var network = new InceptionGen.Tests.Training.AdaptiveNet(maxBatch: 4, seed: 99);
        var published = Path.Combine(AppContext.BaseDirectory, "Interop", "Fixtures", "AdaptiveNet");
        var folder = Directory.Exists(published) ? published : Path.Combine(PyTorchAgreement.RepositoryRoot(), "Tests", "Interop", "Fixtures", "AdaptiveNet");

        var agreement = PyTorchAgreement.Compare(network, folder);

        output.WriteLine($"AdaptiveNet vs PyTorch: {agreement}");
        agreement.AssertWithinTolerances();
    }

    [Fact]
    public void ChangedWeightsOrMasksAreCaught()
    {
        // The comparison is not vacuous: a gradient computed with other dropout masks differs beyond the tolerance.
        var network = new SmallInceptionNet(maxBatch: 4, seed: 99);
        var stale = PyTorchAgreement.Compare(network, SmallNetFixtures);
        network.DropoutSeed += 1;
        network.Backward(Npy(SmallNetFixtures, "input.npy"), [.. InceptionGen.Interop.Npy.Read(Path.Combine(SmallNetFixtures, "labels.npy")).ToInt64().Select(l => (int)l)], 4);
        var torch = new ParameterStore(network.Parameters.Tensors, network.Parameters.Length);
        InceptionGen.Interop.SafeTensors.Load(torch, Path.Combine(SmallNetFixtures, PyTorchAgreement.ReferenceFolder, "gradients.safetensors"));
        var hidden = network.Parameters.Find("Aux.Hidden.Weights")!;
        var error = PyTorchAgreement.RelativeError(torch.ReadOnlySpan.Slice(hidden.Offset, hidden.Length), network.Gradients.ReadOnlySpan.Slice(hidden.Offset, hidden.Length));
        Assert.True(error > 100 * PyTorchAgreement.GradientTolerance, $"other masks changed aux.hidden's gradient by only {error:E2}");
        Assert.True(stale.WorstGradient.Max <= PyTorchAgreement.GradientTolerance);
    }

    private static float[] Npy(string folder, string file) => InceptionGen.Interop.Npy.Read(Path.Combine(folder, file)).ToFloat32();
}
