using System.Globalization;
using InceptionGen.Cli;
using InceptionGen.Definitions;
using InceptionGen.Interop;
using InceptionGen.Tests.Interop;
using InceptionGen.Tests.Network;
using Xunit;
using static InceptionGen.Tests.Cli.CliHarness;

namespace InceptionGen.Tests.Cli;

public sealed class InferenceCommandTests
{
    [Fact]
    public void InitWritesTheSeededWeightsWithTheNetworksName()
    {
        using var directory = new TempDirectory();
        var path = directory.File("fashion.safetensors");

        var (code, output, error) = RunCli("init", "--network", "fashioninception", "--seed", "9", "--output", path);

        Assert.True(code == 0, error);
        Assert.Contains($"wrote {path}: FashionInception weights from seed 9", output);
        // The file holds the auxiliary head too; the line says so in the counts `networks` and `summary` use.
        var total = FashionInception.ParameterCount + FashionInception.AuxiliaryParameterCount;
        Assert.Contains(string.Create(CultureInfo.InvariantCulture,
            $"{total:N0} parameters ({FashionInception.ParameterCount:N0} for inference, {FashionInception.AuxiliaryParameterCount:N0} in the auxiliary heads)"), output);
        Assert.Equal("FashionInception", SafeTensors.ReadMetadata(path)[SafeTensors.NetworkMetadataKey]);
        var loaded = new FashionInception(1, seed: 1);
        SafeTensors.Load(loaded.Parameters, path);
        Differential.AssertBitwiseEqual(new FashionInception(1, seed: 9).Parameters.ReadOnlySpan, loaded.Parameters.ReadOnlySpan, "weights");
    }

    [Fact]
    public void InitDefaultsToGoogLeNet()
    {
        using var directory = new TempDirectory();
        var path = directory.File("googlenet.safetensors");

        Assert.Equal(0, RunCli("init", "--output", path).ExitCode);

        Assert.Equal("GoogLeNet", SafeTensors.ReadMetadata(path)[SafeTensors.NetworkMetadataKey]);
        SafeTensors.Load(new GoogLeNet(1, seed: 5).Parameters, path);
    }

    [Fact]
    public void RunGivesTheForwardPassOfEveryImageInChunks()
    {
        using var directory = new TempDirectory();
        var weights = directory.File("w.safetensors");
        Assert.Equal(0, RunCli("init", "--network", "FashionInception", "--seed", "4", "--output", weights).ExitCode);
        const int count = 2 * InferenceCommands.MaxBatch + 5;
        var images = Random(count * FashionInception.InputLength, 1);
        Npy.Write(directory.File("x.npy"), images, count, 1, 28, 28);

        var (code, output, error) = RunCli("run", "--weights", weights, "--input", directory.File("x.npy"), "--output", directory.File("y.npy"), "--threads", "2");

        Assert.True(code == 0, error);
        Assert.Contains("(37, 10) float32, FashionInception on 37 images", output);
        var result = Npy.Read(directory.File("y.npy"));
        Assert.Equal([count, 10], result.Shape);
        // One image at a time through a network of our own gives the same logits, bit for bit.
        var network = new FashionInception(1, seed: 4);
        var expected = new float[count * 10];
        for (var image = 0; image < count; image++)
        {
            network.Forward(images.AsSpan(image * FashionInception.InputLength, FashionInception.InputLength), expected.AsSpan(image * 10, 10), 1);
        }

        Differential.AssertBitwiseEqual(expected, result.ToFloat32(), "logits");
    }

    [Fact]
    public void RunWritesMapsAsNchwForANetworkEndingInAMap()
    {
        using var directory = new TempDirectory();
        var weights = directory.File("w.safetensors");
        Assert.Equal(0, RunCli("init", "--network", "BottleneckInceptionModule", "--output", weights).ExitCode);
        Npy.Write(directory.File("x.npy"), Random(2 * 256 * 28 * 28, 2), 2, 256, 28, 28);

        var (code, _, error) = RunCli("run", "--weights", weights, "--input", directory.File("x.npy"), "--output", directory.File("y.npy"));

        Assert.True(code == 0, error);
        Assert.Equal([2, 480, 28, 28], Npy.Read(directory.File("y.npy")).Shape);
    }

    [Fact]
    public void BadInputIsOneLineAndExitCode2AndWritesNothing()
    {
        using var directory = new TempDirectory();
        var weights = directory.File("w.safetensors");
        Assert.Equal(0, RunCli("init", "--network", "FashionInception", "--output", weights).ExitCode);
        var good = directory.File("x.npy");
        Npy.Write(good, new float[2 * 784], 2, 1, 28, 28);
        Npy.Write(directory.File("wide.npy"), new float[2 * 812], 2, 1, 28, 29);
        Npy.Write(directory.File("flat.npy"), new float[2 * 784], 2, 784);
        Npy.Write(directory.File("empty.npy"), new float[0], 0, 1, 28, 28);
        Npy.Write(directory.File("rgb.npy"), new float[3 * 224 * 224], 1, 3, 224, 224);
        Npy.Write(directory.File("ints.npy"), new long[784], 1, 1, 28, 28);
        File.WriteAllBytes(directory.File("junk.npy"), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
        File.WriteAllBytes(directory.File("junk.safetensors"), [1, 2, 3]);
        var anonymous = directory.File("anonymous.safetensors");
        SafeTensors.Save(new FashionInception(1, 0).Parameters, anonymous);
        var y = directory.File("y.npy");

        (string[] Args, string Expected)[] cases =
        [
            (["run", "--input", good, "--output", y], "run needs --weights"),
            (["run", "--weights", weights, "--output", y], "run needs --input"),
            (["run", "--weights", weights, "--input", good], "run needs --output"),
            (["run", "--weights", directory.File("none.safetensors"), "--input", good, "--output", y], "no weights file"),
            (["run", "--weights", weights, "--input", directory.File("none.npy"), "--output", y], "no input file"),
            (["run", "--weights", weights, "--input", directory.File("wide.npy"), "--output", y], "has shape (2, 1, 28, 29); (N, 1, 28, 28) is needed"),
            (["run", "--weights", weights, "--input", directory.File("flat.npy"), "--output", y], "has shape (2, 784); (N, 1, 28, 28) is needed"),
            (["run", "--weights", weights, "--input", directory.File("empty.npy"), "--output", y], "holds no images"),
            (["run", "--weights", weights, "--input", directory.File("ints.npy"), "--output", y], "holds int64 values; float32 is needed"),
            (["run", "--weights", weights, "--input", directory.File("junk.npy"), "--output", y], "is not a valid .npy file"),
            (["run", "--weights", directory.File("junk.safetensors"), "--input", good, "--output", y], "is not a valid .safetensors file"),
            (["run", "--weights", weights, "--input", good, "--output", y, "--network", "GoogLeNet"], "holds FashionInception weights, not GoogLeNet"),
            (["run", "--weights", weights, "--input", good, "--output", y, "--network", "ResNet"], "no network named 'ResNet'"),
            (["run", "--weights", anonymous, "--input", good, "--output", y], "pass --network NAME"),
            // Both are wrong for GoogLeNet: the weights are checked first, so they are blamed (issue 17, item 21).
            (["run", "--weights", anonymous, "--input", good, "--output", y, "--network", "GoogLeNet"], "does not fit the network"),
            (["run", "--weights", anonymous, "--input", directory.File("rgb.npy"), "--output", y, "--network", "GoogLeNet"], "does not fit the network"),
            (["run", "--weights", weights, "--input", good, "--output", y, "--threads", "0"], "--threads takes a whole number"),
            (["run", "--weights", weights, "--input", good, "--output", y, "--batch", "4"], "unknown option '--batch' for run"),
            (["run", "--weights", weights, "--input", good, "--output", directory.File("no/such/folder/y.npy")], "cannot write"),
            (["init"], "init needs --output"),
            (["init", "--output", directory.File("g.safetensors"), "--network", "LeNet"], "no network named 'LeNet'"),
            (["init", "--output", directory.File("g.safetensors"), "--seed", "-1"], "--seed takes a whole number"),
            (["init", "--output", directory.File("no/such/folder/g.safetensors")], "cannot write"),
        ];

        foreach (var (args, expected) in cases)
        {
            var (code, output, error) = RunCli(args);
            var lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.True(code == 2, $"{string.Join(' ', args)}: exit code {code}, output {output}");
            Assert.True(lines.Length == 1 && lines[0].StartsWith("error: ", StringComparison.Ordinal) && lines[0].Contains(expected, StringComparison.Ordinal),
                $"{string.Join(' ', args)}: expected one line with '{expected}', got:\n{error}");
        }

        Assert.False(File.Exists(y));
        Assert.False(File.Exists(directory.File("g.safetensors")));
    }

    private static float[] Random(int count, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() * 2 - 1))];
    }
}
