using InceptionGen.CommandLine;
using InceptionGen.Definitions;
using InceptionGen.Threading;

namespace InceptionGen.Benchmarks.Compare;

/// <summary>
/// A network <c>compare</c> can measure: its generated class's static description (summary, graph, ops, input and
/// output sizes) and how to make one. Every worker finds it by <see cref="Key"/>, which the orchestrator writes into the
/// folder (<see cref="CompareFiles.NetworkFile"/>).
/// </summary>
internal sealed record ComparedNetwork(
    string Key,
    NetworkSummary Summary,
    NetworkGraph Graph,
    IReadOnlyList<OperationInfo> Operations,
    int OutputLength,
    Func<int, ulong, WorkerPool?, ITrainableNetwork> Create)
{
    public string Title => Summary.NetworkName;

    public FeatureShape Input => Summary.InputShape;

    public int InputLength => Input.Length;

    public static readonly IReadOnlyList<ComparedNetwork> All =
    [
        new("googlenet", GoogLeNet.Summary, GoogLeNet.Graph, GoogLeNet.Operations, GoogLeNet.OutputLength, (batch, seed, pool) => new GoogLeNet(batch, seed, pool)),
        new("torchvision-googlenet", TorchvisionGoogLeNet.Summary, TorchvisionGoogLeNet.Graph, TorchvisionGoogLeNet.Operations, TorchvisionGoogLeNet.OutputLength, (batch, seed, pool) => new TorchvisionGoogLeNet(batch, seed, pool)),
        new("inception-v3", InceptionV3.Summary, InceptionV3.Graph, InceptionV3.Operations, InceptionV3.OutputLength, (batch, seed, pool) => new InceptionV3(batch, seed, pool)),
    ];

    public static string Keys => string.Join(", ", All.Select(network => network.Key));

    public static ComparedNetwork Find(string key)
        => All.FirstOrDefault(network => string.Equals(network.Key, key, StringComparison.OrdinalIgnoreCase))
            ?? throw new UsageException($"compare does not know network '{key}'; it measures {Keys}");
}
