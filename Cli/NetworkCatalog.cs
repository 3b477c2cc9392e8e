using InceptionGen.Definitions;

namespace InceptionGen.Cli;

/// <summary>The networks the command line knows, by name (case-insensitive).</summary>
internal static class NetworkCatalog
{
    public static readonly IReadOnlyDictionary<string, NetworkSummary> Summaries = new Dictionary<string, NetworkSummary>(StringComparer.OrdinalIgnoreCase)
    {
        ["GoogLeNet"] = GoogLeNet.Summary,
        ["NaiveInceptionModule"] = NaiveInceptionModule.Summary,
        ["BottleneckInceptionModule"] = BottleneckInceptionModule.Summary,
    };

    public static string Names => string.Join(", ", Summaries.Keys);
}
