namespace InceptionGen.Training;

/// <summary>
/// What <see cref="SgdMomentum"/> and <see cref="Adam"/> share: the learning rate and weight decay, and one
/// pass over the parameter block in chunks that stay in the L1 cache while each chunk runs through its
/// element-wise <see cref="System.Numerics.Tensors.TensorPrimitives"/> operations.
/// </summary>
/// <remarks>
/// <para>
/// The optimizer's state lives in blocks laid out like the parameters (same offsets, alignment gaps
/// included), allocated on the first <see cref="Step"/>. Weight decay is on or off per tensor, so the block is
/// cut into runs of neighbouring tensors that share the setting; an alignment gap joins the run of the tensor
/// after it (or the last run), which changes nothing because gaps are zero in parameters, gradients and state,
/// and every update maps zeros to zeros.
/// </para>
/// <para>
/// Every operation is element-wise, with no fused multiply-add and no reduction, so each value's result
/// depends only on its own inputs: not on the chunking, on the position in the block, nor on the vector width.
/// </para>
/// </remarks>
public abstract class BlockOptimizer : IOptimizerState
{
    /// <summary>Floats per chunk: the parameters, gradients, state and two scratch chunks fit in L1 together.</summary>
    internal const int ChunkLength = 1024;

    private float _learningRate;
    private ParameterStore? _runsFor;
    private DecayRun[] _runs = [];
    private AlignedBuffer? _scratch;

    private protected BlockOptimizer(float learningRate, float weightDecay, bool decayBiases)
    {
        LearningRate = learningRate;
        if (!float.IsFinite(weightDecay) || weightDecay < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(weightDecay), weightDecay, "Weight decay must be finite and at least 0.");
        }

        WeightDecay = weightDecay;
        DecayBiases = decayBiases;
    }

    /// <inheritdoc/>
    public long StepCount { get; private set; }

    /// <inheritdoc/>
    public abstract IReadOnlyList<string> StateNames { get; }

    /// <inheritdoc/>
    public ReadOnlySpan<float> GetState(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, StateNames.Count);
        var block = StateBuffer(index);
        return block is null ? default : block.Span;
    }

    /// <inheritdoc/>
    public void RestoreState(long stepCount, IReadOnlyList<float[]> state)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentOutOfRangeException.ThrowIfNegative(stepCount);
        if (state.Count != StateNames.Count)
        {
            throw new ArgumentException($"This optimizer keeps {StateNames.Count} state blocks; {state.Count} were given.", nameof(state));
        }

        var length = state.Count == 0 ? 0 : state[0].Length;
        foreach (var block in state)
        {
            if (block.Length != length)
            {
                throw new ArgumentException("The state blocks must be equally long (or all empty, before the first step).", nameof(state));
            }
        }

        // Validated: nothing below can fail, so the optimizer is never left half restored.
        for (var index = 0; index < state.Count; index++)
        {
            AlignedBuffer? block = null;
            if (length != 0)
            {
                block = new AlignedBuffer(length);
                state[index].CopyTo(block.Span);
            }

            SetStateBuffer(index, block);
        }

        StepCount = stepCount;
    }

    /// <summary>State block <paramref name="index"/> (in <see cref="StateNames"/> order); null before the first step.</summary>
    private protected abstract AlignedBuffer? StateBuffer(int index);

    /// <summary>Replaces state block <paramref name="index"/>; null drops it (as before the first step).</summary>
    private protected abstract void SetStateBuffer(int index, AlignedBuffer? block);

    /// <inheritdoc/>
    public float LearningRate
    {
        get => _learningRate;
        set
        {
            if (!float.IsFinite(value) || value < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, "The learning rate must be finite and at least 0.");
            }

            _learningRate = value;
        }
    }

    /// <summary>The weight decay factor λ (0: none).</summary>
    public float WeightDecay { get; }

    /// <summary>Whether weight decay applies to tensors whose role is <see cref="ParameterRole.Bias"/> too.</summary>
    public bool DecayBiases { get; }

    /// <summary>
    /// Tensors (by dotted name, <c>Inception3a.Branch1.Weights</c>) that <see cref="Step"/> leaves alone: neither
    /// their values nor their optimizer state change (fine-tuning with a frozen trunk). Empty by default.
    /// </summary>
    public IReadOnlySet<string> FrozenTensors
    {
        get => _frozen;
        set
        {
            _frozen = value ?? throw new ArgumentNullException(nameof(value));
            _runsFor = null;
        }
    }

    private IReadOnlySet<string> _frozen = new HashSet<string>();

    /// <summary>Whether weight decay applies to <paramref name="tensor"/>.</summary>
    public bool Decays(ParameterTensor tensor) => WeightDecay != 0 && !tensor.Role.IsBuffer() && (DecayBiases || tensor.Role != ParameterRole.Bias);

    /// <inheritdoc/>
    public void Step(ParameterStore parameters, ReadOnlySpan<float> gradients)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (gradients.Length != parameters.Length)
        {
            throw new ArgumentException($"The gradient block holds {gradients.Length} floats; the parameter block holds {parameters.Length}.", nameof(gradients));
        }

        EnsureState(parameters.Length);
        if (!ReferenceEquals(_runsFor, parameters))
        {
            _runs = DecayRuns(parameters);
            _runsFor = parameters;
        }

        _scratch ??= new AlignedBuffer(2 * ChunkLength);
        StepCount++;
        PrepareStep();

        var values = parameters.Span;
        var scratch = _scratch.Span;
        var first = scratch[..ChunkLength];
        var second = scratch[ChunkLength..];
        foreach (var run in _runs)
        {
            if (run.Skipped)
            {
                // BatchNorm's running statistics (saved with the parameters, never updated by an optimizer) and frozen tensors.
                continue;
            }

            for (var offset = run.Start; offset < run.End; offset += ChunkLength)
            {
                var length = Math.Min(ChunkLength, run.End - offset);
                UpdateChunk(offset, values.Slice(offset, length), gradients.Slice(offset, length), run.Decay, first[..length], second[..length]);
            }
        }
    }

    /// <summary>Allocates the state for a block of <paramref name="length"/> floats on the first step; later, checks the length is the same.</summary>
    private protected abstract void EnsureState(int length);

    /// <summary>Computes this step's scalars (after <see cref="StepCount"/> has moved on).</summary>
    private protected abstract void PrepareStep();

    /// <summary>
    /// Updates the parameters <paramref name="weights"/> at <paramref name="offset"/> in the block from
    /// <paramref name="gradients"/>; <paramref name="scratch1"/> and <paramref name="scratch2"/> are as long and free to use.
    /// </summary>
    private protected abstract void UpdateChunk(int offset, Span<float> weights, ReadOnlySpan<float> gradients, bool decay, Span<float> scratch1, Span<float> scratch2);

    /// <summary>Allocates one state block, or checks the one there is fits <paramref name="length"/>.</summary>
    private protected static AlignedBuffer StateBlock(AlignedBuffer? existing, int length)
    {
        if (existing is null)
        {
            return new AlignedBuffer(length);
        }

        if (existing.Length != length)
        {
            throw new ArgumentException($"This optimizer's state is laid out for a block of {existing.Length} floats; the parameter block holds {length}.", "parameters");
        }

        return existing;
    }

    /// <summary>The decay setting of every tensor, as runs of neighbouring tensors that share it, covering the whole block.</summary>
    private DecayRun[] DecayRuns(ParameterStore parameters)
    {
        var runs = new List<DecayRun>();
        var end = 0;
        foreach (var tensor in parameters.Tensors.OrderBy(tensor => tensor.Offset))
        {
            var tensorEnd = Math.Max(end, tensor.Offset + tensor.Length);
            var decay = Decays(tensor);
            var skipped = tensor.Role.IsBuffer() || _frozen.Contains(tensor.Name);
            if (runs.Count > 0 && runs[^1].Decay == decay && runs[^1].Skipped == skipped)
            {
                runs[^1] = runs[^1] with { End = tensorEnd };
            }
            else if (tensorEnd > end || runs.Count == 0)
            {
                // A skipped run starts at its tensor: the gap before it (zeros) joins the run before.
                var start = skipped && runs.Count > 0 ? Math.Max(end, tensor.Offset) : end;
                if (start > end)
                {
                    runs[^1] = runs[^1] with { End = start };
                }

                runs.Add(new DecayRun(start, tensorEnd, decay, skipped));
            }

            end = tensorEnd;
        }

        if (runs.Count == 0)
        {
            runs.Add(new DecayRun(0, parameters.Length, WeightDecay != 0, Skipped: false));
        }
        else if (runs[^1].Skipped)
        {
            runs.Add(new DecayRun(runs[^1].End, parameters.Length, WeightDecay != 0, Skipped: false));
        }
        else
        {
            runs[^1] = runs[^1] with { End = parameters.Length };
        }

        return [.. runs];
    }

    /// <summary>Neighbouring tensors with one decay setting; <see cref="Skipped"/> for buffers and frozen tensors, which no step changes.</summary>
    private readonly record struct DecayRun(int Start, int End, bool Decay, bool Skipped);
}
