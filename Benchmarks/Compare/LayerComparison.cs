using System.Globalization;
using System.Text;
using System.Text.Json;
using InceptionGen.Interop;

namespace InceptionGen.Benchmarks.Compare;

/// <summary>
/// <c>--layers</c>: time per stem layer and Inception module, forward and backward, ours against one peer per
/// configuration (ONNX Runtime for inference, the faster PyTorch for training), so a missed target points at the
/// layers that lose. Ours: the worker pool's per-op timing; ONNX Runtime: its profiler's kernel time per node;
/// PyTorch: torch.autograd.profiler, backward functions matched to the forward op that made them.
/// </summary>
internal static class LayerComparison
{
    private const string Forward = "forward:";
    private const string Backward = "backward:";
    private const string Step = "step:";

    /// <summary>The per-layer table of one configuration against <paramref name="peerKey"/>, or why it could not be measured.</summary>
    public static string Measure(CompareConfiguration configuration, string peerKey, CompareFiles files, int threads, Dictionary<string, (string Title, Func<WorkerClient> Start)> workers, int runs, double peakGflops, TextWriter output)
    {
        var culture = CultureInfo.InvariantCulture;
        var network = files.Network;
        string[] topLayers = [.. network.Summary.Layers.Where(layer => layer.Depth == 0).Select(layer => PyTorchNames.From(layer.Name)), "loss"];
        var times = new Dictionary<string, Dictionary<string, double>>(StringComparer.Ordinal);
        var failures = new List<string>();
        foreach (var key in new[] { "ours", peerKey })
        {
            try
            {
                using var worker = workers[key].Start();
                worker.Send(string.Create(culture, $"setup {files.Folder} {configuration.Mode} {configuration.Batch} {threads}{(key == "ort" ? " profile" : "")}"));
                worker.WarmUp(configuration.Warmup);
                var path = Path.Combine(files.Folder, $"layers-{configuration.Key}-{key}.json");
                worker.Send(string.Create(culture, $"layers {runs} {path}"));
                times[key] = JsonSerializer.Deserialize<Dictionary<string, double>>(File.ReadAllBytes(path)) ?? [];
            }
            catch (Exception exception) when (exception is WorkerException or IOException or JsonException)
            {
                failures.Add($"{key}: {exception.Message}");
            }
        }

        var peerTitle = workers[peerKey].Title;
        var training = configuration.Mode == "train";
        var text = new StringBuilder();
        text.AppendLine(culture, $"### Where the time goes: {configuration.Title}, ours against {peerTitle}, per layer");
        text.AppendLine();
        if (!times.TryGetValue("ours", out var ours) || !times.TryGetValue(peerKey, out var peer))
        {
            text.AppendLine("Not measured: " + string.Join("; ", failures));
            output.Write(text);
            return text.ToString();
        }

        text.AppendLine(culture, $"Mean of {runs} profiled runs after warm-up. {Method(peerKey)} Profiling adds a little to both.");
        text.AppendLine();
        var oursLayers = ByLayer(ours, topLayers);
        var peerLayers = ByLayer(peer, topLayers);
        // Layers that run in training only (auxiliary heads, dropout) take no time at inference in either.
        var layers = oursLayers.Keys.Union(peerLayers.Keys).Where(layer => oursLayers.GetValueOrDefault(layer).Total + peerLayers.GetValueOrDefault(layer).Total > 0).OrderBy(layer => LayerOrder(layer, topLayers)).ToList();
        string Ms(double value) => value.ToString("F3", culture);
        string Row(string layer, LayerTime a, LayerTime b)
        {
            var (oursTotal, peerTotal) = (a.Total, b.Total);
            var ratio = oursTotal > 0 && peerTotal > 0 ? (peerTotal / oursTotal).ToString("F2", culture) + "×" : "–";
            var difference = (peerTotal - oursTotal).ToString("+0.000;-0.000", culture);
            return training
                ? $"| {layer} | {Ms(a.Forward)} | {Ms(a.Backward)} | {Ms(b.Forward)} | {Ms(b.Backward)} | {ratio} | {difference} |"
                : $"| {layer} | {Ms(oursTotal)} | {Ms(peerTotal)} | {ratio} | {difference} |";
        }

        text.AppendLine(training
            ? $"| layer | ours forward ms | ours backward ms | {peerTitle} forward ms | {peerTitle} backward ms | {peerTitle} ÷ ours | {peerTitle} − ours ms |"
            : $"| layer | ours ms | {peerTitle} ms | {peerTitle} ÷ ours | {peerTitle} − ours ms |");
        text.AppendLine(training ? "|---|---|---|---|---|---|---|" : "|---|---|---|---|---|");
        foreach (var layer in layers)
        {
            text.AppendLine(Row(layer, oursLayers.GetValueOrDefault(layer), peerLayers.GetValueOrDefault(layer)));
        }

        // What is not a layer: the optimizer, bookkeeping, and time no op or node accounts for.
        foreach (var part in ours.Keys.Union(peer.Keys).Where(key => key.StartsWith(Step, StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            text.AppendLine(Row($"*{part[Step.Length..]}*", new LayerTime(ours.GetValueOrDefault(part), 0), new LayerTime(peer.GetValueOrDefault(part), 0)));
        }

        LayerTime Sum(Dictionary<string, double> all) =>
            new(all.Where(pair => !pair.Key.StartsWith(Backward, StringComparison.Ordinal)).Sum(pair => pair.Value), all.Where(pair => pair.Key.StartsWith(Backward, StringComparison.Ordinal)).Sum(pair => pair.Value));
        text.AppendLine(Row("**total**", Sum(ours), Sum(peer)));
        text.AppendLine();
        text.Append(ConvolutionKinds.Table(network, ours, configuration.Batch, training, peakGflops));
        output.Write(text);
        return text.ToString();
    }

    private static string Method(string peerKey) => peerKey switch
    {
        "ort" => "Ours: time on the worker pool per op, summed per layer; ONNX Runtime: its profiler's kernel time per node (nodes after its graph optimizations, matched to layers by name), summed per layer; *unaccounted*: the whole run less the ops' or nodes' time.",
        _ => "Ours: time on the worker pool per op (forward; input and weight gradients), summed per layer; *pack weights*, *pack transposed weights* and *gather weight gradients* are our per-step weight layout work (on the pool), *optimizer* the SGD update, *unaccounted* the rest of the pass (input layout, losses, clearing gradients). PyTorch: torch.autograd.profiler; a layer's forward is its ops, its backward the autograd functions those ops created (matched by sequence number), with ReLU, concatenation and the losses' own backward counted where their ops ran; *accumulate_grad* is adding into each `.grad`, *unaccounted* the rest of the step.",
    };

    private static int LayerOrder(string layer, string[] layers) => Array.IndexOf(layers, layer) is var index and >= 0 ? index : layers.Length;

    /// <summary>
    /// Forward and backward milliseconds per top-level layer: a node belongs to the longest layer name that starts
    /// its name ("conv2_reduce" before "conv2"). Keys are "forward:NODE" or "backward:NODE"; "step:" parts are no layer.
    /// </summary>
    private static Dictionary<string, LayerTime> ByLayer(Dictionary<string, double> nodes, string[] topLayers)
    {
        var byLength = topLayers.OrderByDescending(layer => layer.Length).ToArray();
        var layers = new Dictionary<string, LayerTime>(StringComparer.Ordinal);
        foreach (var (key, ms) in nodes)
        {
            var backward = key.StartsWith(Backward, StringComparison.Ordinal);
            if (!backward && !key.StartsWith(Forward, StringComparison.Ordinal))
            {
                continue;
            }

            var node = key[(backward ? Backward : Forward).Length..];
            // Case aside: our op names and a peer's node names may differ in case (PyTorchNames snake-cases ours).
            var layer = byLength.FirstOrDefault(name => node.StartsWith(name, StringComparison.OrdinalIgnoreCase)) ?? "other";
            var (forwardMs, backwardMs) = layers.GetValueOrDefault(layer);
            layers[layer] = backward ? new LayerTime(forwardMs, backwardMs + ms) : new LayerTime(forwardMs + ms, backwardMs);
        }

        return layers;
    }
}

/// <summary>Forward and backward milliseconds of one layer.</summary>
internal readonly record struct LayerTime(double Forward, double Backward)
{
    public double Total => Forward + Backward;
}
