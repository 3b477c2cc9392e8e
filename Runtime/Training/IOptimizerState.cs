namespace InceptionGen.Training;

/// <summary>
/// An optimizer whose state (momentum buffers, moments, step count) can be read out and restored, so training can
/// be checkpointed and resumed exactly (see <c>InceptionGen.Interop.Checkpoint</c>).
/// </summary>
public interface IOptimizerState : IOptimizer
{
    /// <summary>Names of the state blocks, e.g. <c>velocity</c>, or <c>first_moment</c> and <c>second_moment</c>.</summary>
    IReadOnlyList<string> StateNames { get; }

    /// <summary>State block <paramref name="index"/>, laid out like the parameters; empty before the first step.</summary>
    ReadOnlySpan<float> GetState(int index);

    /// <summary>
    /// Replaces the whole state: <see cref="IOptimizer.StepCount"/> and one block per <see cref="StateNames"/> entry,
    /// all equally long (all empty: no state yet). Checks everything before changing anything.
    /// </summary>
    /// <exception cref="ArgumentException">The number or lengths of the blocks do not fit.</exception>
    void RestoreState(long stepCount, IReadOnlyList<float[]> state);
}
