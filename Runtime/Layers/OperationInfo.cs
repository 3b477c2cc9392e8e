namespace InceptionGen;

/// <summary>One op of a generated forward pass, by the index it runs under on the worker pool.</summary>
/// <param name="Name">Dotted layer or part name, e.g. <c>Inception3a.Branch2</c>.</param>
/// <param name="Description">What it computes, with shapes.</param>
/// <param name="MultiplyAdds">Multiply-adds for one image (0 for data movement, pooling and LRN).</param>
/// <param name="TrainingOnly">Whether it runs in the training pass only (auxiliary heads, dropout).</param>
public sealed record OperationInfo(string Name, string Description, long MultiplyAdds, bool TrainingOnly)
{
    /// <summary>The worker-pool number its input-gradient work runs under, as the planner numbered it; -1 in a network that does not train.</summary>
    public int InputGradientOperation { get; init; } = -1;

    /// <summary>The worker-pool number its weight-gradient work runs under; -1 for an op without parameters.</summary>
    public int WeightGradientOperation { get; init; } = -1;

    /// <summary>The parameter tensors whose gradients its weight-gradient work writes (names as in <see cref="ParameterStore"/>).</summary>
    public IReadOnlyList<string> Parameters { get; init; } = [];

    /// <summary>
    /// Whether its weight-gradient work writes straight into the gradient block, so those gradients are final once
    /// it has run for the pass's last images (a convolution's are added up in the packed layout until the pass ends).
    /// </summary>
    public bool WritesGradientsInPlace { get; init; }
}
