namespace InceptionGen.Interop;

/// <summary>Which tensors a non-strict <see cref="SafeTensors.Load(ParameterStore, string, bool)"/> skipped, by PyTorch name.</summary>
/// <param name="Missing">Tensors of the network the file lacks (left as they were).</param>
/// <param name="Unexpected">Tensors of the file the network lacks (ignored).</param>
public sealed record SafeTensorsLoadResult(IReadOnlyList<string> Missing, IReadOnlyList<string> Unexpected);

/// <summary>
/// Saves and loads a <see cref="ParameterStore"/> as a <c>.safetensors</c> file, with PyTorch names
/// (<see cref="PyTorchNames.From"/>) and PyTorch layouts (OIHW, [out, in]), so the file is a PyTorch
/// <c>state_dict</c>.
/// </summary>
/// <remarks>
/// Tensors are <c>F32</c>, except BatchNorm's <c>num_batches_tracked</c>, which is <c>I64</c> as in PyTorch (F32 is accepted too). Loading checks the whole file first (header bounded to
/// 100 MB and parsed strictly, every name, dtype and shape) into a scratch copy, and only then writes the store,
/// so a refused file leaves the store untouched. Saving is atomic: a temporary file next to the target, flushed
/// to disk, then moved over it.
/// </remarks>
public static class SafeTensors
{
    /// <summary>Writes every tensor of <paramref name="parameters"/> to <paramref name="path"/>, in block order.</summary>
    /// <exception cref="InvalidOperationException">Two declared names map to the same PyTorch name.</exception>
    public static void Save(ParameterStore parameters, string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var values = parameters.ReadOnlySpan;
        var tensors = new List<TensorToWrite>(parameters.Tensors.Count);
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var tensor in parameters.Tensors)
        {
            var name = PyTorchNames.From(tensor.Name);
            if (!names.Add(name))
            {
                throw new InvalidOperationException($"Two parameter tensors map to the PyTorch name '{name}'.");
            }

            tensors.Add(new TensorToWrite(name, [.. tensor.Shape.Select(dimension => (long)dimension)], values.Slice(tensor.Offset, tensor.Length).ToArray(),
                Int64: tensor.Role == ParameterRole.BatchCount));
        }

        SafeTensorsFile.Write(path, tensors, metadata);
    }

    /// <summary>The <c>__metadata__</c> entries of a file (empty when it has none), after checking the whole file.</summary>
    /// <exception cref="SafeTensorsException">The file is malformed.</exception>
    public static IReadOnlyDictionary<string, string> ReadMetadata(string path) => SafeTensorsFile.Read(path).Metadata;

    /// <summary>
    /// Writes a network's parameters to <paramref name="path"/> with its class name (metadata <c>"network"</c>) and
    /// its graph's JSON (<see cref="NetworkGraph.MetadataKey"/>), so the file says which network it holds and how to run it.
    /// <paramref name="metadata"/> adds more entries; it cannot override those two.
    /// </summary>
    public static void Save(INetwork network, string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        var all = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in metadata ?? new Dictionary<string, string>())
        {
            all[key] = value;
        }

        all[NetworkMetadataKey] = network.Graph.Network;
        all[NetworkGraph.MetadataKey] = network.Graph.ToJson();
        Save(network.Parameters, path, all);
    }

    /// <summary>The safetensors metadata key that holds the network's class name.</summary>
    public const string NetworkMetadataKey = "network";

    /// <summary>
    /// Loads <paramref name="path"/> into <paramref name="parameters"/>. Strict (the default): the file must hold
    /// exactly the store's tensors, by PyTorch name, each F32 with the same shape. Non-strict, as PyTorch's
    /// <c>load_state_dict(strict=False)</c>: missing and unexpected tensors are skipped and reported, but a
    /// tensor present in both with another shape or dtype is still refused.
    /// </summary>
    /// <exception cref="SafeTensorsException">
    /// The file is malformed, or (all listed in one message) tensors are missing, unexpected, mis-shaped or not F32.
    /// Nothing is loaded then.
    /// </exception>
    public static SafeTensorsLoadResult Load(ParameterStore parameters, string path, bool strict = true) => Load(parameters, path, strict, new HashSet<string>());

    /// <summary>
    /// <see cref="Load(ParameterStore, string, bool)"/>, leaving the store's tensors named in <paramref name="keep"/>
    /// (dotted names, <c>Classifier.Weights</c>) as they are: the file's tensors of the same PyTorch names are neither
    /// checked nor read (fine-tuning: a classifier for another class count is replaced, not loaded).
    /// </summary>
    public static SafeTensorsLoadResult Load(ParameterStore parameters, string path, bool strict, IReadOnlySet<string> keep)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(keep);
        var file = SafeTensorsFile.Read(path);
        var problems = new List<string>();
        var missing = new List<string>();
        var matched = new List<(ParameterTensor Tensor, TensorEntry Entry)>();
        var expected = new HashSet<string>(StringComparer.Ordinal);
        foreach (var tensor in parameters.Tensors)
        {
            var name = PyTorchNames.From(tensor.Name);
            expected.Add(name);
            if (keep.Contains(tensor.Name))
            {
                continue;
            }

            if (!file.Tensors.TryGetValue(name, out var entry))
            {
                missing.Add(name);
                continue;
            }

            var shapeMatches = entry.Shape.Length == tensor.Shape.Length && entry.Shape.Zip(tensor.Shape).All(pair => pair.First == pair.Second);
            var dtypeAccepted = entry.Dtype == "F32" || (entry.Dtype == "I64" && tensor.Role == ParameterRole.BatchCount);
            if (!dtypeAccepted)
            {
                problems.Add(tensor.Role == ParameterRole.BatchCount
                    ? $"'{name}' has dtype {entry.Dtype}; only I64 or F32 is accepted"
                    : $"'{name}' has dtype {entry.Dtype}; only F32 is accepted");
            }
            else if (!shapeMatches)
            {
                problems.Add($"'{name}' has shape {entry.ShapeText}; the network's is {tensor.ShapeText}");
            }
            else
            {
                matched.Add((tensor, entry));
            }
        }

        var unexpected = file.Tensors.Keys.Where(name => !expected.Contains(name)).Order(StringComparer.Ordinal).ToList();
        if (strict)
        {
            problems.AddRange(missing.Select(name => $"'{name}' is missing from the file"));
            problems.AddRange(unexpected.Select(name => $"'{name}' is in the file but not in the network"));
        }

        if (problems.Count > 0)
        {
            throw new SafeTensorsException($"'{path}' does not fit the network ({problems.Count} problem{(problems.Count == 1 ? "" : "s")}; nothing was loaded):" +
                Environment.NewLine + string.Join(Environment.NewLine, problems.Select(problem => "  " + problem)));
        }

        // Everything checked: assemble the new block aside, then copy it in one go (which marks the store changed).
        var scratch = parameters.ReadOnlySpan.ToArray();
        foreach (var (tensor, entry) in matched)
        {
            ReadOnlySpan<float> values = entry.Dtype == "I64" ? file.Int64AsFloats(entry) : file.Floats(entry);
            values.CopyTo(scratch.AsSpan(tensor.Offset, tensor.Length));
        }

        scratch.CopyTo(parameters.Span);
        return new SafeTensorsLoadResult(missing, unexpected);
    }
}
