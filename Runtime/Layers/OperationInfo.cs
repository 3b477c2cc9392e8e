namespace InceptionGen;

/// <summary>One op of a generated forward pass, by the index it runs under on the worker pool.</summary>
/// <param name="Name">Dotted layer or part name, e.g. <c>Inception3a.Branch2</c>.</param>
/// <param name="Description">What it computes, with shapes.</param>
/// <param name="MultiplyAdds">Multiply-adds for one image (0 for data movement, pooling and LRN).</param>
/// <param name="TrainingOnly">Whether it runs in the training pass only (auxiliary heads, dropout).</param>
public sealed record OperationInfo(string Name, string Description, long MultiplyAdds, bool TrainingOnly);
