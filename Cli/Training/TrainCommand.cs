using System.Globalization;
using System.Runtime.InteropServices;
using InceptionGen.CommandLine;
using InceptionGen.Data;
using InceptionGen.Definitions;
using InceptionGen.Distributed;
using InceptionGen.Images;
using InceptionGen.Interop;
using InceptionGen.Threading;
using Spectre.Console;

namespace InceptionGen.Cli;

/// <summary><c>train fashion-mnist</c>, <c>train --network N --data DIR</c> and <c>evaluate --weights W</c>.</summary>
internal static class TrainCommand
{
    public static readonly string[] TrainOptionNames = ["epochs", "batch", "lr", "schedule", "optimizer", "seed", "threads", "output", "subset", "validation", "data", "shards",
        "network", "val-split", "val", "init", "freeze", "normalize", "mean", "std", "crop-fraction", "min-scale", "decode-threads",
        "erase", "label-smoothing", "ema", "tta"];
    public static readonly string[] TrainFlagNames = ["no-augment", "resume", "force", "overlap", "replace-classifier"];

    /// <summary>Options of <c>train --network N --data DIR</c> only.</summary>
    private static readonly string[] ImageOptionNames = ["val-split", "val", "normalize", "mean", "std", "crop-fraction", "min-scale", "decode-threads"];

    public static int Train(Arguments arguments, TextWriter output, TextWriter? error = null)
    {
        var imageFolder = arguments.Positional.Count == 0 && arguments.Text("network") is not null;

        if (!imageFolder && arguments.Positional is not ["fashion-mnist"])
        {
            throw new UsageException("train takes a dataset name (fashion-mnist) or --network NAME --data DIR (an image folder)");
        }

        if (!imageFolder)
        {
            foreach (var name in ImageOptionNames.Where(name => arguments.Text(name) is not null))
            {
                throw new UsageException($"--{name} is an option of train --network NAME --data DIR, not of train fashion-mnist");
            }
        }
        else
        {
            foreach (var name in new[] { "subset", "validation" }.Where(name => arguments.Text(name) is not null))
            {
                throw new UsageException($"--{name} is an option of train fashion-mnist; an image folder takes --val-split F or --val DIR");
            }

            foreach (var name in new[] { "erase", "tta" }.Where(name => arguments.Text(name) is not null))
            {
                throw new UsageException($"--{name} is an option of train fashion-mnist (evaluate and run repeat its --tta; classify does not)");
            }
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
            Output = arguments.Text("output") ?? Path.Combine("runs", imageFolder ? arguments.Text("network")!.ToLowerInvariant() : "fashion-mnist"),
            Subset = arguments.Text("subset") is null ? null : arguments.Int("subset", 0, 1, FashionMnist.TrainCount),
            Validation = arguments.Int("validation", 5000, 0, FashionMnist.TrainCount - 1),
            Augment = !arguments.Flag("no-augment"),
            Resume = arguments.Flag("resume"),
            Force = arguments.Flag("force"),
            Shards = arguments.Text("shards") is null ? null : arguments.Int("shards", 1, 1, 4096),
            Overlap = arguments.Flag("overlap"),
            Network = arguments.Text("network") is { } network ? NetworkCatalog.Find(network).Name : "FashionInception",
            Erase = (float)Number(arguments, "erase", 0, value => value is >= 0 and <= 1, "a probability in [0, 1]"),
            LabelSmoothing = (float)Number(arguments, "label-smoothing", 0, value => value is >= 0 and < 1, "a number in [0, 1)"),
            Ema = arguments.Text("ema") is null ? null : (float)Number(arguments, "ema", 0, value => value is > 0 and < 1, "a decay in (0, 1), such as 0.999"),
            FlipAverage = Choice(arguments, "tta", "none", "none", "flip") == "flip",
            Init = arguments.Text("init"),
            ReplaceClassifier = arguments.Flag("replace-classifier"),
            Freeze = arguments.Text("freeze"),
        };
        if (options.ReplaceClassifier && options.Init is null)
        {
            throw new UsageException("--replace-classifier replaces the classifiers of the --init weights; pass --init W too");
        }

        if (options.Init is { } init)
        {
            FileChecks.RequireInput(init, "init");
        }
        if (options.Resume && options.Force)
        {
            throw new UsageException("--resume continues the run in --output and --force starts a new one there; pass one of them");
        }

        RunFolder.Check(options.Output, options.Resume);

        // Under mpirun: every rank trains, rank 0 alone prints and writes (see DistributedRun).
        var communicator = Communicator.FromEnvironment();
        if (!communicator.IsRoot)
        {
            output = TextWriter.Null;
        }

        using var data = imageFolder ? ImageData(arguments, options, error ?? Console.Error) : null;
        var fashion = imageFolder ? null : LoadData(arguments.Text("data"));
        // mpirun gives ranks a terminal of its own, but forwards lines: plain lines, no progress bars.
        var interactive = !Console.IsOutputRedirected && ReferenceEquals(output, Console.Out) && !Communicator.StartedByMpirun;
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

        // Under mpirun a signal is not taken cooperatively: ranks that stop at different steps would wait in the
        // gradient sum forever. The default action ends the rank, mpirun ends the job, and --resume continues from
        // the last checkpoint.
        using var interrupt = communicator.Size == 1 ? PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop) : null;
        using var terminate = communicator.Size == 1 ? PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop) : null;
        try
        {
            var trainer = data is null
                ? new FashionTrainer(options, fashion!, console, interactive) { Communicator = communicator }
                : new FashionTrainer(options, data, TrainableNetwork(options.Network), console, interactive)
                {
                    Communicator = communicator,
                    ModelMetadata = new ImageMetadata(data.ClassNames, data.Transform.Normalization, data.Transform.CropFraction).ToDictionary(),
                };
            var result = trainer.Run(cancellation.Token);
            communicator.Dispose();
            return result.Completed ? 0 : received == PosixSignal.SIGTERM ? 143 : 130;
        }
        catch (UsageException) when (!communicator.IsRoot)
        {
            // Every rank refuses the same way (RunAgreement); rank 0 says why. Exiting without MPI_Finalize
            // lets mpirun end the job even if the ranks did not all get here.
            return 2;
        }
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
        // The network the weights name (FashionInception for files without the metadata), flip-averaged if they were trained so.
        var (name, entry) = InferenceCommands.NetworkOf(weights, null, fallback: nameof(FashionInception));
        if (entry.Summary.InputShape is not { Channels: 1, Height: FashionMnist.Side, Width: FashionMnist.Side })
        {
            throw new UsageException($"'{weights}' holds {name} weights, whose input is {entry.Summary.InputShape}, not Fashion-MNIST's 1x28x28");
        }

        var trained = entry.Create(batch, 1, null);
        IReadOnlyDictionary<string, string> metadata;
        try
        {
            SafeTensors.Load(trained.Parameters, weights);
            metadata = SafeTensors.ReadMetadata(weights);
        }
        catch (SafeTensorsException e)
        {
            throw new UsageException($"'{weights}' does not hold {name} weights: {OneLine(e.Message)}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot read '{weights}': {OneLine(e.Message)}");
        }

        FileChecks.WarnIfNotFinite(error, $"the weights '{weights}'", trained.Parameters.ReadOnlySpan);
        var net = FlipAveragedNetwork.For(trained, metadata);
        var data = LoadData(arguments.Text("data"));
        var console = CreateConsole(output, !Console.IsOutputRedirected && ReferenceEquals(output, Console.Out));
        var confusion = new int[10, 10];
        var accuracy = FashionTrainer.Accuracy(net, data.Test, 0, data.Test.Count, new float[batch * FashionMnist.ImageSize], new float[batch * 10], confusion);
        console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"test accuracy {accuracy:P2} ({(net is FlipAveragedNetwork ? "flip-averaged as trained, " : "")}{data.Test.Count} images)"));
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

    /// <summary>The network's factory, if it ends in class scores (and so has a training pass).</summary>
    public static Func<int, ulong, WorkerPool, ITrainableNetwork> TrainableNetwork(string name)
    {
        var entry = NetworkCatalog.Find(name);
        if (entry.Create(1, 0, null) is not ITrainableNetwork)
        {
            throw new UsageException($"{name} ends in a feature map, not class scores, so it has no training pass");
        }

        return (batch, seed, pool) => (ITrainableNetwork)entry.Create(batch, seed, pool);
    }

    /// <summary>The image folder of <c>train --network N --data DIR</c>, split and transformed for the network's input.</summary>
    private static ImageFolderTrainingData ImageData(Arguments arguments, TrainOptions options, TextWriter warnings)
    {
        var root = arguments.Text("data") ?? throw new UsageException("train --network NAME needs --data DIR, an image folder (DIR/<class>/<image>)");
        var shape = NetworkCatalog.Find(options.Network).Summary.InputShape;
        if (shape.Channels is not (1 or 3))
        {
            throw new UsageException($"{options.Network}'s input is {shape}; an image input has 1 (grey) or 3 (RGB) channels");
        }

        var normalization = Normalization(arguments);
        var transform = new ImageTransform(shape.Channels, shape.Height, shape.Width, normalization)
        {
            CropFraction = (float)Fraction(arguments, "crop-fraction", 0.875, 0, 1, inclusiveLow: false),
            MinScale = (float)Fraction(arguments, "min-scale", 0.08, 0, 1, inclusiveLow: false),
        };
        var folder = OpenFolder(root, "--data");
        var validationDir = arguments.Text("val");
        IReadOnlyList<ImageSample> train, validation;
        string validationText;
        if (validationDir is not null)
        {
            if (arguments.Text("val-split") is not null)
            {
                throw new UsageException("pass --val-split F or --val DIR, not both");
            }

            var held = OpenFolder(validationDir, "--val");
            if (!held.Classes.SequenceEqual(folder.Classes, StringComparer.Ordinal))
            {
                throw new UsageException($"--val '{validationDir}' has classes {string.Join(", ", held.Classes)}; --data has {string.Join(", ", folder.Classes)}");
            }

            (train, validation, validationText) = (folder.Samples, held.Samples, held.Root);
        }
        else
        {
            var split = Fraction(arguments, "val-split", 0.1, 0, 1, inclusiveLow: true);
            (train, validation) = folder.Split(split, Shuffle.Mix(options.Seed, 0x5EED_5911_7000_0001UL));
            validationText = "split " + split.ToString("R", CultureInfo.InvariantCulture);
        }

        var threads = arguments.Int("decode-threads", 1, 1, 256);
        return new ImageFolderTrainingData(folder, train, validation, validationText, transform, options.Batch, options.Augment, threads, warnings);
    }

    private static ImageFolder OpenFolder(string root, string option)
    {
        try
        {
            return ImageFolder.Open(root);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            throw new UsageException($"{option}: {e.Message}");
        }
    }

    /// <summary>--normalize imagenet|caffe|unit (default imagenet), or --mean and --std (three values each on 0..1 pixels, or one for all channels).</summary>
    public static ImageNormalization Normalization(Arguments arguments)
    {
        var mean = arguments.Text("mean");
        var std = arguments.Text("std");
        if (mean is not null || std is not null)
        {
            if (arguments.Text("normalize") is not null)
            {
                throw new UsageException("pass --normalize PRESET or --mean and --std, not both");
            }

            return new ImageNormalization(1f / 255, Three(mean ?? "0", "mean"), Three(std ?? "1", "std"));
        }

        var preset = arguments.Text("normalize") ?? "imagenet";
        return ImageNormalization.Preset(preset) ?? throw new UsageException($"--normalize takes imagenet, caffe or unit, not '{preset}'");
    }

    private static float[] Three(string text, string name)
    {
        var values = text.Split(',');
        var parsed = values.Select(v => float.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var f) && float.IsFinite(f) ? f : float.NaN).ToArray();
        if (parsed.Length is not (1 or 3) || parsed.Any(float.IsNaN) || (name == "std" && parsed.Any(v => v <= 0)))
        {
            throw new UsageException($"--{name} takes one number or three separated by commas{(name == "std" ? ", each positive" : "")}, not '{text}'");
        }

        return parsed.Length == 1 ? [parsed[0], parsed[0], parsed[0]] : parsed;
    }

    private static double Fraction(Arguments arguments, string name, double fallback, double low, double high, bool inclusiveLow)
    {
        var text = arguments.Text(name);
        if (text is null)
        {
            return fallback;
        }

        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && (inclusiveLow ? value >= low : value > low) && value < high + (name == "val-split" ? 0 : 1e-12)
            ? value
            : throw new UsageException($"--{name} takes a number in {(inclusiveLow ? "[" : "(")}{low}, {high}{(name == "val-split" ? ")" : "]")}, not '{text}'");
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

    /// <summary>A number option, <paramref name="fallback"/> if absent; <paramref name="range"/> says what <paramref name="valid"/> accepts.</summary>
    private static double Number(Arguments arguments, string name, double fallback, Func<double, bool> valid, string range)
    {
        var text = arguments.Text(name);
        if (text is null)
        {
            return fallback;
        }

        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value) && valid(value)
            ? value
            : throw new UsageException($"--{name} takes {range}, not '{text}'");
    }

    private static string Choice(Arguments arguments, string name, string fallback, params string[] choices)
    {
        var value = arguments.Text(name) ?? fallback;
        return choices.Contains(value, StringComparer.Ordinal) ? value : throw new UsageException($"--{name} takes {string.Join(", ", choices)}, not '{value}'");
    }
}
