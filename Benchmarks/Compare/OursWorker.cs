using System.Diagnostics;
using System.Text.Json;
using InceptionGen.Diagnostics;
using InceptionGen.Interop;
using InceptionGen.Threading;
using InceptionGen.Training;

namespace InceptionGen.Benchmarks.Compare;

/// <summary>Our generated network (GoogLeNet or Inception-v3): inference through <c>Forward</c>, training through <c>TrainStep</c> with SGD momentum.</summary>
internal sealed class OursWorker : IComparedWorker
{
    private WorkerPool? _pool;
    private ITrainableNetwork _network = null!;
    private float[] _images = [];
    private int[] _labels = [];
    private float[] _logits = [];
    private SgdMomentum? _optimizer;
    private int _batch;

    public string Setup(CompareFiles files, string mode, int batch, int threads, bool profile)
    {
        _pool = new WorkerPool(threads);
        _batch = batch;
        var network = files.Network;
        _images = files.ReadImages(batch);
        _labels = files.ReadLabels(batch);
        switch (mode)
        {
            case "inference":
                _network = network.Create(batch, CompareFiles.WeightSeed, _pool);
                _logits = new float[batch * network.OutputLength];
                break;
            case "train":
                // Training memory does not depend on maxBatch: a batch runs in passes of a few images.
                _network = network.Create(1, CompareFiles.WeightSeed, _pool);
                _network.DropoutSeed = CompareFiles.DropoutSeed;
                _optimizer = new SgdMomentum(0.01f, momentum: 0.9f, weightDecay: 2e-4f);
                break;
            default:
                throw new ArgumentException($"mode '{mode}' is neither inference nor train");
        }

        SafeTensors.Load(_network.Parameters, files.Weights);
        return $"{Kernels.Isa.Current}, {threads} threads";
    }

    public void Check(string path)
    {
        if (_optimizer is null)
        {
            _network.Forward(_images, _logits, _batch);
            Npy.Write(path, _logits, _batch, _network.OutputLength);
            return;
        }

        // Step 1 of DropoutSeed: the masks the orchestrator wrote for the peers.
        _network.TrainingStep = 0;
        var loss = _network.Backward(_images, _labels, _batch);
        var gradients = _network.Gradients;
        // Parameters only: BN's buffers have no gradient (PyTorch's named_parameters leaves them out too).
        var norms = gradients.Tensors.Where(tensor => !tensor.Role.IsBuffer()).ToDictionary(tensor => PyTorchNames.From(tensor.Name), tensor => Norm(gradients[tensor]));
        AtomicFile.Write(path, stream => JsonSerializer.Serialize(stream, new TrainingCheck(loss.Total, loss.Main, norms)));
    }

    public void RunOnce()
    {
        if (_optimizer is null)
        {
            _network.Forward(_images, _logits, _batch);
        }
        else
        {
            _network.TrainStep(_images, _labels, _batch, _optimizer);
        }
    }

    public IReadOnlyDictionary<string, double> Layers(int runs)
    {
        if (_pool is null)
        {
            throw new InvalidOperationException("layers needs a setup first");
        }

        OperationProfile.Start(_pool, _network);
        long passTicks = 0, optimizerTicks = 0;
        for (var run = 0; run < runs; run++)
        {
            var start = Stopwatch.GetTimestamp();
            if (_optimizer is null)
            {
                _network.Forward(_images, _logits, _batch);
                passTicks += Stopwatch.GetTimestamp() - start;
                continue;
            }

            _network.Backward(_images, _labels, _batch);
            var stepStart = Stopwatch.GetTimestamp();
            _optimizer.Step(_network.Parameters, _network.Gradients.ReadOnlySpan);
            passTicks += stepStart - start;
            optimizerTicks += Stopwatch.GetTimestamp() - stepStart;
        }

        var layers = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var time in OperationProfile.Read(_pool, _network, runs))
        {
            var key = time.Phase switch
            {
                OperationPhase.Forward => "forward:" + PyTorchNames.From(time.Operation.Name),
                OperationPhase.Network => "step:" + time.Operation.Name.Trim('(', ')'),
                _ => "backward:" + PyTorchNames.From(time.Operation.Name),
            };
            layers[key] = layers.GetValueOrDefault(key) + time.Milliseconds;
        }

        double Milliseconds(long ticks) => ticks * 1000.0 / Stopwatch.Frequency / runs;
        if (_optimizer is not null)
        {
            layers["step:optimizer"] = Milliseconds(optimizerTicks);
        }

        // Off the pool: the input's layout change, the losses and clearing the gradients.
        layers["step:unaccounted"] = Milliseconds(passTicks) - layers.Values.Sum() + layers.GetValueOrDefault("step:optimizer");
        return layers;
    }

    public void Dispose() => _pool?.Dispose();

    private static double Norm(ReadOnlySpan<float> values)
    {
        var sum = 0.0;
        foreach (var value in values)
        {
            sum += (double)value * value;
        }

        return Math.Sqrt(sum);
    }
}

/// <summary>What a training check writes: the loss of one step (total and main classifier) and each parameter's gradient norm.</summary>
internal sealed record TrainingCheck(
    [property: System.Text.Json.Serialization.JsonPropertyName("loss")] double Loss,
    [property: System.Text.Json.Serialization.JsonPropertyName("main")] double Main,
    [property: System.Text.Json.Serialization.JsonPropertyName("grad_norms")] Dictionary<string, double> GradientNorms);
