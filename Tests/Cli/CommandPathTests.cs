using System.Globalization;
using System.Text.RegularExpressions;
using InceptionGen.Definitions;
using Xunit;

namespace InceptionGen.Tests.Cli;

/// <summary>
/// The command line's paths that no other test takes: <c>--help</c> and no command, an unknown command, <c>networks</c>,
/// <c>summary</c> and a tiny <c>bench</c> (forward, and a training step with the per-op table), with their refusals.
/// </summary>
public sealed partial class CommandPathTests
{
    private static (int ExitCode, string Output, string Error) Cli(params string[] args)
    {
        var (output, error) = (new StringWriter(), new StringWriter());
        var code = InceptionGen.Cli.CommandLine.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("-h")]
    [InlineData("help")]
    public void Help_lists_every_command_and_exits_0(string flag)
    {
        var (code, output, error) = Cli(flag);

        Assert.Equal(0, code);
        Assert.Empty(error);
        Assert.StartsWith("usage: inceptiongen <command>", output, StringComparison.Ordinal);
        foreach (var command in new[] { "networks", "summary", "bench", "train", "evaluate", "init", "run", "export-onnx" })
        {
            Assert.Matches($@"(?m)^\s+{Regex.Escape(command)}\b", output);
        }
    }

    [Fact]
    public void No_command_prints_the_usage_and_exits_2()
    {
        var (code, output, _) = Cli();

        Assert.Equal(2, code);
        Assert.StartsWith("usage: inceptiongen <command>", output, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_command_is_one_error_line_and_exit_2()
    {
        var (code, output, error) = Cli("trian", "fashion-mnist");

        Assert.Equal(2, code);
        Assert.Empty(output);
        Assert.Equal("error: unknown command 'trian'; run 'inceptiongen --help' for the list", error.TrimEnd());
    }

    [Fact]
    public void Networks_lists_each_network_with_its_input_and_counts()
    {
        var (code, output, error) = Cli("networks");

        Assert.Equal(0, code);
        Assert.Empty(error);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        // Every network Definitions declares is listed, once.
        var declared = typeof(GoogLeNet).Assembly.GetTypes().Where(type => typeof(INetwork).IsAssignableFrom(type) && !type.IsAbstract).Select(type => type.Name).ToList();
        Assert.True(declared.Count >= 6, $"Definitions declares {declared.Count} networks");
        Assert.Equal(declared.Count, lines.Length);
        Assert.All(declared, name => Assert.Single(lines, line => line.StartsWith(name + " ", StringComparison.Ordinal)));
        Assert.Contains(lines, line => line.StartsWith("GoogLeNet ", StringComparison.Ordinal)
            && line.Contains($"{GoogLeNet.ParameterCount.ToString("N0", CultureInfo.CurrentCulture)} parameters", StringComparison.Ordinal)
            && line.Contains($"{GoogLeNet.MultiplyAdds.ToString("N0", CultureInfo.CurrentCulture)} multiply-adds", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.StartsWith("FashionInception ", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.StartsWith("FashionBNInception ", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.StartsWith("TorchvisionGoogLeNet ", StringComparison.Ordinal)
            && line.Contains($"{TorchvisionGoogLeNet.ParameterCount.ToString("N0", CultureInfo.CurrentCulture)} parameters", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.StartsWith("NaiveInceptionModule ", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.StartsWith("BottleneckInceptionModule ", StringComparison.Ordinal));
    }

    [Fact]
    public void Networks_takes_no_arguments()
    {
        var (code, _, error) = Cli("networks", "GoogLeNet");

        Assert.Equal(2, code);
        Assert.Equal("error: networks takes no arguments", error.TrimEnd());
    }

    [Fact]
    public void Summary_prints_the_generated_summary_with_and_without_parts()
    {
        var (code, output, error) = Cli("summary", "googlenet");
        var (partsCode, withoutParts, _) = Cli("summary", "GoogLeNet", "--no-parts");

        Assert.Equal((0, 0), (code, partsCode));
        Assert.Empty(error);
        Assert.Equal(GoogLeNet.Summary.Format(includeParts: true), output);
        Assert.Equal(GoogLeNet.Summary.Format(includeParts: false), withoutParts);
        Assert.NotEqual(output, withoutParts);
        Assert.Contains("Parameters (with auxiliary heads):  13,378,280", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "summary" }, "summary takes one network name")]
    [InlineData(new[] { "summary", "AlexNet" }, "no network named 'AlexNet'")]
    [InlineData(new[] { "bench", "NaiveInceptionModule", "--train" }, "NaiveInceptionModule does not end in class scores, so it has no training pass")]
    [InlineData(new[] { "bench", "FashionInception", "--batch", "0" }, "--batch")]
    public void Bad_summary_and_bench_arguments_are_one_error_line(string[] args, string message)
    {
        var (code, output, error) = Cli(args);

        Assert.Equal(2, code);
        Assert.Empty(output);
        Assert.StartsWith("error: ", error, StringComparison.Ordinal);
        Assert.Contains(message, error, StringComparison.Ordinal);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    /// <summary>The smallest bench: one run after no warm-up (at least a second, the shortest --seconds).</summary>
    [Fact]
    public void Bench_times_the_forward_pass_and_ends_with_the_machine_readable_line()
    {
        var (code, output, error) = Cli("bench", "FashionInception", "--warmup", "0", "--runs", "1", "--seconds", "1", "--threads", "1");

        Assert.True(code == 0, error);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("FashionInception forward, batch 1, 1 thread(s), ", lines[0], StringComparison.Ordinal);
        AssertMachineReadable(lines[^1]);
    }

    /// <summary>A training step with the per-op table: a row per op, then what the pool and the rest took.</summary>
    [Fact]
    public void Bench_of_a_training_step_with_layers_prints_the_per_op_table()
    {
        var (code, output, error) = Cli("bench", "FashionInception", "--train", "--layers", "--warmup", "1", "--runs", "1", "--seconds", "1", "--threads", "2", "--batch", "2");

        Assert.True(code == 0, error);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^op +forward +input grad +weight grad +share +GFLOP/s$", lines[0]);
        Assert.Contains(lines, line => line.StartsWith("all ops on the pool ", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.StartsWith("outside the pool ", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.StartsWith("FashionInception training step", StringComparison.Ordinal) && line.Contains("batch 2, 2 thread(s)", StringComparison.Ordinal));
        AssertMachineReadable(lines[^1]);
    }

    private static void AssertMachineReadable(string line)
    {
        var match = MachineReadable().Match(line);
        Assert.True(match.Success, $"last line: {line}");
        Assert.True(double.Parse(match.Groups["median"].Value, CultureInfo.InvariantCulture) > 0, line);
        Assert.True(double.Parse(match.Groups["peak"].Value, CultureInfo.InvariantCulture) > 0, line);
    }

    [GeneratedRegex(@"^median_ms=(?<median>[0-9.]+) images_per_s=[0-9.]+ gflops=[0-9.]+ peak_gflops=(?<peak>[0-9.]+) peak_fraction=[0-9.]+$")]
    private static partial Regex MachineReadable();
}
