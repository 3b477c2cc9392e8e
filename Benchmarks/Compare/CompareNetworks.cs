using InceptionGen.Definitions;
using InceptionGen.Interop;
using InceptionGen.Threading;

namespace InceptionGen.Benchmarks.Compare;

/// <summary>
/// The networks <c>compare --network</c> measures. Each takes a 3x224x224 image to 1000 logits and has 1024-wide
/// dropouts, so the files, ONNX Runtime's tensors and the dropout masks are shaped the same for all of them.
/// The workers learn which one from the weights file's network metadata.
/// </summary>
internal static class CompareNetworks
{
    internal sealed record Entry(NetworkSummary Summary, NetworkGraph Graph, Func<int, ulong, WorkerPool?, ITrainableNetwork> Create)
    {
        public string Name => Summary.NetworkName;
    }

    public static readonly IReadOnlyList<Entry> All =
    [
        new(GoogLeNet.Summary, GoogLeNet.Graph, (batch, seed, pool) => new GoogLeNet(batch, seed, pool)),
        new(TorchvisionGoogLeNet.Summary, TorchvisionGoogLeNet.Graph, (batch, seed, pool) => new TorchvisionGoogLeNet(batch, seed, pool)),
    ];

    public static string Names => string.Join(", ", All.Select(entry => entry.Name));

    public static Entry Find(string name)
        => All.FirstOrDefault(entry => string.Equals(entry.Name, name, StringComparison.OrdinalIgnoreCase))
           ?? throw new CommandLine.UsageException($"compare does not know the network '{name}'; it measures {Names}");

    /// <summary>The network whose weights the orchestrator wrote into the folder.</summary>
    public static Entry Of(CompareFiles files)
        => SafeTensors.ReadMetadata(files.Weights).TryGetValue(SafeTensors.NetworkMetadataKey, out var name)
            ? Find(name)
            : throw new InvalidDataException($"'{files.Weights}' does not say which network it holds");
}
