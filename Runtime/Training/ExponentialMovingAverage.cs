using System.Numerics.Tensors;

namespace InceptionGen.Training;

/// <summary>
/// An optimizer that keeps an exponential moving average of the weights beside another one: after each of the inner
/// optimizer's steps, <c>average ← d · average + (1 − d) · weights</c> over the whole parameter block, BatchNorm's
/// running statistics included (timm's <c>ModelEmaV2</c>); <c>num_batches_tracked</c> is copied, being a count.
/// The decay warms up as <c>d = min(<see cref="Decay"/>, (1 + t) / (10 + t))</c> at step t, so the early average is not
/// dominated by the initial weights. The average is one more state block (<c>weight_average</c>), so checkpoints keep it
/// and a resume continues it bit for bit. Evaluate or save it with <see cref="CopyAverageTo"/>.
/// </summary>
public sealed class ExponentialMovingAverage : IOptimizerState
{
    /// <summary>The name of the average's state block, after the inner optimizer's.</summary>
    public const string StateName = "weight_average";

    private readonly IOptimizerState _inner;
    private readonly IReadOnlyList<string> _names;
    private AlignedBuffer? _average;
    private (int Offset, int Length)[]? _counts;

    /// <param name="inner">The optimizer that trains the weights.</param>
    /// <param name="decay">The average's decay per step, in (0, 1): 0.999 averages over about the last thousand steps.</param>
    public ExponentialMovingAverage(IOptimizerState inner, float decay)
    {
        ArgumentNullException.ThrowIfNull(inner);
        if (!(decay > 0f && decay < 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(decay), decay, "The decay must be in (0, 1).");
        }

        _inner = inner;
        Decay = decay;
        _names = [.. inner.StateNames, StateName];
    }

    /// <summary>The optimizer that trains the weights.</summary>
    public IOptimizerState Inner => _inner;

    /// <summary>The decay once warmed up.</summary>
    public float Decay { get; }

    /// <summary>The decay used at step <paramref name="step"/> (1 for the first).</summary>
    public float DecayAt(long step) => (float)Math.Min(Decay, (1.0 + step) / (10.0 + step));

    /// <summary>The averaged parameter block; empty before the first step.</summary>
    public ReadOnlySpan<float> Average => _average is null ? default : _average.Span;

    /// <inheritdoc/>
    public long StepCount => _inner.StepCount;

    /// <inheritdoc/>
    public float LearningRate
    {
        get => _inner.LearningRate;
        set => _inner.LearningRate = value;
    }

    /// <inheritdoc/>
    public IReadOnlyList<string> StateNames => _names;

    /// <inheritdoc/>
    public void Step(ParameterStore parameters, ReadOnlySpan<float> gradients)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        _inner.Step(parameters, gradients);
        var weights = parameters.ReadOnlySpan;
        _counts ??= [.. parameters.Tensors.Where(t => t.Role == ParameterRole.BatchCount).Select(t => (t.Offset, t.Length))];
        if (_average is null)
        {
            // The first step: the average starts at the weights (the warm-up's decay would weigh the initial ones at 0.18 otherwise).
            _average = new AlignedBuffer(weights.Length);
            weights.CopyTo(_average.Span);
            return;
        }

        if (_average.Length != weights.Length)
        {
            throw new ArgumentException($"The average holds {_average.Length} floats; the parameter block holds {weights.Length}.", nameof(parameters));
        }

        var average = _average.Span;
        TensorPrimitives.Lerp(average, weights, 1f - DecayAt(StepCount), average);
        foreach (var (offset, length) in _counts)
        {
            weights.Slice(offset, length).CopyTo(average.Slice(offset, length));
        }
    }

    /// <summary>Writes the average into <paramref name="parameters"/> (the weights themselves before the first step).</summary>
    public void CopyAverageTo(ParameterStore parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (_average is not null)
        {
            _average.Span.CopyTo(parameters.Span);
        }
    }

    /// <inheritdoc/>
    public ReadOnlySpan<float> GetState(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, _names.Count);
        return index < _inner.StateNames.Count ? _inner.GetState(index) : Average;
    }

    /// <inheritdoc/>
    public void RestoreState(long stepCount, IReadOnlyList<float[]> state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.Count != _names.Count)
        {
            throw new ArgumentException($"This optimizer keeps {_names.Count} state blocks; {state.Count} were given.", nameof(state));
        }

        // The inner optimizer checks the blocks' lengths (and those of its own blocks against the average's) before it changes anything.
        var average = state[^1];
        _inner.RestoreState(stepCount, [.. state.Take(_names.Count - 1).Select(block => block.Length == average.Length ? block : throw new ArgumentException("The state blocks must be equally long.", nameof(state)))]);
        _average = null;
        if (average.Length != 0)
        {
            _average = new AlignedBuffer(average.Length);
            average.CopyTo(_average.Span);
        }
    }
}
