using BenchmarkDotNet.Attributes;
using InceptionGen.Definitions;

namespace InceptionGen.Benchmarks;

/// <summary>
/// Each op of GoogLeNet's forward pass on its own (batch 1, every core), after one full pass has filled
/// the activations: per-layer GFLOP/s, and where the time goes in pooling, LRN and padding.
/// </summary>
public class LayerBenchmarks : IWorkload
{
    private GoogLeNet _network = null!;

    /// <summary>Ops by name: "index name", for every op that runs on the pool.</summary>
    public static IEnumerable<string> Ops()
        => GoogLeNet.Operations.Select((operation, index) => (operation, index))
            // Not the ops that touch the caller's spans, nor the training-only ones (the auxiliary heads): RunOperation refuses them.
            .Where(entry => entry.operation.Name is not ("Input" or "Output") && !entry.operation.TrainingOnly)
            .Select(entry => $"{entry.index:D2} {entry.operation.Name}{(entry.operation.Description.StartsWith("zero border", StringComparison.Ordinal) ? " (pad)" : "")}");

    [ParamsSource(nameof(Ops))]
    public string Op { get; set; } = "";

    private int Index => int.Parse(Op[..2], System.Globalization.CultureInfo.InvariantCulture);

    public double FlopsPerInvocation => 2.0 * GoogLeNet.Operations[Index].MultiplyAdds;

    public int ImagesPerInvocation => 0;

    [GlobalSetup]
    public void Setup()
    {
        _network = new GoogLeNet(1, seed: 1);
        _network.Forward(BenchmarkData.Images(GoogLeNet.InputLength), new float[GoogLeNet.OutputLength], 1);
    }

    [Benchmark(Description = "GoogLeNet op")]
    public void Run() => _network.RunOperation(Index);
}
