using InceptionGen.Tests.Reference;

namespace InceptionGen.Tests.Network;

/// <summary>
/// BatchNorm in both forms: 3x12x12 → torchvision's BasicConv2d (conv 3x3/2 without bias → BN eps 0.001 → ReLU; folded
/// for inference) → Inception with 8-, 12-, 8- and 8-wide slices (gaps) → a BN + ReLU of its own on that gapped map (a
/// scale-and-shift op, nothing to fold into) → conv 1x1 without ReLU → BN momentum 0.3 (folded into that conv) → max pool
/// 2x2/2 → global average pool → Linear 5.
/// </summary>
[Network(Channels = 3, Height = 12, Width = 12)]
public sealed partial class SmallBatchNormNet
{
    [Conv(20, Kernel = 3, Stride = 2, Padding = 1, BatchNorm = true, BatchNormEpsilon = 0.001)] public partial Conv Conv1 { get; }
    [Inception(8, 6, 12, 4, 8, 8)]                                                               public partial Inception Mixed { get; }
    [BatchNorm(Relu = true)]                                                                     public partial BatchNormLayer Norm { get; }
    [Conv(24, Kernel = 1, Relu = false)]                                                         public partial Conv Conv2 { get; }
    [BatchNorm(Momentum = 0.3)]                                                                  public partial BatchNormLayer Norm2 { get; }
    [MaxPool(2, Stride = 2)]                                                                     public partial Pool Pool1 { get; }
    [GlobalAveragePool]                                                                          public partial Pool Pool2 { get; }
    [Linear(5)]                                                                                  public partial Linear Classifier { get; }
}

/// <summary>A network ending on a map (no training pass): BasicConv2d without ReLU, then a BN of its own on the BN's output.</summary>
[Network(Channels = 2, Height = 7, Width = 7)]
public sealed partial class MapBatchNormNet
{
    [Conv(18, Kernel = 3, Padding = 1, BatchNorm = true, Relu = false)] public partial Conv Conv1 { get; }
    [BatchNorm(Epsilon = 0.01, Relu = true)]                            public partial BatchNormLayer Norm { get; }
}

/// <summary>Plain NCHW references of the BatchNorm networks in eval mode: convolution, then BN with the running statistics.</summary>
internal static class BatchNormNetReference
{
    /// <summary>Eval-mode BN on a plain map, as PyTorch's CPU kernel: invstd = 1/√(running_var + eps) in float.</summary>
    public static Map BatchNorm(Map x, BatchNormLayer layer, bool relu)
    {
        var (channels, plane) = (x.Shape.Channels, x.Shape.Height * x.Shape.Width);
        var output = new float[x.Values.Length];
        for (var c = 0; c < channels; c++)
        {
            var inverseStd = 1f / MathF.Sqrt(layer.RunningVariance[c] + (float)layer.Epsilon);
            for (var i = 0; i < plane; i++)
            {
                var value = (x.Values[c * plane + i] - layer.RunningMean[c]) * inverseStd * layer.Weight[c] + layer.Bias[c];
                output[c * plane + i] = relu ? MathF.Max(value, 0f) : value;
            }
        }

        return new Map(output, x.Shape);
    }

    /// <summary>A convolution without bias or ReLU (the conv of a BasicConv2d).</summary>
    public static Map Conv(Map x, Conv layer, int outChannels, int kernel, int stride, int padding)
    {
        var output = NchwReference.Conv2d(x.Values, x.Shape, layer.Weights.ToArray(), layer.Bias.IsEmpty ? null : layer.Bias.ToArray(), outChannels, kernel, stride, padding, relu: false);
        return new Map(output, outChannels, NchwReference.OutputSize(x.Shape.Height, kernel, stride, padding), NchwReference.OutputSize(x.Shape.Width, kernel, stride, padding));
    }

    public static float[] Forward(SmallBatchNormNet net, float[] image)
    {
        var x = new Map(image, 3, 12, 12);
        x = BatchNorm(Conv(x, net.Conv1, 20, kernel: 3, stride: 2, padding: 1), net.Conv1.BatchNorm!, relu: true);
        x = ReferenceOps.Inception(x, net.Mixed, 8, 6, 12, 4, 8, 8);
        x = BatchNorm(x, net.Norm, relu: true);
        x = BatchNorm(Conv(x, net.Conv2, 24, kernel: 1, stride: 1, padding: 0), net.Norm2, relu: false);
        x = ReferenceOps.MaxPool(x, kernel: 2, stride: 2, padding: 0, ceilMode: false);
        x = ReferenceOps.GlobalAveragePool(x);
        return ReferenceOps.Linear(x, net.Classifier, 5, bias: true, relu: false).Values;
    }

    public static float[] Forward(MapBatchNormNet net, float[] image)
    {
        var x = new Map(image, 2, 7, 7);
        x = BatchNorm(Conv(x, net.Conv1, 18, kernel: 3, stride: 1, padding: 1), net.Conv1.BatchNorm!, relu: false);
        return BatchNorm(x, net.Norm, relu: true).Values;
    }

    /// <summary>Random γ, β, running statistics and biases (the defaults 1, 0, 0, 1 would hide a swapped or missing term).</summary>
    public static void Randomize(ParameterStore parameters, int seed)
    {
        var random = new Random(seed);
        float Uniform(float low, float high) => low + (high - low) * random.NextSingle();
        foreach (var tensor in parameters.Tensors)
        {
            var (low, high) = tensor.Role switch
            {
                ParameterRole.Scale => (0.5f, 1.5f),
                ParameterRole.Bias => (-0.3f, 0.3f),
                ParameterRole.RunningMean => (-0.3f, 0.3f),
                ParameterRole.RunningVariance => (0.5f, 1.5f),
                _ => (0f, 0f),
            };

            if (high > low)
            {
                foreach (ref var value in parameters[tensor])
                {
                    value = Uniform(low, high);
                }
            }
        }
    }
}
