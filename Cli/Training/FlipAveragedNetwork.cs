using System.Numerics.Tensors;

namespace InceptionGen.Cli;

/// <summary>
/// Test-time augmentation by horizontal flip: <see cref="Forward"/> runs the network on the images and on their mirror
/// images and returns the mean of the two outputs (logits). Everything else is the wrapped network's. <c>train
/// --tta flip</c> evaluates with it and records <see cref="MetadataValue"/> under <see cref="MetadataKey"/> in the
/// saved model, so that <c>evaluate</c> and <c>run</c> do the same with those weights.
/// </summary>
internal sealed class FlipAveragedNetwork : INetwork
{
    /// <summary>The safetensors metadata key saying how a model's outputs are to be computed at test time.</summary>
    public const string MetadataKey = "test_time_augmentation";

    /// <summary>Its value for a flip average.</summary>
    public const string MetadataValue = "flip";

    private readonly INetwork _network;
    private readonly float[] _flipped;
    private readonly float[] _flippedOutput;
    private readonly int _channels, _height, _width;

    public FlipAveragedNetwork(INetwork network)
    {
        _network = network;
        var shape = network.Summary.InputShape;
        (_channels, _height, _width) = (shape.Channels, shape.Height, shape.Width);
        _flipped = new float[network.MaxBatch * network.InputLength];
        _flippedOutput = new float[network.MaxBatch * network.OutputLength];
    }

    /// <summary>The network, wrapped if <paramref name="metadata"/> (a weights file's) asks for the flip average.</summary>
    public static INetwork For(INetwork network, IReadOnlyDictionary<string, string> metadata)
        => metadata.GetValueOrDefault(MetadataKey) == MetadataValue ? new FlipAveragedNetwork(network) : network;

    public INetwork Network => _network;

    public NetworkSummary Summary => _network.Summary;

    public NetworkGraph Graph => _network.Graph;

    public NetworkSchedule Schedule => _network.Schedule;

    public int InputLength => _network.InputLength;

    public int OutputLength => _network.OutputLength;

    public int MaxBatch => _network.MaxBatch;

    public ParameterStore Parameters => _network.Parameters;

    public IReadOnlyList<OperationInfo> Operations => _network.Operations;

    public void RunOperation(int operation) => _network.RunOperation(operation);

    /// <summary>Mirrors each row of each channel of <paramref name="batch"/> NCHW images.</summary>
    public static void Flip(ReadOnlySpan<float> images, Span<float> flipped, int batch, int channels, int height, int width)
    {
        for (var row = 0; row < batch * channels * height; row++)
        {
            var source = images.Slice(row * width, width);
            var target = flipped.Slice(row * width, width);
            for (var x = 0; x < width; x++)
            {
                target[x] = source[width - 1 - x];
            }
        }
    }

    public void Forward(ReadOnlySpan<float> input, Span<float> output, int batch)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(batch, MaxBatch);
        var inputs = batch * InputLength;
        var outputs = batch * OutputLength;
        _network.Forward(input, output, batch);
        Flip(input[..inputs], _flipped, batch, _channels, _height, _width);
        _network.Forward(_flipped.AsSpan(0, inputs), _flippedOutput.AsSpan(0, outputs), batch);
        TensorPrimitives.Add(output[..outputs], _flippedOutput.AsSpan(0, outputs), output[..outputs]);
        TensorPrimitives.Multiply(output[..outputs], 0.5f, output[..outputs]);
    }
}
