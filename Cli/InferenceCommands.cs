using System.Diagnostics;
using System.Globalization;
using InceptionGen.CommandLine;
using InceptionGen.Interop;
using InceptionGen.Threading;

namespace InceptionGen.Cli;

/// <summary><c>init</c> (fresh weights to a file) and <c>run</c> (inference on a .npy batch).</summary>
internal static class InferenceCommands
{
    /// <summary>The safetensors metadata key naming the network the weights belong to.</summary>
    public const string NetworkKey = "network";

    /// <summary>Images per forward call: any batch runs in chunks of this many.</summary>
    public const int MaxBatch = 16;

    public static readonly string[] InitOptionNames = ["network", "seed", "output"];
    public static readonly string[] RunOptionNames = ["weights", "input", "output", "network", "threads"];

    public static int Init(Arguments arguments, TextWriter output)
    {
        if (arguments.Positional.Count > 0)
        {
            throw new UsageException("init takes no positional arguments: init [--network NAME] [--seed S] --output W.safetensors");
        }

        var (name, entry) = Find(arguments.Text("network") ?? "GoogLeNet");
        var seed = arguments.Seed("seed", 0);
        var path = arguments.Text("output") ?? throw new UsageException("init needs --output W.safetensors");
        FileChecks.RequireOutput(path, "output");
        var network = entry.Create(1, seed, null);
        WriteOrExplain(path, () => SafeTensors.Save(network, path));

        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"wrote {path}: {name} weights from seed {seed}, {network.Parameters.Tensors.Count} tensors, {network.Parameters.Tensors.Sum(t => (long)t.Length):N0} parameters{AuxiliaryNote(entry.Summary)}"));
        return 0;
    }

    /// <summary>The file holds the training-only auxiliary heads too, which <c>networks</c> and <c>summary</c> count apart.</summary>
    private static string AuxiliaryNote(NetworkSummary summary)
        => summary.AuxiliaryParameterCount == 0 ? "" : string.Create(CultureInfo.InvariantCulture, $" ({summary.ParameterCount:N0} for inference, {summary.AuxiliaryParameterCount:N0} in the auxiliary heads)");

    public static int Run(Arguments arguments, TextWriter output, TextWriter error)
    {
        if (arguments.Positional.Count > 0)
        {
            throw new UsageException("run takes no positional arguments: run --weights W.safetensors --input X.npy --output Y.npy [--network NAME] [--threads N]");
        }

        var weights = arguments.Text("weights") ?? throw new UsageException("run needs --weights W.safetensors");
        var inputPath = arguments.Text("input") ?? throw new UsageException("run needs --input X.npy (float32, N x C x H x W)");
        var outputPath = arguments.Text("output") ?? throw new UsageException("run needs --output Y.npy");
        var threads = arguments.Int("threads", Environment.ProcessorCount, 1, 1024);
        FileChecks.RequireInput(weights, "weights");
        FileChecks.RequireInput(inputPath, "input", pipeAllowed: true);
        FileChecks.RequireOutput(outputPath, "output", (weights, "--weights"), (inputPath, "--input"));

        var (name, entry) = NetworkOf(weights, arguments.Text("network"));
        var input = Guard(inputPath, () => Npy.Read(inputPath));
        var count = input.Shape.Count > 0 ? input.Shape[0] : 0;
        using var pool = new WorkerPool(threads);
        var trained = entry.Create(Math.Clamp(count, 1, MaxBatch), 0, pool);

        // The weights first: a file that does not fit its network is the file's fault, not the input's shape.
        Guard(weights, () => SafeTensors.Load(trained.Parameters, weights));

        // Weights trained with --tta flip give the mean of each image's and its mirror image's outputs, as evaluate does.
        var network = FlipAveragedNetwork.For(trained, Guard(weights, () => SafeTensors.ReadMetadata(weights)));
        var shape = entry.Summary.InputShape;
        try
        {
            input.RequireShape(-1, shape.Channels, shape.Height, shape.Width);
        }
        catch (InvalidDataException e)
        {
            var source = arguments.Text("network") is null ? $"named in the metadata of '{weights}'" : "chosen by --network";
            throw new UsageException($"{e.Message.TrimEnd('.')} by {name} ({source})");
        }

        var images = Guard(inputPath, input.ToFloat32);
        if (count == 0)
        {
            throw new UsageException($"'{inputPath}' holds no images (shape {input.ShapeText})");
        }

        FileChecks.WarnIfNotFinite(error, $"the weights '{weights}'", network.Parameters.ReadOnlySpan);
        FileChecks.WarnIfNotFinite(error, $"the input '{inputPath}'", images);

        var results = new float[(long)count * network.OutputLength];
        var clock = Stopwatch.StartNew();
        for (var first = 0; first < count; first += network.MaxBatch)
        {
            var batch = Math.Min(network.MaxBatch, count - first);
            network.Forward(images.AsSpan(first * network.InputLength, batch * network.InputLength), results.AsSpan(first * network.OutputLength, batch * network.OutputLength), batch);
        }

        var elapsed = clock.Elapsed.TotalMilliseconds;
        int[] outputShape = OutputShape(entry.Summary) is { Height: 1, Width: 1 } map ? [count, map.Channels] : [count, .. Dims(OutputShape(entry.Summary))];
        try
        {
            Npy.Write(outputPath, results, outputShape);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot write '{outputPath}': {e.Message}");
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"wrote {outputPath}: {Npy.ShapeText(outputShape)} float32, {name}{(network is FlipAveragedNetwork ? " (flip-averaged)" : "")} on {count} image{(count == 1 ? "" : "s")} in {elapsed:F1} ms ({threads} thread{(threads == 1 ? "" : "s")})"));
        return 0;
    }

    /// <summary>
    /// The network a weights file holds: its <c>network</c> metadata, else <paramref name="requested"/>; both given
    /// must agree. Without either, <paramref name="fallback"/> (null: an error).
    /// </summary>
    internal static (string Name, NetworkCatalog.Entry Entry) NetworkOf(string weights, string? requested, string? fallback = null)
    {
        var metadata = Guard(weights, () => SafeTensors.ReadMetadata(weights));
        var declared = metadata.GetValueOrDefault(NetworkKey);
        if (declared is null && requested is null && fallback is null)
        {
            throw new UsageException($"'{weights}' does not say which network it holds (no '{NetworkKey}' metadata); pass --network NAME ({NetworkCatalog.Names})");
        }

        if (declared is not null && !NetworkCatalog.Networks.ContainsKey(declared))
        {
            throw new UsageException($"'{weights}' holds weights of {declared} (its '{NetworkKey}' metadata), a network this build does not know; known networks: {NetworkCatalog.Names}");
        }

        var (name, entry) = Find(requested ?? declared ?? fallback!);
        if (declared is not null && !string.Equals(declared, name, StringComparison.OrdinalIgnoreCase))
        {
            throw new UsageException($"'{weights}' holds {declared} weights, not {name}");
        }

        return (name, entry);
    }

    private static (string Name, NetworkCatalog.Entry Entry) Find(string name)
    {
        var entry = NetworkCatalog.Find(name);
        return (NetworkCatalog.Networks.Keys.First(key => string.Equals(key, name, StringComparison.OrdinalIgnoreCase)), entry);
    }

    /// <summary>The main output's shape: the last layer that is not part of an auxiliary head.</summary>
    private static FeatureShape OutputShape(NetworkSummary summary) => summary.Layers.Last(layer => layer.Depth == 0 && !layer.Auxiliary).OutputShape;

    private static int[] Dims(FeatureShape shape) => [shape.Channels, shape.Height, shape.Width];

    /// <summary>Runs a read or check of <paramref name="path"/>; a refusal becomes one usage line.</summary>
    internal static T Guard<T>(string path, Func<T> action)
    {
        try
        {
            return action();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot read '{path}': {TrainCommand.OneLine(e.Message)}");
        }
        catch (Exception e) when (e is InvalidDataException or SafeTensorsException)
        {
            var message = TrainCommand.OneLine(e.Message);
            throw new UsageException(message.Contains(path, StringComparison.Ordinal) ? message : $"'{path}': {message}");
        }
    }

    /// <summary>Runs a write of <paramref name="path"/>; an I/O failure becomes one "cannot write" line.</summary>
    internal static void WriteOrExplain(string path, Action write)
    {
        try
        {
            write();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot write '{path}': {e.Message}");
        }
    }

    internal static void Guard(string path, Action action) => Guard(path, () =>
    {
        action();
        return 0;
    });
}
