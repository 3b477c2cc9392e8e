namespace InceptionGen.Training;

/// <summary>
/// Updates a network's parameter block from a gradient block with the same layout.
/// </summary>
public interface IOptimizer
{
    /// <summary>
    /// One update of the whole block in place: <paramref name="gradients"/> is as long as
    /// <paramref name="parameters"/> (<see cref="ParameterStore.Length"/>) and laid out the same way, its
    /// alignment gaps zero. Writes through <see cref="ParameterStore.Span"/>, so the store's
    /// <see cref="ParameterStore.Version"/> moves and the network repacks its weights. Allocates only on the
    /// first call (the optimizer's state, laid out like the parameters).
    /// </summary>
    void Step(ParameterStore parameters, ReadOnlySpan<float> gradients);

    /// <summary>Steps taken so far; the first <see cref="Step"/> is step 1.</summary>
    long StepCount { get; }

    /// <summary>The learning rate the next <see cref="Step"/> uses; set it from a schedule before each step.</summary>
    float LearningRate { get; set; }
}
