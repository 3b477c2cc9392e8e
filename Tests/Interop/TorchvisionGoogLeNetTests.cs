using System.Text.Json;
using InceptionGen.Definitions;
using InceptionGen.Interop;
using InceptionGen.Tests.Network;
using Xunit;

namespace InceptionGen.Tests.Interop;

/// <summary>
/// <see cref="TorchvisionGoogLeNet"/> against torchvision 0.14's own <c>googlenet(aux_logits=True, transform_input=False)</c>
/// (tools/reference/torchvision_googlenet.py, Debian's python3-torchvision): the same layers with the same options under
/// the same names and the same parameter counts (13,004,888 with the heads, 6,624,904 without); a torchvision state_dict
/// saved with torch.save and converted by tools/reference/convert_state_dict.py loads with no mapping and gives
/// torchvision's eval logits; and a training step at 224x224 (batch 2, our dropout masks, random BN statistics) gives
/// torchvision's eval logits, loss, every parameter gradient and, after the step, every running statistic.
/// </summary>
public sealed class TorchvisionGoogLeNetTests(ITestOutputHelper output)
{
    private static string Script => Path.Combine(PyTorchAgreement.RepositoryRoot(), "tools", "reference", "torchvision_googlenet.py");

    private static string Converter => Path.Combine(PyTorchAgreement.RepositoryRoot(), "tools", "reference", "convert_state_dict.py");

    /// <summary>A guard against a hung reference, not a speed check (the run takes about 10 s alone).</summary>
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(10);

    [Fact]
    public void Every_layer_and_the_parameter_counts_are_torchvisions()
    {
        Python.RequireModules("torch", "torchvision", "numpy");
        using var json = JsonDocument.Parse(Python.RunChecked([Script, "structure"], Timeout));
        var root = json.RootElement;
        // torchvision's sums of its parameters' sizes (buffers not counted) against our generated constants.
        var (theirs, theirsWithoutHeads) = (root.GetProperty("parameters").GetInt64(), root.GetProperty("parameters_without_auxiliary").GetInt64());
        Assert.True(theirs == TorchvisionGoogLeNet.ParameterCountWithAuxiliary, $"torchvision has {theirs:N0} parameters, ours {TorchvisionGoogLeNet.ParameterCountWithAuxiliary:N0}");
        Assert.True(theirsWithoutHeads == TorchvisionGoogLeNet.ParameterCount, $"torchvision has {theirsWithoutHeads:N0} without the heads, ours {TorchvisionGoogLeNet.ParameterCount:N0}");
        Assert.Equal(root.GetProperty("state_dict_entries").GetInt32(), TorchvisionGoogLeNet.ParameterTensors.Count);

        var nodes = TorchvisionGoogLeNet.Graph.Nodes.ToDictionary(node => node.Name, StringComparer.Ordinal);
        var checkedNodes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var layer in root.GetProperty("layers").EnumerateArray())
        {
            var name = layer.GetProperty("name").GetString()!;
            var type = layer.GetProperty("type").GetString()!;
            var outShape = layer.GetProperty("out").EnumerateArray().Select(d => d.GetInt32()).ToArray();
            Assert.True(nodes.TryGetValue(name, out var node), $"torchvision's {type} '{name}' has no node of ours; ours: {string.Join(", ", nodes.Keys.Take(40))}...");
            checkedNodes.Add(name);
            int[] Pair(string key) => layer.GetProperty(key) is { ValueKind: JsonValueKind.Array } pair ? [pair[0].GetInt32(), pair[1].GetInt32()] : [layer.GetProperty(key).GetInt32(), layer.GetProperty(key).GetInt32()];
            switch (type)
            {
                case "Conv2d":
                    var conv = Assert.IsType<ConvNode>(node);
                    Assert.Equal((outShape[0], Pair("kernel")[0], Pair("kernel")[1], Pair("stride")[0], Pair("stride")[1], Pair("padding")[0], Pair("padding")[1], false, false),
                        (conv.OutChannels, conv.KernelHeight, conv.KernelWidth, conv.StrideHeight, conv.StrideWidth, conv.PaddingHeight, conv.PaddingWidth, conv.Bias is not null, conv.Relu));
                    break;
                case "BatchNorm2d":
                    var bn = Assert.IsType<BatchNormNode>(node);
                    Assert.Equal((layer.GetProperty("eps").GetDouble(), layer.GetProperty("momentum").GetDouble(), true), (bn.Epsilon, bn.Momentum, bn.Relu));
                    break;
                case "MaxPool2d":
                    var pool = Assert.IsType<MaxPoolNode>(node);
                    Assert.Equal((Pair("kernel")[0], Pair("stride")[0], Pair("padding")[0], layer.GetProperty("ceil_mode").GetBoolean()),
                        (pool.KernelHeight, pool.StrideHeight, pool.PaddingHeight, pool.CeilMode));
                    break;
                case "AdaptiveAvgPool2d":
                    var adaptive = Assert.IsType<AdaptiveAvgPoolNode>(node);
                    Assert.Equal((outShape[1], outShape[2]), (adaptive.OutputHeight, adaptive.OutputWidth));
                    break;
                case "Linear":
                    Assert.Equal(outShape[0], Assert.IsType<LinearNode>(node).OutFeatures);
                    break;
                case "MaskedDropout":
                    Assert.Equal((float)layer.GetProperty("p").GetDouble(), Assert.IsType<DropoutNode>(node).P);
                    break;
                default:
                    Assert.Fail($"{name}: unexpected module type {type}");
                    break;
            }
        }

        // And the other way: every weighted node and every pool module of ours is one of torchvision's (its auxiliary heads'
        // pools are F.adaptive_avg_pool2d calls, not modules, and the flattens are torch.flatten).
        var unmatched = nodes.Values.Where(node => node is ConvNode or BatchNormNode or LinearNode or DropoutNode or MaxPoolNode && !checkedNodes.Contains(node.Name)).Select(node => node.Name).ToList();
        Assert.True(unmatched.Count == 0, $"ours but not torchvision's: {string.Join(", ", unmatched)}");
        output.WriteLine($"{checkedNodes.Count} modules matched; {TorchvisionGoogLeNet.ParameterCountWithAuxiliary:N0} parameters ({TorchvisionGoogLeNet.ParameterCount:N0} without the heads)");
    }

    /// <summary>
    /// torchvision's GoogLeNet with its own init (truncated normal), whose BNs then take one train-mode batch's statistics as
    /// their running statistics (momentum 1 for that forward), so that eval mode normalizes as in a trained network
    /// instead of passing on init's vanishing activations; saved with torch.save to argv[1].
    /// </summary>
    private const string SaveTorchvisionStateDict = """
        import sys, torch
        sys.path.insert(0, sys.argv[2])
        import torchvision_googlenet
        torch.manual_seed(3)
        model = torchvision_googlenet.build()
        norms = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
        for m in norms:
            m.momentum = 1.0
        model.train()
        with torch.no_grad():
            model(torch.rand(4, 3, 224, 224) * 2 - 1)
        for m in norms:
            m.momentum = 0.1
        torch.save(model.state_dict(), sys.argv[1])
        """;

    /// <summary>torchvision's state_dict, saved by torch.save, converted, loaded as is: its eval logits.</summary>
    [Fact]
    public void A_torch_saved_torchvision_state_dict_loads_with_no_mapping_and_gives_its_logits()
    {
        Python.RequireModules("torch", "torchvision", "numpy");
        using var directory = new TempDirectory();
        var pth = directory.File("googlenet.pth");
        Python.RunChecked(["-c", SaveTorchvisionStateDict, pth, Path.GetDirectoryName(Script)!], Timeout);
        var weights = directory.File("googlenet.safetensors");
        output.WriteLine(Python.RunChecked([Converter, pth, weights], Timeout));

        var network = new TorchvisionGoogLeNet(maxBatch: 2, seed: 1);
        SafeTensors.Load(network.Parameters, weights);
        Assert.True(network.Fc.Weights[0] != new TorchvisionGoogLeNet(maxBatch: 1, seed: 1).Fc.Weights[0], "the loaded weights are not torchvision's");
        var images = Images(2, 5);
        Npy.Write(directory.File("x.npy"), images, 2, 3, 224, 224);
        Npy.Write(directory.File("y.npy"), [1L, 2L], 2);
        output.WriteLine(Python.RunChecked([Script, "run", "--weights", weights, "--input", directory.File("x.npy"), "--labels", directory.File("y.npy"), "--output", directory.File("out")], Timeout));

        var logits = new float[2 * TorchvisionGoogLeNet.OutputLength];
        network.Forward(images, logits, 2);
        var error = PyTorchAgreement.RelativeError(Npy.Read(directory.File(Path.Combine("out", "logits.npy"))).ToFloat32(), logits);
        output.WriteLine($"eval logits: {error:E2} of the largest");
        Assert.True(error <= PyTorchAgreement.LogitTolerance, $"eval logits differ by {error:E2} of the largest");
    }

    /// <summary>
    /// The training step. The logits, the loss and the running statistics meet the issue's bars against torchvision in
    /// float32. The gradients cannot all meet them, because torchvision's own float32 gradients do not: against the same
    /// model in float64 (the reference with --dtype float64), PyTorch's float32 gradients of 142 of the 187 parameter
    /// tensors are off by more than 1e-3 of their largest (worst 1.1e-1, L2 up to 2.4e-2; batch 8 and 64x64 inputs are no
    /// better). With BatchNorm after every convolution, a ReLU or max-pool decision within float32 rounding of a tie
    /// (203 here) moves a whole gradient value, and each BN's backward spreads that over its whole channel and batch, so
    /// every layer below inherits it: ours and torchvision's float32 agree to ~1e-5 where they take the same side of
    /// every tie, and otherwise each lands ~1e-2 (L2) from the float64 answer. So each gradient must meet the near-tie
    /// rule against float32 torchvision, or be, in relative L2 norm, within 4x torchvision's float32 distance from
    /// float64 (+ 1e-3) and within 3e-2 of float64 (measured: at most 2.75x and 1.7e-2); the output lists every tensor
    /// and how many meet the strict bar (31 of 187 when measured).
    /// </summary>
    [Fact]
    public void A_training_step_at_224x224_agrees_with_torchvision()
    {
        Python.RequireModules("torch", "torchvision", "numpy");
        const int Batch = 2;
        using var directory = new TempDirectory();
        var written = new TorchvisionGoogLeNet(maxBatch: Batch, seed: 5);
        BatchNormNetReference.Randomize(written.Parameters, 17);
        PyTorchAgreement.WriteCase(written, dropoutSeed: 7, Images(Batch, 19), [3, 998], directory.Path);
        var reference = Path.Combine(directory.Path, PyTorchAgreement.ReferenceFolder);
        var reference64 = Path.Combine(directory.Path, "reference64");
        foreach (var (folder, dtype) in new[] { (reference, "float32"), (reference64, "float64") })
        {
            output.WriteLine(Python.RunChecked([Script, "run", "--weights", Path.Combine(directory.Path, "weights.safetensors"), "--input", Path.Combine(directory.Path, "input.npy"),
                "--labels", Path.Combine(directory.Path, "labels.npy"), "--masks", Path.Combine(directory.Path, "masks"), "--output", folder, "--dtype", dtype, "--near-ties", "1e-5"], Timeout));
        }

        var network = new TorchvisionGoogLeNet(maxBatch: Batch, seed: 6);
        var agreement = PyTorchAgreement.Compare(network, directory.Path);
        var (nearTies, exposed) = PyTorchAgreement.ReadNearTies(directory.Path);
        output.WriteLine($"TorchvisionGoogLeNet vs torchvision: {agreement}; {nearTies} near ties feed {exposed.Count} of {agreement.Gradients.Count} gradients");
        Assert.True(agreement.Logits <= PyTorchAgreement.LogitTolerance, $"logits differ by {agreement.Logits:E2} of the largest");
        Assert.True(agreement.Loss <= PyTorchAgreement.LogitTolerance, $"loss differs by {agreement.Loss:E2}");

        var torch32 = new ParameterStore(network.Parameters.Tensors, network.Parameters.Length);
        var torch64 = new ParameterStore(network.Parameters.Tensors, network.Parameters.Length);
        SafeTensors.Load(torch32, Path.Combine(reference, "gradients.safetensors"));
        SafeTensors.Load(torch64, Path.Combine(reference64, "gradients.safetensors"));
        var strict = 0;
        var bad = new List<string>();
        foreach (var tensor in network.Parameters.Tensors.Where(tensor => !tensor.Role.IsBuffer()))
        {
            var name = PyTorchNames.From(tensor.Name);
            var ours = network.Gradients.ReadOnlySpan.Slice(tensor.Offset, tensor.Length);
            var theirs32 = torch32.ReadOnlySpan.Slice(tensor.Offset, tensor.Length);
            var theirs64 = torch64.ReadOnlySpan.Slice(tensor.Offset, tensor.Length);
            var (max, l2) = (PyTorchAgreement.RelativeError(theirs32, ours), PyTorchAgreement.RelativeL2Error(theirs32, ours));
            var (oursMax64, oursL264) = (PyTorchAgreement.RelativeError(theirs64, ours), PyTorchAgreement.RelativeL2Error(theirs64, ours));
            var (torchMax64, torchL264) = (PyTorchAgreement.RelativeError(theirs64, theirs32), PyTorchAgreement.RelativeL2Error(theirs64, theirs32));
            var nearTie = exposed.Contains(name);
            var meetsBar = max <= (nearTie ? 10 : 1) * PyTorchAgreement.GradientTolerance && l2 <= (nearTie ? 5 : 1) * PyTorchAgreement.GradientL2Tolerance;
            // In L2, the whole tensor: the max is one flipped route's value, which either side may take.
            var asGoodAsTorch = oursL264 <= 4 * torchL264 + PyTorchAgreement.GradientL2Tolerance && oursL264 <= 3e-2;
            strict += max <= PyTorchAgreement.GradientTolerance && l2 <= PyTorchAgreement.GradientL2Tolerance ? 1 : 0;
            output.WriteLine($"  {name}: vs torch32 {max:E2} (L2 {l2:E2}); vs torch64 ours {oursMax64:E2} (L2 {oursL264:E2}), torch32 {torchMax64:E2} (L2 {torchL264:E2}){(nearTie ? " [feeds a near tie]" : "")}");
            if (!meetsBar && !asGoodAsTorch)
            {
                bad.Add($"{name} {max:E2} (L2 {l2:E2}); from float64: ours {oursMax64:E2} (L2 {oursL264:E2}), torchvision's float32 {torchMax64:E2} (L2 {torchL264:E2})");
            }
        }

        output.WriteLine($"{strict} of 187 gradients within 1e-3 of torchvision's float32 (max and L2)");
        Assert.True(bad.Count == 0, $"{bad.Count} gradients are further from torchvision than the near-tie rule allows and further from float64 than torchvision's float32: {string.Join(", ", bad)}");

        // Every BN's running statistics and num_batches_tracked after the step.
        var file = SafeTensorsFile.Read(Path.Combine(reference, "running_stats.safetensors"));
        var buffers = network.Parameters.Tensors.Where(tensor => tensor.Role.IsBuffer()).ToList();
        Assert.Equal(file.Tensors.Count, buffers.Count);
        var worst = (Name: "", Error: 0.0);
        foreach (var tensor in buffers)
        {
            var entry = file.Tensors[PyTorchNames.From(tensor.Name)];
            ReadOnlySpan<float> theirs = entry.Dtype == "I64" ? file.Int64AsFloats(entry) : file.Floats(entry);
            var error = PyTorchAgreement.RelativeError(theirs, network.Parameters.ReadOnlySpan.Slice(tensor.Offset, tensor.Length));
            worst = error > worst.Error ? (PyTorchNames.From(tensor.Name), error) : worst;
            Assert.True(error <= 1e-5, $"{PyTorchNames.From(tensor.Name)} differs from torchvision's by {error:E2} of its largest");
        }

        output.WriteLine($"{buffers.Count} buffers after the step; worst {worst.Name} {worst.Error:E2}");
    }

    private static float[] Images(int batch, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, batch * TorchvisionGoogLeNet.InputLength).Select(_ => (float)(random.NextDouble() * 2 - 1))];
    }
}
