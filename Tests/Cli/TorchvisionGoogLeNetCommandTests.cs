using System.Globalization;
using InceptionGen.Definitions;
using InceptionGen.Interop;
using InceptionGen.Tests.Interop;
using InceptionGen.Tests.Network;
using Xunit;
using static InceptionGen.Tests.Cli.CliHarness;

namespace InceptionGen.Tests.Cli;

/// <summary>
/// The command line with <see cref="TorchvisionGoogLeNet"/>: <c>summary</c> prints its generated summary, <c>init</c>
/// writes its seeded weights under torchvision's names, <c>run</c> gives its forward pass, <c>export-onnx</c> a model that
/// ONNX Runtime agrees with, and <c>bench</c> times its forward pass and its training step (BN's staged training).
/// </summary>
public sealed class TorchvisionGoogLeNetCommandTests
{
    [Fact]
    public void Summary_init_run_and_export_onnx_work_with_it()
    {
        var (summaryCode, summary, summaryError) = RunCli("summary", "torchvisiongooglenet");
        Assert.True(summaryCode == 0, summaryError);
        Assert.Equal(TorchvisionGoogLeNet.Summary.Format(includeParts: true), summary);
        Assert.Contains("Parameters (with auxiliary heads):  13,004,888", summary, StringComparison.Ordinal);

        using var directory = new TempDirectory();
        var weights = directory.File("w.safetensors");
        var (initCode, initOutput, initError) = RunCli("init", "--network", "TorchvisionGoogLeNet", "--seed", "4", "--output", weights);
        Assert.True(initCode == 0, initError);
        Assert.Contains($"wrote {weights}: TorchvisionGoogLeNet weights from seed 4", initOutput);
        var file = SafeTensorsFile.Read(weights);
        Assert.Equal("TorchvisionGoogLeNet", file.Metadata[SafeTensors.NetworkMetadataKey]);
        // torchvision's names and dtypes: the stem's BasicConv2d, a module's branch, an auxiliary head, the classifier.
        Assert.Equal("[64, 3, 7, 7]", file.Tensors["conv1.conv.weight"].ShapeText);
        Assert.Equal("I64", file.Tensors["conv1.bn.num_batches_tracked"].Dtype);
        Assert.Equal("[128, 96, 3, 3]", file.Tensors["inception3a.branch2.1.conv.weight"].ShapeText);
        Assert.Equal("[32, 16, 3, 3]", file.Tensors["inception3a.branch3.1.conv.weight"].ShapeText);
        Assert.Equal("[1024, 2048]", file.Tensors["aux1.fc1.weight"].ShapeText);
        Assert.Equal("[1000, 1024]", file.Tensors["fc.weight"].ShapeText);

        const int Count = 3;
        var images = Enumerable.Range(0, Count * TorchvisionGoogLeNet.InputLength).Select(i => MathF.Sin(i * 0.013f)).ToArray();
        Npy.Write(directory.File("x.npy"), images, Count, 3, 224, 224);
        var (runCode, runOutput, runError) = RunCli("run", "--weights", weights, "--input", directory.File("x.npy"), "--output", directory.File("y.npy"), "--threads", "2");
        Assert.True(runCode == 0, runError);
        Assert.Contains("(3, 1000) float32, TorchvisionGoogLeNet on 3 images", runOutput);
        var network = new TorchvisionGoogLeNet(Count, seed: 4);
        var expected = new float[Count * TorchvisionGoogLeNet.OutputLength];
        network.Forward(images, expected, Count);
        var logits = Npy.Read(directory.File("y.npy")).ToFloat32();
        Assert.True(PyTorchAgreement.RelativeError(expected, logits) <= 1e-6, "run's logits are not the network's");

        var model = directory.File("m.onnx");
        var (exportCode, exportOutput, exportError) = RunCli("export-onnx", "--weights", weights, "--output", model);
        Assert.True(exportCode == 0, exportError);
        Assert.StartsWith($"wrote {model}: TorchvisionGoogLeNet, ONNX opset 13, ", exportOutput);
        var actual = OnnxTests.RunOnnx(File.ReadAllBytes(model), images, TorchvisionGoogLeNet.Graph.Input);
        var error = PyTorchAgreement.RelativeError(expected, actual);
        Assert.True(error <= 1e-4, $"ONNX Runtime's logits differ by {error:E2} of the largest");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Bench_times_its_forward_pass_and_its_training_step(bool train)
    {
        string[] args = ["bench", "TorchvisionGoogLeNet", "--warmup", "0", "--runs", "1", "--seconds", "1", "--threads", "2", "--batch", "2"];
        var (code, output, error) = RunCli(train ? [.. args, "--train"] : args);

        Assert.True(code == 0, error);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(lines, line => line.StartsWith($"TorchvisionGoogLeNet {(train ? "training step" : "forward")}", StringComparison.Ordinal) && line.Contains("batch 2, 2 thread(s)", StringComparison.Ordinal));
        Assert.Matches(@"^median_ms=[0-9.]+ images_per_s=[0-9.]+ ", lines[^1]);
        Assert.True(double.Parse(lines[^1].Split(' ')[0]["median_ms=".Length..], CultureInfo.InvariantCulture) > 0, lines[^1]);
    }
}
