using InceptionGen.Definitions;
using InceptionGen.Tests.Network;
using Xunit;

namespace InceptionGen.Tests.Interop;

/// <summary>
/// Our forward pass, loss and every parameter gradient against PyTorch's (tools/reference/reference.py), with our own
/// dropout masks fed to PyTorch so dropout is exercised: GoogLeNet with both auxiliary heads, live when /usr/bin/python3
/// has torch (SmallInceptionNet's committed fixtures are checked by <see cref="PyTorchFixtureTests"/>, on every ISA path).
/// </summary>
public sealed class PyTorchAgreementTests(ITestOutputHelper output)
{
    /// <summary>Set to a folder to write SmallInceptionNet's case there (tools/reference/make-fixtures.sh does).</summary>
    public const string FixtureOutputVariable = "INCEPTIONGEN_WRITE_FIXTURES";

    [Fact]
    public void GoogLeNetWithBothAuxiliaryHeadsAgreesWithPyTorch()
    {
        Python.RequireModules("torch", "numpy");
        using var directory = new TempDirectory();
        var network = new GoogLeNet(maxBatch: 2, seed: 5);
        var random = new Random(17);
        var images = Enumerable.Range(0, 2 * GoogLeNet.InputLength).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        PyTorchAgreement.WriteCase(network, dropoutSeed: 7, images, [3, 998], directory.Path);

        // A guard against a hung reference, not a speed check: the script takes ~1 min alone and over 3 on a loaded machine.
        output.WriteLine(PyTorchAgreement.RunReference(directory.Path, TimeSpan.FromMinutes(10), nearTies: NearTieEps));
        var agreement = PyTorchAgreement.Compare(new GoogLeNet(maxBatch: 2, seed: 6), directory.Path);
        var (nearTies, exposed) = PyTorchAgreement.ReadNearTies(directory.Path);

        output.WriteLine($"GoogLeNet vs PyTorch: {agreement}; {nearTies} near ties within {NearTieEps:E0} feed {exposed.Count} of {agreement.Gradients.Count} gradients");
        // Some of GoogLeNet's ~10^7 max-pool and ReLU decisions are always within float32 rounding of a tie (276 here;
        // 20 within 1e-6), and a few of them flip between our sums and PyTorch's (seen at gaps up to 3.5e-6), so no
        // input is free of them: the gradients feeding a near tie get 10x, all others (the classifiers, both
        // auxiliary heads, inception5b: measured ~1e-6) must meet the plain tolerance. In relative L2 norm every tensor must
        // be within 1e-3, one feeding a near tie within 5e-3 (measured: 7 of them between 1.0e-3 and 3.0e-3).
        var tight = agreement.Gradients.Select(g => g.Name).Where(name => !exposed.Contains(name)).ToList();
        string[] heads = ["classifier.weight", "aux1.conv.weight", "aux1.hidden.weight", "aux1.classifier.weight", "aux2.conv.weight", "aux2.hidden.weight", "aux2.classifier.weight"];
        Assert.True(heads.All(tight.Contains), $"the heads should feed no near tie; tight: {string.Join(", ", tight)}");
        agreement.AssertWithinTolerances(exposed);
    }

    /// <summary>
    /// A tie is near when within this of the largest magnitude of its map: about 3x the largest gap at which our
    /// float32 sums and PyTorch's were seen to decide differently.
    /// </summary>
    private const double NearTieEps = 1e-5;

    [Fact]
    public void WriteRectangularNetFixtures()
    {
        var folder = Environment.GetEnvironmentVariable(FixtureOutputVariable);
        if (string.IsNullOrEmpty(folder))
        {
            Assert.Skip($"writes the fixtures only when {FixtureOutputVariable} names a folder (tools/reference/make-fixtures.sh)");
        }

        var network = new InceptionGen.Tests.Training.RectangularNet(maxBatch: 4, seed: 21);
        var random = new Random(29);
        var images = Enumerable.Range(0, 4 * InceptionGen.Tests.Training.RectangularNet.InputLength).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        PyTorchAgreement.WriteCase(network, dropoutSeed: 37, images, [0, 3, 2, 1], folder);
    }

    [Fact]
    public void WriteAdaptiveNetFixtures()
    {
        var folder = Environment.GetEnvironmentVariable(FixtureOutputVariable);
        if (string.IsNullOrEmpty(folder))
        {
            Assert.Skip($"writes the fixtures only when {FixtureOutputVariable} names a folder (tools/reference/make-fixtures.sh)");
        }

        var network = new InceptionGen.Tests.Training.AdaptiveNet(maxBatch: 4, seed: 21);
        var random = new Random(31);
        var images = Enumerable.Range(0, 4 * InceptionGen.Tests.Training.AdaptiveNet.InputLength).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        PyTorchAgreement.WriteCase(network, dropoutSeed: 41, images, [0, 2, 1, 2], folder);
    }

    [Fact]
    public void WriteSmallInceptionNetFixtures()
    {
        var folder = Environment.GetEnvironmentVariable(FixtureOutputVariable);
        if (string.IsNullOrEmpty(folder))
        {
            Assert.Skip($"writes the fixtures only when {FixtureOutputVariable} names a folder (tools/reference/make-fixtures.sh)");
        }

        var network = new SmallInceptionNet(maxBatch: 4, seed: 21);
        var random = new Random(23);
        var images = Enumerable.Range(0, 4 * SmallInceptionNet.InputLength).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        PyTorchAgreement.WriteCase(network, dropoutSeed: 31, images, [0, 4, 2, 1], folder);
    }

}
