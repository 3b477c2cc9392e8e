using System.Globalization;
using System.Runtime.InteropServices;
using InceptionGen.CommandLine;
using InceptionGen.Data;
using InceptionGen.Definitions;
using InceptionGen.Interop;
using Spectre.Console;

namespace InceptionGen.Cli;

/// <summary><c>train fashion-mnist</c> and <c>evaluate --weights W</c>.</summary>
internal static class TrainCommand
{
    public static readonly string[] TrainOptionNames = ["epochs", "batch", "lr", "schedule", "optimizer", "seed", "threads", "output", "subset", "validation", "data"];
    public static readonly string[] TrainFlagNames = ["no-augment", "resume", "force"];

    public static int Train(Arguments arguments, TextWriter output)
    {
        if (arguments.Positional is not ["fashion-mnist"])
        {
            throw new UsageException("train takes one dataset name: fashion-mnist");
        }

        var lrText = arguments.Text("lr");
        float? lr = null;
        if (lrText is not null)
        {
            lr = float.TryParse(lrText, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value > 0 && float.IsFinite(value)
                ? value
                : throw new UsageException($"--lr takes a positive number, not '{lrText}'");
        }

        var options = new TrainOptions
        {
            Epochs = arguments.Int("epochs", 1, 1, 10_000),
            Batch = arguments.Int("batch", 64, 1, 4096),
            LearningRate = lr,
            Schedule = Choice(arguments, "schedule", "cosine", "cosine", "step", "constant"),
            Optimizer = Choice(arguments, "optimizer", "sgd", "sgd", "adam", "adamw"),
            Seed = arguments.Seed("seed", 1),
            Threads = arguments.Int("threads", Environment.ProcessorCount, 1, 1024),
            Output = arguments.Text("output") ?? Path.Combine("runs", "fashion-mnist"),
            Subset = arguments.Text("subset") is null ? null : arguments.Int("subset", 0, 1, FashionMnist.TrainCount),
            Validation = arguments.Int("validation", 5000, 0, FashionMnist.TrainCount - 1),
            Augment = !arguments.Flag("no-augment"),
            Resume = arguments.Flag("resume"),
            Force = arguments.Flag("force"),
        };
        if (options.Resume && options.Force)
        {
            throw new UsageException("--resume continues the run in --output and --force starts a new one there; pass one of them");
        }

        RunFolder.Check(options.Output, options.Resume);
        var data = LoadData(arguments.Text("data"));
        var interactive = !Console.IsOutputRedirected && ReferenceEquals(output, Console.Out);
        var console = CreateConsole(output, interactive);
        using var cancellation = new CancellationTokenSource();
        PosixSignal? received = null;

        // Ctrl+C and SIGTERM (a service manager, `kill`, a job scheduler) both stop after the current batch with a
        // checkpoint; a second signal ends the process at once.
        void Stop(PosixSignalContext context)
        {
            if (cancellation.IsCancellationRequested)
            {
                return;
            }

            context.Cancel = true;
            received = context.Signal;
            cancellation.Cancel();
        }

        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        var result = new FashionTrainer(options, data, console, interactive).Run(cancellation.Token);
        return result.Completed ? 0 : received == PosixSignal.SIGTERM ? 143 : 130;
    }

    public static int Evaluate(Arguments arguments, TextWriter output, TextWriter error)
    {
        if (arguments.Positional.Count > 0)
        {
            throw new UsageException("evaluate takes no positional arguments: evaluate --weights W.safetensors [--data folder]");
        }

        var weights = arguments.Text("weights") ?? throw new UsageException("evaluate needs --weights W.safetensors");
        FileChecks.RequireInput(weights, "weights", pipeAllowed: true);
        var batch = 100;
        var net = new FashionInception(batch, 1);
        try
        {
            SafeTensors.Load(net.Parameters, weights);
        }
        catch (SafeTensorsException e)
        {
            throw new UsageException($"'{weights}' does not hold FashionInception weights: {OneLine(e.Message)}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot read '{weights}': {OneLine(e.Message)}");
        }

        FileChecks.WarnIfNotFinite(error, $"the weights '{weights}'", net.Parameters.ReadOnlySpan);
        var data = LoadData(arguments.Text("data"));
        var console = CreateConsole(output, !Console.IsOutputRedirected && ReferenceEquals(output, Console.Out));
        var confusion = new int[10, 10];
        var accuracy = FashionTrainer.Accuracy(net, data.Test, 0, data.Test.Count, new float[batch * FashionMnist.ImageSize], new float[batch * 10], confusion);
        console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"test accuracy {accuracy:P2} ({data.Test.Count} images)"));
        FashionTrainer.WriteConfusion(console, confusion);
        return 0;
    }

    public static IAnsiConsole CreateConsole(TextWriter output, bool interactive)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
        Out = new AnsiConsoleOutput(output),
        Ansi = interactive ? AnsiSupport.Detect : AnsiSupport.No,
        ColorSystem = interactive ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
        Interactive = interactive ? InteractionSupport.Yes : InteractionSupport.No,
        });
        if (!interactive)
        {
            console.Profile.Width = 200; // plain lines in logs and pipes: no wrapping at 80 columns
        }

        return console;
    }

    private static FashionMnistData LoadData(string? folder)
    {
        try
        {
            return FashionMnist.Load(FashionMnist.FindDataFolder(folder));
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            throw new UsageException($"Fashion-MNIST data: {e.Message}");
        }
    }

    /// <summary>A multi-line message (e.g. every missing tensor) as its first two lines and a count of the rest.</summary>
    public static string OneLine(string message)
    {
        var lines = message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.Length switch
        {
            0 => "",
            1 => lines[0],
            2 => $"{lines[0]} {lines[1]}",
            _ => $"{lines[0]} {lines[1]} (and {lines.Length - 2} more)",
        };
    }

    private static string Choice(Arguments arguments, string name, string fallback, params string[] choices)
    {
        var value = arguments.Text(name) ?? fallback;
        return choices.Contains(value, StringComparer.Ordinal) ? value : throw new UsageException($"--{name} takes {string.Join(", ", choices)}, not '{value}'");
    }
}
