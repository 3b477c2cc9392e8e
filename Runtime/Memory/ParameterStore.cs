namespace InceptionGen;

/// <summary>
/// All parameters of a network in one 64-byte-aligned block, with a named view per tensor. Gradients,
/// when training, live in a second block with the same layout.
/// </summary>
/// <remarks>
/// Convolution kernels read weights repacked into their own order; the network repacks before its next
/// forward pass whenever <see cref="Version"/> has moved. Every writable view (<see cref="Span"/>, the
/// indexer, a layer's <c>Weights</c>) moves it, so weights written through any of them are always seen.
/// </remarks>
public sealed class ParameterStore
{
    private readonly Dictionary<string, ParameterTensor> _byName;
    private readonly AlignedBuffer _values;
    private int _version;

    public ParameterStore(IReadOnlyList<ParameterTensor> tensors, int blockLength)
    {
        Tensors = tensors;
        _values = new AlignedBuffer(blockLength);
        _byName = new Dictionary<string, ParameterTensor>(tensors.Count, StringComparer.Ordinal);
        foreach (var tensor in tensors)
        {
            if (tensor.Offset % AlignedBuffer.AlignmentFloats != 0 || tensor.Offset + tensor.Length > blockLength)
            {
                throw new ArgumentException($"Parameter tensor '{tensor.Name}' lies outside the block or is not 64-byte aligned.", nameof(tensors));
            }

            _byName.Add(tensor.Name, tensor);
        }
    }

    /// <summary>Every parameter tensor in block order.</summary>
    public IReadOnlyList<ParameterTensor> Tensors { get; }

    /// <summary>Floats in the block, alignment gaps included (they stay zero).</summary>
    public int Length => _values.Length;

    /// <summary>The whole block, writable; taking it counts as a change (see remarks).</summary>
    public Span<float> Span
    {
        get
        {
            MarkChanged();
            return _values.Span;
        }
    }

    /// <summary>The whole block, read-only; taking it changes nothing.</summary>
    public ReadOnlySpan<float> ReadOnlySpan => _values.Span;

    /// <summary>The values of one tensor, writable; taking them counts as a change.</summary>
    public Span<float> this[ParameterTensor tensor] => Span.Slice(tensor.Offset, tensor.Length);

    /// <summary>Moves on each time the values may have changed.</summary>
    public int Version => Volatile.Read(ref _version);

    /// <summary>Records that the values changed, so derived data (packed weights) is rebuilt.</summary>
    public void MarkChanged() => Interlocked.Increment(ref _version);

    /// <summary>Finds a tensor by its dotted name; null when there is none.</summary>
    public ParameterTensor? Find(string name) => _byName.GetValueOrDefault(name);
}
