using InceptionGen.Cli;
using InceptionGen.Definitions;
using InceptionGen.Interop;
using InceptionGen.Tests.Interop;
using Xunit;
using static InceptionGen.Tests.Cli.CliHarness;

namespace InceptionGen.Tests.Cli;

public sealed class ExportOnnxCommandTests
{
    [Fact]
    public void ExportsTheNetworkNamedInTheWeightsWithThoseWeights()
    {
        using var directory = new TempDirectory();
        var weights = directory.File("w.safetensors");
        var model = directory.File("fashion.onnx");
        Assert.Equal(0, RunCli("init", "--network", "FashionInception", "--seed", "4", "--output", weights).ExitCode);

        var (code, output, error) = RunCli("export-onnx", "--weights", weights, "--output", model);

        Assert.True(code == 0, error);
        Assert.StartsWith($"wrote {model}: FashionInception, ONNX opset 13, ", output);
        Assert.Contains("input \"input\" N x 1 x 28 x 28, output \"logits\"", output);
        var network = new FashionInception(2, seed: 4);
        var input = Enumerable.Range(0, 2 * FashionInception.InputLength).Select(i => MathF.Sin(i * 0.37f)).ToArray();
        var expected = new float[2 * FashionInception.OutputLength];
        network.Forward(input, expected, 2);
        var actual = OnnxTests.RunOnnx(File.ReadAllBytes(model), input, FashionInception.Graph.Input);
        Assert.True(expected.Zip(actual, (e, a) => MathF.Abs(e - a)).Max() <= 1e-4f * expected.Max(MathF.Abs));
    }

    [Fact]
    public void WithoutMetadataTheNetworkOptionDecides()
    {
        using var directory = new TempDirectory();
        var weights = directory.File("plain.safetensors");
        SafeTensors.Save(new BottleneckInceptionModule(seed: 1).Parameters, weights);

        var (code, output, error) = RunCli("export-onnx", "--weights", weights, "--output", directory.File("m.onnx"), "--network", "bottleneckinceptionmodule");

        Assert.True(code == 0, error);
        Assert.StartsWith($"wrote {directory.File("m.onnx")}: BottleneckInceptionModule", output);
    }

    [Theory]
    [InlineData("mismatch", "holds FashionInception weights, not GoogLeNet")]
    [InlineData("missing-tensors", "does not fit the network")]
    [InlineData("no-file", "no weights file")]
    [InlineData("no-output", "export-onnx needs --output model.onnx")]
    [InlineData("unknown-network", "no network named 'ResNet'")]
    public void BadInputIsOneLineAndExitCode2(string problem, string expected)
    {
        using var directory = new TempDirectory();
        var fashion = directory.File("fashion.safetensors");
        Assert.Equal(0, RunCli("init", "--network", "FashionInception", "--output", fashion).ExitCode);
        var plain = directory.File("plain.safetensors");
        SafeTensors.Save(new FashionInception(seed: 1).Parameters, plain);
        var model = directory.File("m.onnx");
        string[] args = problem switch
        {
            "mismatch" => ["--weights", fashion, "--output", model, "--network", "GoogLeNet"],
            // No metadata, so the default GoogLeNet is tried, and FashionInception's tensors do not fit it.
            "missing-tensors" => ["--weights", plain, "--output", model],
            "no-file" => ["--weights", directory.File("absent.safetensors"), "--output", model],
            "no-output" => ["--weights", fashion],
            _ => ["--weights", plain, "--output", model, "--network", "ResNet"],
        };

        var (code, output, error) = RunCli(["export-onnx", .. args]);

        Assert.Equal(2, code);
        Assert.Equal("", output);
        Assert.StartsWith("error: ", error);
        Assert.Contains(expected, error);
        Assert.Single(error.TrimEnd().Split('\n'));
        Assert.False(File.Exists(model));
    }
}
