using System.Text.Json;
using InceptionGen.Interop;
using InceptionGen.Tests.Network;
using Xunit;

namespace InceptionGen.Tests.Interop;

/// <summary>
/// The PyTorch side of <c>compare --layers</c> (Benchmarks/Compare/torch_worker.py): a training step profiled with
/// torch.autograd.profiler is split into each graph node's forward and backward, matched by autograd sequence
/// number, plus the optimizer and the rest. Run on SmallInceptionNet (both heads' kinds of layer) when torch is there.
/// </summary>
public sealed class TorchLayerProfileTests(ITestOutputHelper output)
{
    [Fact]
    public void ATrainingStepIsSplitIntoEachNodesForwardAndBackward()
    {
        Python.RequireModules("torch", "numpy");
        using var directory = new TempDirectory();
        const int Batch = 4;
        var network = new SmallInceptionNet(maxBatch: Batch, seed: 3);
        // The compare folder's layout: network.txt names the weights file (<name>.safetensors).
        File.WriteAllText(Path.Combine(directory.Path, "network.txt"), "googlenet\n");
        SafeTensors.Save(network, Path.Combine(directory.Path, "googlenet.safetensors"));
        var input = SmallInceptionNet.Graph.Input;
        Npy.Write(Path.Combine(directory.Path, "input.npy"), DeterminismTestsImages(Batch * SmallInceptionNet.InputLength), Batch, input.Channels, input.Height, input.Width);
        Npy.Write(Path.Combine(directory.Path, "labels.npy"), Enumerable.Range(0, Batch).Select(label => (long)label).ToArray(), Batch);
        var profile = Path.Combine(directory.Path, "layers.json");

        var root = PyTorchAgreement.RepositoryRoot();
        string[] script =
        [
            "import sys",
            $"sys.path[:0] = [{Quoted(Path.Combine(root, "Benchmarks", "Compare"))}, {Quoted(Path.Combine(root, "tools", "reference"))}]",
            "import torch_worker",
            "worker = torch_worker.Worker()",
            $"worker.setup({Quoted(directory.Path)}, 'train', {Batch}, 2)",
            "worker.run(2)",
            $"worker.layers(3, {Quoted(profile)})",
        ];
        // The remainder check below depends on timing: on a loaded machine a profile can be retaken (best of 3).
        Dictionary<string, double> times = [];
        for (var attempt = 0; attempt < 3; attempt++)
        {
            Python.RunChecked(["-c", string.Join("\n", script)], TimeSpan.FromMinutes(2));
            times = JsonSerializer.Deserialize<Dictionary<string, double>>(File.ReadAllBytes(profile))!;
            output.WriteLine($"profile {attempt + 1}:\n" + string.Join("\n", times.OrderBy(pair => pair.Key, StringComparer.Ordinal).Select(pair => $"{pair.Key}: {pair.Value:F3} ms")));
            if (times.TryGetValue("step:unaccounted", out var remainder) && remainder < 0.5 * times.Values.Sum())
            {
                break;
            }
        }

        // Every layer with weights has both halves; the backward found its forward through the sequence numbers.
        var weighted = SmallInceptionNet.Graph.Nodes.Where(node => node is ConvNode or LinearNode).Select(node => node.Name).ToList();
        Assert.NotEmpty(weighted);
        foreach (var name in weighted)
        {
            Assert.True(times.GetValueOrDefault("forward:" + name) > 0, $"no forward time for {name}");
            Assert.True(times.GetValueOrDefault("backward:" + name) > 0, $"no backward time for {name}: its autograd functions were not matched to it");
        }

        Assert.True(times.GetValueOrDefault("backward:loss") > 0, "the losses' own backward was not matched to the loss");
        Assert.True(times.GetValueOrDefault("step:optimizer") > 0, "no optimizer time");
        Assert.All(times.Keys, key => Assert.Matches("^(forward|backward|step):", key));

        // The parts add up to the step (unaccounted is the remainder); attribution must cover most of it and count nothing twice.
        var total = times.Values.Sum();
        var unaccounted = times["step:unaccounted"];
        Assert.True(unaccounted > -0.01 * total && unaccounted < 0.5 * total, $"unaccounted {unaccounted:F3} ms of a {total:F3} ms step");
    }

    private static string Quoted(string text) => JsonSerializer.Serialize(text);

    private static float[] DeterminismTestsImages(int length) => TrainingRuns.DeterminismTests.Images(length, 9);
}
