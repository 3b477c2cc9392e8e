using System.Globalization;
using System.Text;
using System.Text.Json;
using InceptionGen.Definitions;
using InceptionGen.Interop;

namespace InceptionGen.Benchmarks.Compare;

/// <summary>
/// <c>--layers</c>: batch-1 inference time per stem layer and Inception module, ours (the worker pool's per-op
/// timing) against ONNX Runtime (its profiler's per-node kernel times), so a missed target points at the layers that lose.
/// </summary>
internal static class LayerComparison
{
    public static string Measure(CompareFiles files, int threads, Dictionary<string, (string Title, Func<WorkerClient> Start)> workers, int runs, TextWriter output)
    {
        var culture = CultureInfo.InvariantCulture;
        var times = new Dictionary<string, Dictionary<string, double>>(StringComparer.Ordinal);
        var failures = new List<string>();
        foreach (var key in new[] { "ours", "ort" })
        {
            try
            {
                using var worker = workers[key].Start();
                worker.Send(string.Create(culture, $"setup {files.Folder} inference 1 {threads}{(key == "ort" ? " profile" : "")}"));
                worker.Run(10);
                var path = Path.Combine(files.Folder, $"layers-{key}.json");
                worker.Send(string.Create(culture, $"layers {runs} {path}"));
                var nodes = JsonSerializer.Deserialize<Dictionary<string, double>>(File.ReadAllBytes(path)) ?? [];
                times[key] = ByLayer(nodes);
            }
            catch (WorkerException exception)
            {
                failures.Add($"{key}: {exception.Message}");
            }
        }

        var text = new StringBuilder();
        text.AppendLine("### Where the batch-1 time goes: ours against ONNX Runtime, per layer");
        text.AppendLine();
        if (!times.TryGetValue("ours", out var ours) || !times.TryGetValue("ort", out var ort))
        {
            text.AppendLine("Not measured: " + string.Join("; ", failures));
            output.Write(text);
            return text.ToString();
        }

        text.AppendLine(culture, $"Mean of {runs} runs after warm-up. Ours: time on the worker pool per op, summed per layer; ONNX Runtime: its profiler's kernel time per node (nodes after its graph optimizations, matched to layers by name), summed per layer. Profiling adds a little to both.");
        text.AppendLine();
        text.AppendLine("| layer | ours | ONNX Runtime | ORT ÷ ours | ORT − ours |");
        text.AppendLine("|---|---|---|---|---|");
        // Layers that run in training only (auxiliary heads, dropout) take no time in either.
        foreach (var layer in ours.Keys.Union(ort.Keys).Where(layer => ours.GetValueOrDefault(layer) + ort.GetValueOrDefault(layer) > 0).OrderBy(LayerOrder))
        {
            var a = ours.GetValueOrDefault(layer);
            var b = ort.GetValueOrDefault(layer);
            text.AppendLine(culture, $"| {layer} | {a:F3} ms | {b:F3} ms | {(a > 0 ? (b / a).ToString("F2", culture) + "×" : "–")} | {b - a:+0.000;-0.000} ms |");
        }

        text.AppendLine(culture, $"| **total** | {ours.Values.Sum():F3} ms | {ort.Values.Sum():F3} ms | {ort.Values.Sum() / ours.Values.Sum():F2}× | {ort.Values.Sum() - ours.Values.Sum():+0.000;-0.000} ms |");
        output.Write(text);
        return text.ToString();
    }

    private static readonly string[] s_layers = [.. GoogLeNet.Summary.Layers.Where(layer => layer.Depth == 0).Select(layer => PyTorchNames.From(layer.Name))];

    private static int LayerOrder(string layer) => Array.IndexOf(s_layers, layer) is var index and >= 0 ? index : s_layers.Length;

    /// <summary>Sums op or node times per top-level layer: the longest layer name that starts the node's name ("conv2_reduce" before "conv2").</summary>
    private static Dictionary<string, double> ByLayer(Dictionary<string, double> nodes)
    {
        var byLength = s_layers.OrderByDescending(layer => layer.Length).ToArray();
        var layers = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var (node, ms) in nodes)
        {
            var layer = byLength.FirstOrDefault(name => node.StartsWith(name, StringComparison.Ordinal)) ?? "other";
            layers[layer] = layers.GetValueOrDefault(layer) + ms;
        }

        return layers;
    }
}
