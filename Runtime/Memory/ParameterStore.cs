namespace InceptionGen;

/// <summary>
/// All parameters of a network in one 64-byte-aligned block, with a named view per tensor. Gradients,
/// when training, live in a second block with the same layout.
/// </summary>
public sealed class ParameterStore
{
    private readonly Dictionary<string, ParameterTensor> _byName;

    public ParameterStore(IReadOnlyList<ParameterTensor> tensors, int blockLength)
    {
        Tensors = tensors;
        Values = new AlignedBuffer(blockLength);
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

    /// <summary>The parameter block, alignment gaps included (they stay zero).</summary>
    public AlignedBuffer Values { get; }

    /// <summary>The values of one tensor.</summary>
    public Span<float> this[ParameterTensor tensor] => Values.Span.Slice(tensor.Offset, tensor.Length);

    /// <summary>Finds a tensor by its dotted name; null when there is none.</summary>
    public ParameterTensor? Find(string name) => _byName.GetValueOrDefault(name);
}
