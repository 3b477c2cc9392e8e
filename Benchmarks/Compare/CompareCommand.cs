using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using InceptionGen.CommandLine;
using InceptionGen.Definitions;
using InceptionGen.Diagnostics;
using InceptionGen.Interop;

namespace InceptionGen.Benchmarks.Compare;

/// <summary>One measured configuration: inference or a training step at a batch size.</summary>
internal sealed record CompareConfiguration(string Key, string Title, string Mode, int Batch, int Warmup, int RunsPerRound, int ProfiledRuns);

/// <summary>
/// <c>compare</c>: the same network (GoogLeNet, or Inception-v3 with <c>--network inception-v3</c>) with the same weights,
/// run by us, ONNX Runtime and PyTorch (as installed and with jemalloc), each in its own long-lived worker process; checks that every output agrees with ours, then times
/// them in alternating rounds and writes the tables (stdout and a markdown file).
/// </summary>
internal static class CompareCommand
{
    public const string Usage = "compare [--network googlenet|torchvision-googlenet|inception-v3] [--quick] [--rounds N] [--threads N] [--layers] [--configs inference-1,inference-32,train-32] [--peers ours,ort,torch,torch-tuned] [--output DIR]";

    private const string Jemalloc = "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2";

    /// <summary>jemalloc 5.3: keep freed pages mapped and dirty (no decay, no purging thread), so libtorch's big buffers are reused instead of faulted in again.</summary>
    private const string JemallocConfiguration = "retain:true,dirty_decay_ms:-1,muzzy_decay_ms:-1,background_thread:false";

    private const double InferenceTolerance = 1e-4;
    private const double LossTolerance = 1e-4;
    private const double GradientTolerance = 1e-3;

    private static readonly CompareConfiguration[] s_configurations =
    [
        new("inference-1", "Inference, batch 1", "inference", 1, Warmup: 10, RunsPerRound: 20, ProfiledRuns: 50),
        new("inference-32", "Inference, batch 32", "inference", 32, Warmup: 2, RunsPerRound: 3, ProfiledRuns: 5),
        new("train-32", "Training step, batch 32 (auxiliary heads, SGD momentum 0.9)", "train", 32, Warmup: 1, RunsPerRound: 1, ProfiledRuns: 3),
    ];

    private static readonly string[] s_peerKeys = ["ours", "ort", "torch", "torch-tuned"];

    public static int Run(string[] args, TextWriter output)
    {
        var arguments = new Arguments("compare", args, ["network", "rounds", "threads", "configs", "peers", "output"], ["quick", "layers"]);
        if (arguments.Positional.Count > 0)
        {
            throw new UsageException($"compare takes no positional arguments; usage: {Usage}");
        }

        var network = ComparedNetwork.Find(arguments.Text("network") ?? "googlenet");
        var quick = arguments.Flag("quick");
        var rounds = arguments.Int("rounds", quick ? 2 : 7, 1, 1000);
        var threads = arguments.Int("threads", Environment.ProcessorCount, 1, 1024);
        var configurations = Select(arguments.Text("configs"), s_configurations.Select(configuration => configuration.Key).ToArray(), "configs")
            .Select(key => s_configurations.Single(configuration => configuration.Key == key)).ToList();
        var peers = Select(arguments.Text("peers"), s_peerKeys, "peers");
        if (!peers.Contains("ours"))
        {
            throw new UsageException("--peers must include ours: every figure is checked and compared against ours");
        }

        var folder = Path.GetFullPath(arguments.Text("output") ?? Path.Combine("artifacts", "compare"));
        Directory.CreateDirectory(folder);
        var files = new CompareFiles(folder);

        output.WriteLine($"Measuring the FMA peak on {threads} thread(s)...");
        var peak = FmaPeak.Measure(threads, seconds: 1.0);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"FMA peak: {peak:F1} GFLOP/s"));
        output.WriteLine($"Exporting {network.Title} (seed {CompareFiles.WeightSeed}) to {folder}...");
        PrepareFiles(files, network);

        var results = new List<ConfigurationResult>();
        foreach (var configuration in configurations)
        {
            output.WriteLine($"== {configuration.Title}");
            var multiplyAdds = configuration.Mode == "train" ? network.Summary.TrainingMultiplyAdds : network.Summary.MultiplyAdds;
            var result = new ConfigurationResult(configuration, multiplyAdds, peak);
            Measure(configuration, peers, files, threads, rounds, result, output);
            results.Add(result);
            output.WriteLine(result.ToMarkdown());
        }

        var layers = arguments.Flag("layers") ? string.Join(Environment.NewLine, results.Select(result => Layers(result, peers, files, threads, quick, peak, output)).OfType<string>()) : null;
        var markdown = Markdown(network, results, layers, peak, threads, quick, args);
        var path = Path.Combine(folder, "compare.md");
        AtomicFile.Write(path, stream => stream.Write(Encoding.UTF8.GetBytes(markdown)));
        output.WriteLine($"Wrote {path}");
        return 0;
    }

    /// <summary>
    /// The per-layer table of one configuration against its peer: ONNX Runtime for inference, for training the
    /// PyTorch that was faster in this run (the tuned one unless only the other was measured).
    /// </summary>
    private static string? Layers(ConfigurationResult result, List<string> peers, CompareFiles files, int threads, bool quick, double peak, TextWriter output)
    {
        var configuration = result.Configuration;
        var candidates = configuration.Mode == "train" ? new[] { "torch-tuned", "torch" } : ["ort"];
        var peer = result.Peers.Where(peer => candidates.Contains(peer.Key) && peer.Failure is null && peer.Rounds.Count > 0)
            .OrderBy(peer => result.MedianMilliseconds(peer) ?? double.MaxValue).Select(peer => peer.Key).FirstOrDefault()
            ?? candidates.FirstOrDefault(peers.Contains);
        if (peer is null)
        {
            return null;
        }

        output.WriteLine($"== Per layer: {configuration.Title}, ours against {peer}");
        var runs = quick ? Math.Max(1, configuration.ProfiledRuns / 5) : configuration.ProfiledRuns;
        return LayerComparison.Measure(configuration, peer, files, threads, Workers(files, threads), runs, peak, output);
    }

    private static List<string> Select(string? text, string[] known, string option)
    {
        if (text is null)
        {
            return [.. known];
        }

        var chosen = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        foreach (var name in chosen.Where(name => !known.Contains(name)))
        {
            throw new UsageException($"--{option} does not know '{name}'; it takes a comma-separated list of {string.Join(", ", known)}");
        }

        return chosen.Count > 0 ? chosen : throw new UsageException($"--{option} needs at least one of {string.Join(", ", known)}");
    }

    /// <summary>Which network, weights (safetensors with the graph), ONNX model, input images, labels and our step-1 dropout masks.</summary>
    private static void PrepareFiles(CompareFiles files, ComparedNetwork compared)
    {
        AtomicFile.Write(files.NetworkFile, stream => stream.Write(Encoding.UTF8.GetBytes(compared.Key + "\n")));
        var network = compared.Create(1, CompareFiles.WeightSeed, null);
        SafeTensors.Save(network, files.Weights);
        Onnx.OnnxExporter.Export(network, files.Onnx);
        var input = compared.Input;
        Npy.Write(files.Input, BenchmarkData.Images(CompareFiles.MaxBatch * compared.InputLength), CompareFiles.MaxBatch, input.Channels, input.Height, input.Width);
        Npy.Write(files.Labels, Enumerable.Range(0, CompareFiles.MaxBatch).Select(image => (long)(image * 37 % compared.OutputLength)).ToArray(), CompareFiles.MaxBatch);

        // Layer i is the i-th dropout in the graph (GoogLeNet: aux1, aux2, main), as in our generated code. Each reads a
        // vector (or a C x 1 x 1 map) of the same width here, so one array holds them all.
        var dropouts = compared.Graph.Nodes.OfType<DropoutNode>().ToList();
        float[] rates = [.. dropouts.Select(node => node.P)];
        var widths = dropouts.Select(node => DropoutWidth(compared, node)).Distinct().ToList();
        if (widths.Count != 1)
        {
            throw new InvalidOperationException($"{compared.Title}'s dropout layers read {string.Join(", ", widths)} features; masks.npy needs one width");
        }

        var width = widths[0];
        var masks = new float[rates.Length * CompareFiles.MaxBatch * width];
        for (var layer = 0; layer < rates.Length; layer++)
        {
            for (var image = 0; image < CompareFiles.MaxBatch; image++)
            {
                Training.Dropout.Mask(masks.AsSpan((layer * CompareFiles.MaxBatch + image) * width, width), rates[layer], CompareFiles.DropoutSeed, step: 1, image, layer);
            }
        }

        Npy.Write(files.Masks, masks, rates.Length, CompareFiles.MaxBatch, width);
    }

    /// <summary>The features a dropout layer reads: its summary row's output (a dropout keeps its input's shape).</summary>
    private static int DropoutWidth(ComparedNetwork network, DropoutNode node)
    {
        var row = network.Summary.Layers.FirstOrDefault(layer => PyTorchNames.From(layer.Name) == node.Name)
            ?? throw new InvalidOperationException($"{network.Title}'s summary has no row for dropout node '{node.Name}'");
        return row.OutputShape.Length;
    }

    /// <summary>How to start each implementation's worker process.</summary>
    internal static Dictionary<string, (string Title, Func<WorkerClient> Start)> Workers(CompareFiles files, int threads)
    {
        var self = Environment.ProcessPath ?? throw new InvalidOperationException("cannot tell this program's path");
        string[] prefix = Path.GetFileNameWithoutExtension(self) == "dotnet" ? [typeof(CompareCommand).Assembly.Location] : [];
        var script = Path.Combine(AppContext.BaseDirectory, "Compare", "torch_worker.py");
        var empty = new Dictionary<string, string>();
        var torchEnvironment = new Dictionary<string, string> { ["OMP_NUM_THREADS"] = threads.ToString(CultureInfo.InvariantCulture) };
        var tunedEnvironment = new Dictionary<string, string>(torchEnvironment) { ["LD_PRELOAD"] = Jemalloc, ["MALLOC_CONF"] = JemallocConfiguration };
        WorkerClient Torch(Dictionary<string, string> environment)
        {
            var reference = FindReferenceFolder() ?? throw new WorkerException("tools/reference/inceptiongen_torch.py (the PyTorch reference model) is not in this checkout");
            if (environment.ContainsKey("LD_PRELOAD") && !File.Exists(Jemalloc))
            {
                throw new WorkerException($"{Jemalloc} is missing (apt-get install libjemalloc2)");
            }

            return WorkerClient.Start("/usr/bin/python3", [script, "--reference", reference], environment);
        }

        return new(StringComparer.Ordinal)
        {
            ["ours"] = ("InceptionGen (ours)", () => WorkerClient.Start(self, [.. prefix, "compare-worker", "ours"], empty)),
            ["ort"] = ("ONNX Runtime", () => WorkerClient.Start(self, [.. prefix, "compare-worker", "ort"], empty)),
            ["torch"] = ("PyTorch, as installed", () => Torch(torchEnvironment)),
            ["torch-tuned"] = ("PyTorch + jemalloc (tuned)", () => Torch(tunedEnvironment)),
        };
    }

    private static string? FindReferenceFolder()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
            {
                var folder = Path.Combine(directory.FullName, "tools", "reference");
                if (File.Exists(Path.Combine(folder, "inceptiongen_torch.py")))
                {
                    return folder;
                }
            }
        }

        return null;
    }

    private static void Measure(CompareConfiguration configuration, List<string> peerKeys, CompareFiles files, int threads, int rounds, ConfigurationResult result, TextWriter output)
    {
        var starters = Workers(files, threads);
        var workers = new Dictionary<PeerResult, WorkerClient>();
        try
        {
            // Start and set up every worker; ORT is inference-only.
            foreach (var key in peerKeys.Where(key => key != "ort" || configuration.Mode == "inference"))
            {
                var peer = new PeerResult(key, starters[key].Title);
                result.Peers.Add(peer);
                try
                {
                    var worker = starters[key].Start();
                    workers[peer] = worker;
                    var reply = worker.Send(string.Create(CultureInfo.InvariantCulture, $"setup {files.Folder} {configuration.Mode} {configuration.Batch} {threads}"));
                    peer.Version = reply.GetValueOrDefault("version", "").Replace('_', ' ');
                }
                catch (WorkerException exception)
                {
                    peer.Failure = "failed: " + exception.Message;
                }
            }

            Check(configuration, files, result, workers, output);
            var active = result.Peers.Where(peer => peer.Failure is null && workers.ContainsKey(peer)).ToList();
            foreach (var peer in active.ToList())
            {
                Try(peer, () => workers[peer].WarmUp(configuration.Warmup));
            }

            for (var round = 0; round < rounds; round++)
            {
                // Rotate the order every round, so no implementation always runs right after the same other one.
                var order = active.Skip(round % Math.Max(active.Count, 1)).Concat(active.Take(round % Math.Max(active.Count, 1))).ToList();
                foreach (var peer in order.Where(peer => peer.Failure is null))
                {
                    Try(peer, () =>
                    {
                        var (times, allocated) = workers[peer].Run(configuration.RunsPerRound);
                        peer.Rounds.Add(times);
                        if (allocated >= 0 && peer.Key is "ours" or "ort")
                        {
                            peer.AllocatedPerRun = Math.Max(peer.AllocatedPerRun, allocated / configuration.RunsPerRound);
                        }
                    });
                }

                output.WriteLine($"  round {round + 1}/{rounds}: " + string.Join(", ", active.Where(peer => peer.Failure is null && peer.Rounds.Count > round)
                    .Select(peer => $"{peer.Key} {ConfigurationResult.Milliseconds(Statistics.Median(peer.Rounds[round]))}")));
            }

            foreach (var peer in active.Where(peer => peer.Failure is null))
            {
                Try(peer, () => peer.PeakKilobytes = long.Parse(workers[peer].Send("peak")["kb"], CultureInfo.InvariantCulture));
            }
        }
        finally
        {
            foreach (var worker in workers.Values)
            {
                worker.Dispose();
            }
        }

        // A peer that failed in some round has no comparable rounds: keep only complete ones.
        foreach (var peer in result.Peers.Where(peer => peer.Failure is not null))
        {
            peer.Rounds.Clear();
        }
    }

    private static void Try(PeerResult peer, Action action)
    {
        try
        {
            action();
        }
        catch (WorkerException exception)
        {
            peer.Failure ??= "failed: " + exception.Message;
        }
    }

    /// <summary>Every worker's output for the same input against ours; a disagreeing peer gets no speed figure.</summary>
    private static void Check(CompareConfiguration configuration, CompareFiles files, ConfigurationResult result, Dictionary<PeerResult, WorkerClient> workers, TextWriter output)
    {
        var ours = result.Peers.Single(peer => peer.Key == "ours");
        var extension = configuration.Mode == "train" ? "json" : "npy";
        string PathOf(PeerResult peer) => Path.Combine(files.Folder, $"check-{configuration.Key}-{peer.Key}.{extension}");
        foreach (var peer in result.Peers.Where(peer => peer.Failure is null))
        {
            Try(peer, () => workers[peer].Send("check " + PathOf(peer)));
        }

        if (ours.Failure is not null)
        {
            foreach (var peer in result.Peers.Where(peer => peer.Failure is null))
            {
                peer.Failure = "not checked: ours failed";
            }

            return;
        }

        ours.Agreement = "reference";
        foreach (var peer in result.Peers.Where(peer => peer.Failure is null && peer != ours))
        {
            try
            {
                var (agrees, text) = configuration.Mode == "train" ? CompareTraining(PathOf(ours), PathOf(peer)) : CompareLogits(PathOf(ours), PathOf(peer), files.Network.OutputLength);
                peer.Agreement = text;
                if (!agrees)
                {
                    peer.Failure = "DISAGREES with ours, so no speed figure: " + text;
                }
            }
            catch (Exception exception) when (exception is IOException or InvalidDataException or JsonException or KeyNotFoundException)
            {
                peer.Failure = "check unreadable: " + exception.Message;
            }

            output.WriteLine($"  check {peer.Key}: {peer.Failure ?? peer.Agreement}");
        }
    }

    private static (bool Agrees, string Text) CompareLogits(string oursPath, string peerPath, int outputLength)
    {
        var ours = Npy.Read(oursPath).ToFloat32();
        var peer = Npy.Read(peerPath);
        peer.RequireShape(ours.Length / outputLength, outputLength);
        var theirs = peer.ToFloat32();
        double largest = 0, difference = 0;
        for (var i = 0; i < ours.Length; i++)
        {
            largest = Math.Max(largest, Math.Abs(ours[i]));
            difference = Math.Max(difference, Math.Abs(ours[i] - (double)theirs[i]));
        }

        var relative = difference / largest;
        return (relative <= InferenceTolerance, string.Create(CultureInfo.InvariantCulture, $"max |Δ logits| = {relative:0.0e+0} × max |ours|"));
    }

    private static (bool Agrees, string Text) CompareTraining(string oursPath, string peerPath)
    {
        var ours = JsonSerializer.Deserialize<TrainingCheck>(File.ReadAllBytes(oursPath)) ?? throw new InvalidDataException($"'{oursPath}' is empty");
        var theirs = JsonSerializer.Deserialize<TrainingCheck>(File.ReadAllBytes(peerPath)) ?? throw new InvalidDataException($"'{peerPath}' is empty");
        var lossDifference = Math.Max(Math.Abs(ours.Loss - theirs.Loss) / Math.Abs(ours.Loss), Math.Abs(ours.Main - theirs.Main) / Math.Abs(ours.Main));
        var missing = ours.GradientNorms.Keys.Except(theirs.GradientNorms.Keys).ToList();
        if (missing.Count > 0)
        {
            return (false, $"no gradient for {string.Join(", ", missing.Take(3))}{(missing.Count > 3 ? $" and {missing.Count - 3} more" : "")}");
        }

        // Relative to the tensor's own norm, with a floor so a near-zero gradient (a dead ReLU's bias) does not dominate.
        var floor = 1e-6 * ours.GradientNorms.Values.Max();
        var (worstName, worst) = ours.GradientNorms
            .Select(pair => (pair.Key, Math.Abs(pair.Value - theirs.GradientNorms[pair.Key]) / Math.Max(pair.Value, floor)))
            .MaxBy(pair => pair.Item2);
        var agrees = lossDifference <= LossTolerance && worst <= GradientTolerance;
        return (agrees, string.Create(CultureInfo.InvariantCulture,
            $"loss {theirs.Loss:F6} vs {ours.Loss:F6} (rel. Δ {lossDifference:0.0e+0}); {ours.GradientNorms.Count} gradient norms, worst rel. Δ {worst:0.0e+0} ({worstName})"));
    }

    private static string Markdown(ComparedNetwork network, List<ConfigurationResult> results, string? layers, double peak, int threads, bool quick, string[] args)
    {
        var culture = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.AppendLine(culture, $"## {network.Title} compared with ONNX Runtime and PyTorch{(quick ? " (provisional: --quick run)" : "")}");
        text.AppendLine();
        text.AppendLine(culture, $"* Machine: {CpuModel()}, {Environment.ProcessorCount} cores, {threads} thread(s) for every implementation; {RuntimeInformation.FrameworkDescription}, {Kernels.Isa.Current}.");
        text.AppendLine(culture, $"* FMA peak measured in this run: {peak:F1} GFLOP/s (FP32, all threads). FLOPs are 2 per multiply-add of the convolutions and Linear layers.");
        text.AppendLine(culture, $"* Command: `dotnet run --project Benchmarks -c Release -- compare{(args.Length > 0 ? " " + string.Join(' ', args) : "")}` ({DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC).");
        text.AppendLine();
        foreach (var result in results)
        {
            text.AppendLine(result.ToMarkdown());
        }

        text.Append(Targets(network, results));
        if (layers is not null)
        {
            text.AppendLine();
            text.Append(layers);
        }

        return text.ToString();
    }

    /// <summary>
    /// The targets, each met or missed by this run's figures: for every network, faster than ONNX Runtime at batch 1 and
    /// than the faster PyTorch in training (issues 7 and 13); for GoogLeNet, issue 7's absolute aims too.
    /// </summary>
    private static string Targets(ComparedNetwork network, List<ConfigurationResult> results)
    {
        var culture = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.AppendLine("### Targets");
        text.AppendLine();
        double? Median(string configuration, string peer)
        {
            var result = results.FirstOrDefault(candidate => candidate.Configuration.Key == configuration);
            var found = result?.Peers.FirstOrDefault(candidate => candidate.Key == peer);
            return found is null ? null : result!.MedianMilliseconds(found);
        }

        string Verdict(bool met) => met ? "met" : "**missed**";
        var googLeNet = network.Key == "googlenet";
        string Aim(string text, bool met) => googLeNet ? $"; aim {text}: {Verdict(met)}" : "";
        if (Median("inference-1", "ours") is { } batch1)
        {
            var ort = Median("inference-1", "ort");
            text.AppendLine(culture, $"* Batch-1 inference faster than ONNX Runtime: {(ort is { } o ? $"{Verdict(batch1 < o)} ({ConfigurationResult.Milliseconds(batch1)} vs {ConfigurationResult.Milliseconds(o)})" : "ONNX Runtime not measured")}{Aim("≤ 8 ms", batch1 <= 8)}.");
        }

        if (Median("inference-32", "ours") is { } batch32 && googLeNet)
        {
            text.AppendLine(culture, $"* Batch-32 inference ≥ 130 images/s: {Verdict(32000 / batch32 >= 130)} ({32000 / batch32:F1} images/s).");
        }

        if (Median("train-32", "ours") is { } step)
        {
            var torch = new[] { Median("train-32", "torch"), Median("train-32", "torch-tuned") }.Where(time => time is not null).Select(time => time!.Value).ToList();
            var best = torch.Count > 0 ? torch.Min() : (double?)null;
            text.AppendLine(culture, $"* Training step faster than the faster PyTorch: {(best is { } b ? $"{Verdict(step < b)} ({ConfigurationResult.Milliseconds(step)} vs {ConfigurationResult.Milliseconds(b)}, {b / step:F2}×)" : "PyTorch not measured")}{Aim("≤ 1.0 s", step <= 1000)}.");
        }

        return text.ToString();
    }

    private static string CpuModel()
    {
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(line => line.StartsWith("model name", StringComparison.Ordinal));
            return line?.Split(':', 2)[1].Trim() ?? RuntimeInformation.ProcessArchitecture.ToString();
        }
        catch (IOException)
        {
            return RuntimeInformation.ProcessArchitecture.ToString();
        }
    }
}
