using BenchmarkDotNet.Attributes;
using InceptionGen.Definitions;

namespace InceptionGen.Benchmarks;

/// <summary>
/// GoogLeNet inference, the whole forward pass, at batch 1 and 32 on every core; <see cref="Convolution"/> "auto" is
/// <see cref="GoogLeNet"/> (the planner's choice of Winograd per layer), "direct" is <see cref="GoogLeNetDirect"/>
/// (every convolution direct), so Winograd's gain is a ratio of the same run.
/// </summary>
public class ForwardBenchmarks : IWorkload
{
    private INetwork _network = null!;
    private float[] _input = null!;
    private float[] _output = null!;

    [Params(1, 32)]
    public int Batch { get; set; }

    [Params("auto", "direct")]
    public string Convolution { get; set; } = "auto";

    public double FlopsPerInvocation => 2.0 * GoogLeNet.MultiplyAdds * Batch;

    public int ImagesPerInvocation => Batch;

    [GlobalSetup]
    public void Setup()
    {
        _network = Convolution == "direct" ? new GoogLeNetDirect(Batch, seed: 1) : new GoogLeNet(Batch, seed: 1);
        _input = BenchmarkData.Images(Batch * GoogLeNet.InputLength);
        _output = new float[Batch * GoogLeNet.OutputLength];
    }

    [Benchmark(Description = "GoogLeNet forward")]
    public void Forward() => _network.Forward(_input, _output, Batch);
}

internal static class BenchmarkData
{
    /// <summary>Deterministic inputs in [-1, 1).</summary>
    public static float[] Images(int length)
    {
        var values = new float[length];
        var random = new SplitMix64(42);
        foreach (ref var value in values.AsSpan())
        {
            value = 2f * random.NextSingle() - 1f;
        }

        return values;
    }
}
