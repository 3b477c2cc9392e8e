using System.Text.Json;
using InceptionGen.Interop;
using InceptionGen.Tests.Network;
using Xunit;

namespace InceptionGen.Tests.Interop;

/// <summary>
/// The torchvision styles of <c>[AuxiliaryClassifier]</c> (<see cref="TorchvisionHeadsNet"/>) against PyTorch: the heads'
/// parameters and buffers have exactly the names and shapes of torchvision's own <c>InceptionAux</c> modules (GoogLeNet's
/// and Inception-v3's, built by torchvision 0.14 in /usr/bin/python3), with their BatchNorm eps; and a training step
/// with all three heads agrees with PyTorch (tools/reference/reference.py): eval logits, loss, every gradient and the
/// running statistics after the step.
/// </summary>
public sealed class TorchvisionAuxHeadTests(ITestOutputHelper output)
{
    /// <summary>Prints {name: [shape]} of each torchvision head's state_dict under our layer's name, and the BNs' eps.</summary>
    private const string TorchvisionHeads = """
        import importlib, json, torch
        # Imported by path: torchvision.models.googlenet is also the name of the builder function.
        googlenet, inception = (importlib.import_module("torchvision.models." + name) for name in ("googlenet", "inception"))
        heads = {"aux1": googlenet.InceptionAux(16, 6), "aux_logits": inception.InceptionAux(16, 6)}
        state = {f"{prefix}.{name}": list(tensor.shape) for prefix, head in heads.items() for name, tensor in head.state_dict().items()}
        eps = sorted({m.eps for head in heads.values() for m in head.modules() if isinstance(m, torch.nn.BatchNorm2d)})
        print(json.dumps({"state": state, "eps": eps}))
        """;

    [Fact]
    public void The_heads_have_torchvisions_state_dict_names_and_shapes()
    {
        Python.RequireModules("torch", "torchvision");
        using var json = JsonDocument.Parse(Python.RunChecked(["-c", TorchvisionHeads], TimeSpan.FromMinutes(2)));
        var theirs = json.RootElement.GetProperty("state").EnumerateObject()
            .ToDictionary(entry => entry.Name, entry => string.Join(",", entry.Value.EnumerateArray().Select(d => d.GetInt32())));
        var ours = TorchvisionHeadsNet.ParameterTensors
            .Select(tensor => (Name: PyTorchNames.From(tensor.Name), Shape: string.Join(",", tensor.Shape)))
            .Where(tensor => tensor.Name.StartsWith("aux1.", StringComparison.Ordinal) || tensor.Name.StartsWith("aux_logits.", StringComparison.Ordinal))
            .ToDictionary(tensor => tensor.Name, tensor => tensor.Shape);
        output.WriteLine(string.Join("\n", theirs.Select(entry => $"{entry.Key} [{entry.Value}]")));
        Assert.Equal(theirs.Keys.Order(StringComparer.Ordinal), ours.Keys.Order(StringComparer.Ordinal));
        Assert.All(theirs, entry => Assert.True(ours[entry.Key] == entry.Value, $"{entry.Key}: ours [{ours[entry.Key]}], torchvision's [{entry.Value}]"));
        Assert.Equal(0.001, Assert.Single(json.RootElement.GetProperty("eps").EnumerateArray()).GetDouble());
    }

    [Fact]
    public void A_training_step_with_the_three_heads_agrees_with_PyTorch()
    {
        Python.RequireModules("torch", "numpy");
        const int Batch = 5;
        using var directory = new TempDirectory();
        var written = new TorchvisionHeadsNet(maxBatch: Batch, seed: 5);
        BatchNormNetReference.Randomize(written.Parameters, 23);
        var images = BatchNormNetworkTests.Images(Batch, TorchvisionHeadsNet.InputLength, 29);
        PyTorchAgreement.WriteCase(written, dropoutSeed: 11, images, [0, 5, 2, 1, 3], directory.Path);
        output.WriteLine(PyTorchAgreement.RunReference(directory.Path, TimeSpan.FromMinutes(10), nearTies: 1e-5));

        var network = new TorchvisionHeadsNet(maxBatch: Batch, seed: 6);
        var agreement = PyTorchAgreement.Compare(network, directory.Path);
        var (nearTies, exposed) = PyTorchAgreement.ReadNearTies(directory.Path);
        output.WriteLine($"TorchvisionHeadsNet vs PyTorch: {agreement}; {nearTies} near ties feed {exposed.Count} gradients");
        agreement.AssertWithinTolerances(exposed);
        Assert.Contains(agreement.Gradients, gradient => gradient.Name == "aux_logits.conv1.conv.weight");
        Assert.Contains(agreement.Gradients, gradient => gradient.Name == "aux1.fc2.weight");

        // Running statistics of every BN (the heads' included) after the step, against torch's state_dict.
        var state = new ParameterStore(network.Parameters.Tensors, network.Parameters.Length);
        SafeTensors.Load(state, Path.Combine(directory.Path, PyTorchAgreement.ReferenceFolder, "state.safetensors"));
        var buffers = network.Parameters.Tensors.Where(tensor => tensor.Role.IsBuffer()).ToList();
        Assert.Equal(4 * 3, buffers.Count);
        foreach (var tensor in buffers)
        {
            var error = PyTorchAgreement.RelativeError(state.ReadOnlySpan.Slice(tensor.Offset, tensor.Length), network.Parameters.ReadOnlySpan.Slice(tensor.Offset, tensor.Length));
            output.WriteLine($"{PyTorchNames.From(tensor.Name)}: {error:E2}");
            Assert.True(error <= 1e-5, $"{PyTorchNames.From(tensor.Name)} differs from torch's by {error:E2} of its largest");
        }
    }
}
