using InceptionGen.CommandLine;
using InceptionGen.Interop;

namespace InceptionGen.Cli;

/// <summary>Parses the command line and runs one command; every failure is one clear line and a non-zero exit code.</summary>
internal static class CommandLine
{
    private const string Usage = """
        usage: inceptiongen <command> [arguments]

        commands:
          networks                          list the networks
          summary <network> [--no-parts]    layers with output shapes, parameters and multiply-adds
          bench <network> [--train] [--batch N] [--threads N] [--warmup N] [--runs N] [--seconds N] [--layers]
                [--overlap]                 time the forward pass (--train: a training step, data-parallel
                                            under mpirun); the last line is
                                            median_ms=… images_per_s=… gflops=… peak_gflops=… peak_fraction=…
          train fashion-mnist [--epochs N] [--batch N] [--lr X] [--schedule cosine|step|constant]
                [--optimizer sgd|adam|adamw] [--seed N] [--threads N] [--output DIR] [--subset N]
                [--validation N] [--data DIR] [--no-augment] [--resume | --force] [--shards N] [--overlap]
                [--network NAME] [--erase P] [--label-smoothing E] [--ema D] [--tta none|flip]
                                            train FashionInception (or --network); checkpoint, model.safetensors and
                                            metrics.csv go in --output (default runs/fashion-mnist);
                                            --resume continues the run there, --force starts over in it;
                                            under mpirun -np N, data-parallel over N processes
          train --network NAME --data DIR [--val-split F | --val DIR] [--init W [--replace-classifier]]
                [--freeze LAYER] [--normalize imagenet|caffe|unit | --mean M --std S] [--crop-fraction F]
                [--min-scale F] [--decode-threads N] [the options above but --subset, --validation, --erase, --tta]
                                            train any network with an image input on an image folder
                                            (DIR/<class>/<image>, JPEG or PNG); the class names go into
                                            model.safetensors for classify (default --output runs/<network>)
          classify --weights W.safetensors IMAGE_OR_FOLDER... [--top K] [--csv OUT.csv] [--threads N]
                                            the top K classes (5) of image files, with probabilities
          evaluate --weights W.safetensors [--data DIR]
                                            test accuracy and confusion matrix of Fashion-MNIST weights
                                            (flip-averaged if trained with --tta flip)
          init [--network NAME] [--seed S] --output W.safetensors
                                            fresh weights (default GoogLeNet, seed 0), PyTorch names, with
                                            the network's name in the file's metadata
          run --weights W.safetensors --input X.npy --output Y.npy [--network NAME] [--threads N]
                                            inference on a float32 N x C x H x W batch of any size; the
                                            network comes from the weights' metadata (or --network)
          export-onnx --weights W.safetensors --output model.onnx [--network NAME]
                                            the inference graph as ONNX (opset 13, input "input" N x C x H x W,
                                            output "logits"); the network comes from the weights' metadata,
                                            else --network, else GoogLeNet

        any command: --verbose (or INCEPTIONGEN_VERBOSE=1) adds the stack trace to an internal error

        """;

    /// <summary>Set to 1 (or pass <c>--verbose</c>) to see the stack trace of an internal error.</summary>
    public const string VerboseVariable = "INCEPTIONGEN_VERBOSE";

    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        var verbose = args.Contains("--verbose") || Environment.GetEnvironmentVariable(VerboseVariable) == "1";
        args = [.. args.Where(arg => arg != "--verbose")];
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            output.Write(Usage);
            return args.Length == 0 ? 2 : 0;
        }

        try
        {
            var rest = args[1..];
            return args[0] switch
            {
                "networks" => Networks(new Arguments("networks", rest, [], []), output),
                "summary" => Summary(new Arguments("summary", rest, [], ["no-parts"]), output),
                "bench" => BenchCommand.Run(new Arguments("bench", rest, ["batch", "threads", "warmup", "runs", "seconds"], ["layers", "train", "overlap"]), output),
                "train" => TrainCommand.Train(new Arguments("train", rest, TrainCommand.TrainOptionNames, TrainCommand.TrainFlagNames), output, error),
                "classify" => ClassifyCommand.Run(new Arguments("classify", rest, ClassifyCommand.OptionNames, []), output, error),
                "evaluate" => TrainCommand.Evaluate(new Arguments("evaluate", rest, ["weights", "data"], []), output, error),
                "init" => InferenceCommands.Init(new Arguments("init", rest, InferenceCommands.InitOptionNames, []), output),
                "run" => InferenceCommands.Run(new Arguments("run", rest, InferenceCommands.RunOptionNames, []), output, error),
                "export-onnx" => ExportOnnxCommand.Run(new Arguments("export-onnx", rest, ExportOnnxCommand.OptionNames, []), output, error),
                _ => throw new UsageException($"unknown command '{args[0]}'; run 'inceptiongen --help' for the list"),
            };
        }
        catch (Exception exception)
        {
            return Report(exception, error, verbose);
        }
    }

    /// <summary>
    /// The one line a failure gets, and the exit code: 2 for a refused command line or input, 1 for a file that
    /// could not be read or written, 70 for an internal error (with a hint; the stack trace only when verbose).
    /// </summary>
    internal static int Report(Exception exception, TextWriter error, bool verbose)
    {
        var (code, message) = exception switch
        {
            UsageException => (2, exception.Message),
            IOException or UnauthorizedAccessException or InvalidDataException or SafeTensorsException => (1, exception.Message),
            _ => (70, $"internal error ({exception.GetType().Name}: {exception.Message}); please report it, with the stack trace that --verbose or {VerboseVariable}=1 shows"),
        };
        error.WriteLine($"error: {TrainCommand.OneLine(message)}");
        if (verbose)
        {
            error.WriteLine(exception.ToString());
        }

        return code;
    }

    private static int Summary(Arguments arguments, TextWriter output)
    {
        output.Write(arguments.Network("summary").Summary.Format(includeParts: !arguments.Flag("no-parts")));
        return 0;
    }

    private static int Networks(Arguments arguments, TextWriter output)
    {
        if (arguments.Positional.Count > 0)
        {
            throw new UsageException("networks takes no arguments");
        }

        foreach (var (name, entry) in NetworkCatalog.Networks)
        {
            output.WriteLine($"{name,-28} input {entry.Summary.InputShape}, {entry.Summary.ParameterCount:N0} parameters, {entry.Summary.MultiplyAdds:N0} multiply-adds");
        }

        return 0;
    }
}
