using System.Diagnostics;
using System.Text;
using InceptionGen.Definitions;
using InceptionGen.Interop;
using InceptionGen.Tests.Interop;
using Xunit;
using static InceptionGen.Tests.Cli.CliHarness;

namespace InceptionGen.Tests.Cli;

/// <summary>Issue 17, "CLI and files": <c>init</c>, <c>run</c>, <c>export-onnx</c> and <c>evaluate</c> never lose a file and never show a stack trace.</summary>
public sealed class FileSafetyTests
{
    private static string FashionWeights(TempDirectory directory, string name = "w.safetensors")
    {
        var path = directory.File(name);
        Assert.Equal(0, RunCli("init", "--network", "FashionInception", "--seed", "4", "--output", path).ExitCode);
        return path;
    }

    private static string FashionInput(TempDirectory directory, string name = "x.npy", int count = 2, float poison = 0)
    {
        var values = Enumerable.Range(0, count * FashionInception.InputLength).Select(i => MathF.Sin(i * 0.1f)).ToArray();
        values[5] += poison;
        var path = directory.File(name);
        Npy.Write(path, values, count, 1, 28, 28);
        return path;
    }

    [Fact]
    public void Item1_an_output_that_is_an_input_is_refused_by_path_hard_link_or_symbolic_link()
    {
        using var directory = new TempDirectory();
        var weights = FashionWeights(directory);
        var input = FashionInput(directory);
        var hardLink = directory.File("hard.npy");
        using (var ln = Process.Start(new ProcessStartInfo("ln", [input, hardLink]) { UseShellExecute = false })!)
        {
            ln.WaitForExit();
        }

        var weightsLink = directory.File("weights-link.safetensors");
        File.CreateSymbolicLink(weightsLink, weights);
        var (inputBytes, weightsBytes) = (File.ReadAllBytes(input), File.ReadAllBytes(weights));

        AssertOneErrorLine("--output '" + input + "' is the --input file; writing it would destroy the input", ["run", "--weights", weights, "--input", input, "--output", input]);
        AssertOneErrorLine("is the --input file (through a link)", ["run", "--weights", weights, "--input", input, "--output", hardLink]);
        AssertOneErrorLine("is the --weights file", ["run", "--weights", weights, "--input", input, "--output", weights]);
        AssertOneErrorLine("is the --weights file (through a link)", ["export-onnx", "--weights", weights, "--output", weightsLink]);
        AssertOneErrorLine("is the --weights file", ["export-onnx", "--weights", weights, "--output", weights]);

        Assert.Equal(inputBytes, File.ReadAllBytes(input));
        Assert.Equal(weightsBytes, File.ReadAllBytes(weights));
        Assert.NotNull(new FileInfo(weightsLink).LinkTarget);
    }

    [Fact]
    public void Item2_outputs_that_are_not_regular_files_are_refused_and_a_link_is_written_through()
    {
        using var directory = new TempDirectory();
        var weights = FashionWeights(directory);
        var input = FashionInput(directory);
        Directory.CreateDirectory(directory.File("folder.npy"));

        AssertOneErrorLine("'/dev/null' is a device, not a regular file", ["run", "--weights", weights, "--input", input, "--output", "/dev/null"]);
        AssertOneErrorLine("'/dev/null' is a device, not a regular file", ["init", "--output", "/dev/null"]);
        AssertOneErrorLine("is a directory, not a regular file", ["export-onnx", "--weights", weights, "--output", directory.File("folder.npy")]);
        Assert.Equal(FileKind.Device, FileIdentity.Kind("/dev/null"));
        Assert.Equal(FileKind.Directory, FileIdentity.Kind(directory.File("folder.npy")));

        // A link to a regular file: the target gets the new content and the link stays a link.
        var target = directory.File("target.npy");
        File.WriteAllBytes(target, [1, 2, 3]);
        var link = directory.File("link.npy");
        File.CreateSymbolicLink(link, "target.npy");
        var (code, _, error) = RunCli("run", "--weights", weights, "--input", input, "--output", link);
        Assert.True(code == 0, error);
        Assert.Equal("target.npy", new FileInfo(link).LinkTarget);
        Assert.Equal([2, 10], Npy.Read(target).Shape);
        Assert.Empty(Directory.GetFiles(directory.Path, "*" + AtomicFile.TemporaryMarker + "*"));
    }

    [Fact]
    public void Item10_invalid_utf8_in_a_safetensors_header_is_one_line_in_run_evaluate_and_export_onnx()
    {
        using var directory = new TempDirectory();
        var weights = FashionWeights(directory);
        var input = FashionInput(directory);
        var bytes = File.ReadAllBytes(weights);
        var header = Encoding.Latin1.GetString(bytes, 8, 4096);
        bytes[8 + header.IndexOf("FashionInception", StringComparison.Ordinal)] = 0xFF; // inside the network's name: valid JSON, invalid UTF-8
        var broken = directory.File("broken.safetensors");
        File.WriteAllBytes(broken, bytes);

        AssertOneErrorLine("its header is not valid UTF-8", ["run", "--weights", broken, "--input", input, "--output", directory.File("y.npy")]);
        AssertOneErrorLine("its header is not valid UTF-8", ["export-onnx", "--weights", broken, "--output", directory.File("m.onnx")]);
        AssertOneErrorLine("its header is not valid UTF-8", ["evaluate", "--weights", broken]);
        Assert.False(File.Exists(directory.File("y.npy")));
    }

    [Fact]
    public void Item11_an_unreadable_file_is_one_line()
    {
        using var directory = new TempDirectory();
        var unreadable = directory.File("locked.safetensors");
        MakeUnreadable(unreadable);
        var input = FashionInput(directory);

        AssertOneErrorLine("cannot read", ["evaluate", "--weights", unreadable]);
        AssertOneErrorLine("denied", ["run", "--weights", unreadable, "--input", input, "--output", directory.File("y.npy")]);
        AssertOneErrorLine("denied", ["export-onnx", "--weights", unreadable, "--output", directory.File("m.onnx")]);
    }

    [Fact]
    public void Item12_an_empty_value_is_one_line()
    {
        using var directory = new TempDirectory();
        var weights = FashionWeights(directory);
        var input = FashionInput(directory);

        AssertOneErrorLine("option --output needs a value, not an empty one", ["init", "--output", ""]);
        AssertOneErrorLine("option --output needs a value, not an empty one", ["run", "--weights", weights, "--input", input, "--output", ""]);
        AssertOneErrorLine("option --output needs a value, not an empty one", ["export-onnx", "--weights", weights, "--output", ""]);
        AssertOneErrorLine("option --output needs a value, not an empty one", ["train", "fashion-mnist", "--output", ""]);
        AssertOneErrorLine("option --weights needs a value, not an empty one", ["evaluate", "--weights", ""]);
    }

    [Fact]
    public async Task Item13_an_input_pipe_is_read_as_a_stream_and_a_weights_pipe_is_refused_clearly()
    {
        using var directory = new TempDirectory();
        var weights = FashionWeights(directory);
        var input = FashionInput(directory, count: 3);
        var pipe = directory.File("pipe.npy");
        MakePipe(pipe);

        // The writer blocks until the command opens the pipe, as `--input <(cat x.npy)` does.
        var writer = Task.Run(() => File.WriteAllBytes(pipe, File.ReadAllBytes(input)));
        try
        {
            var (code, _, error) = RunCli("run", "--weights", weights, "--input", pipe, "--output", directory.File("y.npy"));
            Assert.True(code == 0, error);
            Assert.True(await Task.WhenAny(writer, Task.Delay(TimeSpan.FromMinutes(2), TestContext.Current.CancellationToken)) == writer, "the writer never finished");
        }
        finally
        {
            if (!writer.IsCompleted)
            {
                using var drain = new FileStream(pipe, FileMode.Open, FileAccess.Read);
                drain.CopyTo(Stream.Null);
            }
        }

        RunCli("run", "--weights", weights, "--input", input, "--output", directory.File("y-file.npy"));
        Assert.Equal(File.ReadAllBytes(directory.File("y-file.npy")), File.ReadAllBytes(directory.File("y.npy")));

        // Weights are read twice (the network's name, then the tensors): a pipe is refused before it is opened, so nothing hangs.
        var weightsPipe = directory.File("pipe.safetensors");
        MakePipe(weightsPipe);
        AssertOneErrorLine("is a pipe, which can be read only once", ["run", "--weights", weightsPipe, "--input", input, "--output", directory.File("z.npy")]);
        AssertOneErrorLine("is a pipe, which can be read only once", ["export-onnx", "--weights", weightsPipe, "--output", directory.File("m.onnx")]);
    }

    [Fact]
    public void Item16_a_value_that_starts_with_two_dashes_is_not_taken_as_the_value()
    {
        AssertOneErrorLine("option --output needs a value, not the option '--resume'", ["train", "fashion-mnist", "--output", "--resume"]);
        AssertOneErrorLine("option --weights needs a value, not the option '--input'", ["run", "--weights", "--input", "x.npy", "--output", "y.npy"]);
        Assert.False(Directory.Exists("--resume"));
    }

    [Fact]
    public void Item18_a_repeated_option_or_flag_is_an_error()
    {
        AssertOneErrorLine("--seed is given twice", ["init", "--seed", "1", "--seed", "2", "--output", "w.safetensors"]);
        AssertOneErrorLine("--resume is given twice", ["train", "fashion-mnist", "--resume", "--resume"]);
        AssertOneErrorLine("--batch is given twice", ["train", "fashion-mnist", "--batch", "32", "--batch", "64"]);
        Assert.False(File.Exists("w.safetensors"));
    }

    [Fact]
    public void Item19_train_and_init_accept_the_same_seeds()
    {
        using var directory = new TempDirectory();
        const string largest = "18446744073709551615";
        const string tooLarge = "18446744073709551616";
        var expected = $"--seed takes a whole number from 0 to {largest}, not '{tooLarge}'";
        AssertOneErrorLine(expected, ["init", "--seed", tooLarge, "--output", directory.File("w.safetensors")]);
        AssertOneErrorLine(expected, ["train", "fashion-mnist", "--seed", tooLarge]);
        AssertOneErrorLine("--seed takes a whole number from 0", ["train", "fashion-mnist", "--seed", "-1"]);

        Assert.Equal(0, RunCli("init", "--network", "FashionInception", "--seed", largest, "--output", directory.File("w.safetensors")).ExitCode);
        // train takes the largest seed too: the command gets past its options to the output folder (a file here).
        File.WriteAllBytes(directory.File("file"), []);
        AssertOneErrorLine("is a regular file, not a folder", ["train", "fashion-mnist", "--seed", largest, "--output", directory.File("file")]);
    }

    [Fact]
    public void Item21_weights_whose_metadata_names_another_network_are_blamed_not_the_input()
    {
        using var directory = new TempDirectory();
        var fashion = new FashionInception(1, seed: 2);
        var input = FashionInput(directory);

        // The metadata says GoogLeNet, the tensors are FashionInception's, the input fits FashionInception.
        var mislabelled = directory.File("mislabelled.safetensors");
        SafeTensors.Save(fashion.Parameters, mislabelled, new Dictionary<string, string> { [SafeTensors.NetworkMetadataKey] = "GoogLeNet" });
        AssertOneErrorLine($"'{mislabelled}' does not fit the network", ["run", "--weights", mislabelled, "--input", input, "--output", directory.File("y.npy")]);

        // A network this build does not know.
        var unknown = directory.File("unknown.safetensors");
        SafeTensors.Save(fashion.Parameters, unknown, new Dictionary<string, string> { [SafeTensors.NetworkMetadataKey] = "LeNet" });
        AssertOneErrorLine("holds weights of LeNet (its 'network' metadata), a network this build does not know", ["run", "--weights", unknown, "--input", input, "--output", directory.File("y.npy")]);

        // Good FashionInception weights and a GoogLeNet-sized input: the message says which network wants which shape, and why.
        var weights = FashionWeights(directory);
        Npy.Write(directory.File("rgb.npy"), new float[3 * 224 * 224], 1, 3, 224, 224);
        AssertOneErrorLine($"has shape (1, 3, 224, 224); (N, 1, 28, 28) is needed by FashionInception (named in the metadata of '{weights}')",
            ["run", "--weights", weights, "--input", directory.File("rgb.npy"), "--output", directory.File("y.npy")]);
        Assert.False(File.Exists(directory.File("y.npy")));
    }

    [Fact]
    public void Item22_nan_or_inf_in_the_input_or_the_weights_is_a_warning()
    {
        using var directory = new TempDirectory();
        var weights = FashionWeights(directory);
        var clean = FashionInput(directory);
        var poisoned = FashionInput(directory, "nan.npy", poison: float.NaN);

        var (code, _, error) = RunCli("run", "--weights", weights, "--input", clean, "--output", directory.File("y.npy"));
        Assert.True(code == 0, error);
        Assert.Equal("", error);

        (code, _, error) = RunCli("run", "--weights", weights, "--input", poisoned, "--output", directory.File("y.npy"));
        Assert.Equal(0, code);
        Assert.Equal($"warning: the input '{poisoned}': 1 NaN or infinite value of {2 * FashionInception.InputLength} (the first at index 5); results that depend on them will be NaN", error.TrimEnd());
        Assert.True(float.IsNaN(Npy.Read(directory.File("y.npy")).ToFloat32()[0]));

        var network = new FashionInception(1, seed: 4);
        network.Parameters.Span[network.Parameters.Tensors[0].Offset + 3] = float.PositiveInfinity;
        network.Parameters.Span[network.Parameters.Tensors[0].Offset + 7] = float.NegativeInfinity;
        var infinite = directory.File("inf.safetensors");
        SafeTensors.Save(network, infinite);
        (code, _, error) = RunCli("export-onnx", "--weights", infinite, "--output", directory.File("m.onnx"));
        Assert.Equal(0, code);
        Assert.Contains($"warning: the weights '{infinite}': 2 NaN or infinite values", error);
        Assert.Single(error.TrimEnd().Split('\n'));
    }

    [Fact]
    public void An_internal_error_is_one_line_with_a_hint_and_the_trace_only_when_verbose()
    {
        var exception = Record.Exception(() => ((string)null!).Trim())!;

        var quiet = new StringWriter();
        Assert.Equal(70, InceptionGen.Cli.CommandLine.Report(exception, quiet, verbose: false));
        var line = Assert.Single(quiet.ToString().TrimEnd().Split('\n'));
        Assert.StartsWith("error: internal error (NullReferenceException: ", line);
        Assert.Contains("--verbose or INCEPTIONGEN_VERBOSE=1", line);

        var verbose = new StringWriter();
        InceptionGen.Cli.CommandLine.Report(exception, verbose, verbose: true);
        Assert.Contains("   at ", verbose.ToString());

        var io = new StringWriter();
        Assert.Equal(1, InceptionGen.Cli.CommandLine.Report(new IOException("No space left on device\nsecond line"), io, verbose: false));
        Assert.Equal("error: No space left on device second line", io.ToString().TrimEnd());
    }
}
