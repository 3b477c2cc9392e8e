using InceptionGen.CommandLine;
using InceptionGen.Definitions;
using InceptionGen.Threading;

namespace InceptionGen.Cli;

/// <summary>The networks the command line knows, by name (case-insensitive).</summary>
internal static class NetworkCatalog
{
    /// <summary>A known network: its summary, and how to build one for a batch size, seed and pool.</summary>
    internal sealed record Entry(NetworkSummary Summary, Func<int, ulong, WorkerPool?, INetwork> Create)
    {
        /// <summary>The network's name as declared.</summary>
        public string Name => Summary.NetworkName;
    }

    public static readonly IReadOnlyDictionary<string, Entry> Networks = new Dictionary<string, Entry>(StringComparer.OrdinalIgnoreCase)
    {
        ["GoogLeNet"] = new(GoogLeNet.Summary, (batch, seed, pool) => new GoogLeNet(batch, seed, pool)),
        // GoogLeNet with every convolution direct: `bench GoogLeNetDirect` is the baseline of Winograd's gain.
        ["GoogLeNetDirect"] = new(GoogLeNetDirect.Summary, (batch, seed, pool) => new GoogLeNetDirect(batch, seed, pool)),
        ["InceptionV3"] = new(InceptionV3.Summary, (batch, seed, pool) => new InceptionV3(batch, seed, pool)),
        ["TorchvisionGoogLeNet"] = new(TorchvisionGoogLeNet.Summary, (batch, seed, pool) => new TorchvisionGoogLeNet(batch, seed, pool)),
        ["NaiveInceptionModule"] = new(NaiveInceptionModule.Summary, (batch, seed, pool) => new NaiveInceptionModule(batch, seed, pool)),
        ["BottleneckInceptionModule"] = new(BottleneckInceptionModule.Summary, (batch, seed, pool) => new BottleneckInceptionModule(batch, seed, pool)),
        ["FashionInception"] = new(FashionInception.Summary, (batch, seed, pool) => new FashionInception(batch, seed, pool)),
        ["FashionBNInception"] = new(FashionBNInception.Summary, (batch, seed, pool) => new FashionBNInception(batch, seed, pool)),
    };

    public static string Names => string.Join(", ", Networks.Keys);

    public static Entry Find(string name)
        => Networks.TryGetValue(name, out var entry) ? entry : throw new UsageException($"no network named '{name}'; known networks: {Names}");

    /// <summary>The single network name a command takes.</summary>
    public static Entry Network(this Arguments arguments, string command)
    {
        if (arguments.Positional.Count != 1)
        {
            throw new UsageException($"{command} takes one network name: {Names}");
        }

        return Find(arguments.Positional[0]);
    }
}
