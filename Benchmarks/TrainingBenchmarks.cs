using BenchmarkDotNet.Attributes;
using InceptionGen.Definitions;
using InceptionGen.Training;

namespace InceptionGen.Benchmarks;

/// <summary>
/// One GoogLeNet training step at 224x224: forward with both auxiliary heads, backward, SGD with momentum.
/// Direct work is <see cref="NetworkSummary.TrainingMultiplyAdds"/> per image (4,655,118,336). <see cref="Convolution"/>
/// "auto" is <see cref="GoogLeNet"/> (Winograd where its planner chose it, forward and input gradients), "direct" is
/// <see cref="GoogLeNetDirect"/>, so Winograd's gain is a ratio of the same run.
/// </summary>
public class TrainingBenchmarks : IWorkload
{
    private ITrainableNetwork _network = null!;
    private float[] _images = null!;
    private int[] _labels = null!;
    private SgdMomentum _optimizer = null!;

    [Params(8, 32)]
    public int Batch { get; set; }

    [Params("auto", "direct")]
    public string Convolution { get; set; } = "auto";

    public double FlopsPerInvocation => 2.0 * GoogLeNet.Summary.TrainingMultiplyAdds * Batch;

    public int ImagesPerInvocation => Batch;

    [GlobalSetup]
    public void Setup()
    {
        _network = Convolution == "direct" ? new GoogLeNetDirect(1, seed: 1) : new GoogLeNet(1, seed: 1);
        _images = BenchmarkData.Images(Batch * GoogLeNet.InputLength);
        _labels = Enumerable.Range(0, Batch).Select(image => image * 37 % GoogLeNet.OutputLength).ToArray();
        _optimizer = new SgdMomentum(0.01f, momentum: 0.9f, weightDecay: 2e-4f);
    }

    [Benchmark(Description = "GoogLeNet training step")]
    public TrainingLoss TrainStep() => _network.TrainStep(_images, _labels, Batch, _optimizer);
}
