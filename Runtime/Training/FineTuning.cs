namespace InceptionGen.Training;

/// <summary>
/// Which parameter tensors fine-tuning treats specially: the classifiers (replaced when the weights come from a
/// network trained on other classes) and the layers up to a point (frozen). Tensors are named by their dotted names
/// (<c>Inception3a.Branch1.Weights</c>), as <see cref="ParameterStore.Tensors"/> lists them.
/// </summary>
public static class FineTuning
{
    /// <summary>
    /// The tensors of the final classifier (the last layer with parameters outside the auxiliary heads) and of each
    /// auxiliary head's last layer: what <c>--replace-classifier</c> initializes afresh instead of loading.
    /// </summary>
    public static IReadOnlySet<string> ClassifierTensors(INetwork network)
    {
        var result = new HashSet<string>(StringComparer.Ordinal);
        var layers = network.Parameters.Tensors
            .GroupBy(tensor => Prefix(tensor.Name), StringComparer.Ordinal)
            .Select(group => (Name: group.Key, Offset: group.Min(t => t.Offset), group.First().Auxiliary, Tensors: group.ToArray()))
            .OrderBy(layer => layer.Offset)
            .ToArray();
        var main = layers.LastOrDefault(layer => !layer.Auxiliary);
        if (main.Tensors is not null)
        {
            result.UnionWith(main.Tensors.Select(t => t.Name));
        }

        foreach (var head in layers.Where(layer => layer.Auxiliary).GroupBy(layer => TopLevel(layer.Name), StringComparer.Ordinal))
        {
            result.UnionWith(head.Last().Tensors.Select(t => t.Name));
        }

        return result;
    }

    /// <summary>
    /// The tensors of every layer declared up to and including <paramref name="layer"/> (a top-level layer's name, as
    /// the summary lists it; auxiliary heads declared before it included): what <c>--freeze</c> keeps fixed.
    /// </summary>
    /// <exception cref="ArgumentException">The network has no top-level layer of that name; the message lists them.</exception>
    public static IReadOnlySet<string> TensorsUpTo(INetwork network, string layer)
    {
        var names = network.Summary.Layers.Where(l => l.Depth == 0).Select(l => l.Name).ToList();
        var index = names.FindIndex(name => string.Equals(name, layer, StringComparison.Ordinal));
        if (index < 0)
        {
            throw new ArgumentException($"{network.Summary.NetworkName} has no layer named '{layer}'; its layers: {string.Join(", ", names)}", nameof(layer));
        }

        var frozen = names.Take(index + 1).ToHashSet(StringComparer.Ordinal);
        return network.Parameters.Tensors.Where(t => frozen.Contains(TopLevel(t.Name))).Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>
    /// The worker-pool numbers of the weight-gradient work whose tensors (<see cref="OperationInfo.Parameters"/>) are
    /// all in <paramref name="frozenTensors"/>.
    /// </summary>
    public static IReadOnlyList<int> FrozenWeightGradientOperations(INetwork network, IReadOnlySet<string> frozenTensors)
    {
        var result = new List<int>();
        foreach (var operation in network.Operations)
        {
            if (operation.WeightGradientOperation >= 0 && operation.Parameters.Count > 0 && operation.Parameters.All(frozenTensors.Contains))
            {
                result.Add(operation.WeightGradientOperation);
            }
        }

        return result;
    }

    /// <summary>
    /// Makes <paramref name="pool"/> skip the weight-gradient work of the frozen layers: their gradients stay zero
    /// (the step clears them), which an optimizer with the same <see cref="BlockOptimizer.FrozenTensors"/> never reads.
    /// Returns how many ops are skipped.
    /// </summary>
    public static int SkipFrozenWeightGradients(INetwork network, IReadOnlySet<string> frozenTensors, Threading.WorkerPool pool)
    {
        var operations = FrozenWeightGradientOperations(network, frozenTensors);
        var skipped = new bool[operations.Count == 0 ? 0 : operations.Max() + 1];
        foreach (var operation in operations)
        {
            skipped[operation] = true;
        }

        pool.SkippedOperations = skipped;
        return operations.Count;
    }

    private static string Prefix(string name) => name.LastIndexOf('.') is var dot and > 0 ? name[..dot] : name;

    private static string TopLevel(string name) => name.IndexOf('.') is var dot and > 0 ? name[..dot] : name;
}
