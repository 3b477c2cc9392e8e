using System.Text.Json;
using InceptionGen.Interop;
using Microsoft.ML.OnnxRuntime;

namespace InceptionGen.Benchmarks.Compare;

/// <summary>
/// ONNX Runtime's C# API on the exported ONNX model: all graph optimizations, intra-op threads = the thread count,
/// one inter-op thread, and input and output bound once to pinned arrays (IOBinding), so a run allocates no tensors.
/// </summary>
internal sealed class OrtWorker : IComparedWorker
{
    private InferenceSession? _session;
    private SessionOptions? _options;
    private RunOptions? _runOptions;
    private OrtIoBinding? _binding;
    private OrtValue? _inputValue;
    private OrtValue? _outputValue;
    private float[] _logits = [];
    private int _batch;
    private int _outputLength;

    public string Setup(CompareFiles files, string mode, int batch, int threads, bool profile)
    {
        if (mode != "inference")
        {
            throw new ArgumentException("ONNX Runtime is measured for inference only");
        }

        _batch = batch;
        _options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
        };
        if (profile)
        {
            // The prefix first: EnableProfiling hands ORT the prefix set at that moment (else a profile lands in the working folder).
            _options.ProfileOutputPathPrefix = Path.Combine(files.Folder, "ort-profile");
            _options.EnableProfiling = true;
        }

        _session = new InferenceSession(files.Onnx, _options);

        // Pinned for the session's lifetime: ORT reads and writes these arrays in place on every run.
        var network = files.Network;
        _outputLength = network.OutputLength;
        var images = GC.AllocateUninitializedArray<float>(batch * network.InputLength, pinned: true);
        files.ReadImages(batch).CopyTo(images, 0);
        _logits = GC.AllocateArray<float>(batch * network.OutputLength, pinned: true);
        _inputValue = OrtValue.CreateTensorValueFromMemory(images, [batch, network.Input.Channels, network.Input.Height, network.Input.Width]);
        _outputValue = OrtValue.CreateTensorValueFromMemory(_logits, [batch, network.OutputLength]);
        _runOptions = new RunOptions();
        _binding = _session.CreateIoBinding();
        _binding.BindInput(Onnx.OnnxExporter.InputName, _inputValue);
        _binding.BindOutput(Onnx.OnnxExporter.OutputName, _outputValue);
        return OrtEnv.Instance().GetVersionString() + $", {threads} intra-op threads";
    }

    public void Check(string path)
    {
        RunOnce();
        Npy.Write(path, _logits, _batch, _outputLength);
    }

    public void RunOnce() => _session!.RunWithBinding(_runOptions!, _binding!);

    public IReadOnlyDictionary<string, double> Layers(int runs)
    {
        var session = _session ?? throw new InvalidOperationException("layers needs a setup");
        for (var run = 0; run < runs; run++)
        {
            RunOnce();
        }

        var (nodes, runMilliseconds) = OrtProfile.Read(session.EndProfiling());
        var layers = nodes.ToDictionary(pair => "forward:" + pair.Key, pair => pair.Value, StringComparer.Ordinal);
        layers["step:unaccounted"] = runMilliseconds - nodes.Values.Sum();
        return layers;
    }

    public void Dispose()
    {
        _binding?.Dispose();
        _inputValue?.Dispose();
        _outputValue?.Dispose();
        _runOptions?.Dispose();
        _session?.Dispose();
        _options?.Dispose();
    }
}

/// <summary>Reads ONNX Runtime's profile (Chrome trace JSON): per-node kernel times, averaged over the profiled runs.</summary>
internal static class OrtProfile
{
    /// <summary>
    /// Milliseconds per run, by node name (without ORT's "_kernel_time" suffix), and of the whole run, averaged
    /// over every profiled <c>model_run</c>.
    /// </summary>
    public static (Dictionary<string, double> Nodes, double RunMilliseconds) Read(string path)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(path));
        var nodes = new Dictionary<string, double>(StringComparer.Ordinal);
        var runs = 0;
        var runMilliseconds = 0.0;
        foreach (var trace in document.RootElement.EnumerateArray())
        {
            var category = trace.TryGetProperty("cat", out var cat) ? cat.GetString() : null;
            var name = trace.GetProperty("name").GetString() ?? "";
            if (category == "Session" && name == "model_run")
            {
                runs++;
                runMilliseconds += trace.GetProperty("dur").GetDouble() / 1000.0;
            }
            else if (category == "Node" && name.EndsWith("_kernel_time", StringComparison.Ordinal))
            {
                var node = name[..^"_kernel_time".Length];
                nodes[node] = nodes.GetValueOrDefault(node) + trace.GetProperty("dur").GetDouble() / 1000.0;
            }
        }

        if (runs == 0)
        {
            throw new InvalidDataException($"'{path}' holds no model_run events");
        }

        return (nodes.ToDictionary(pair => pair.Key, pair => pair.Value / runs, StringComparer.Ordinal), runMilliseconds / runs);
    }
}
