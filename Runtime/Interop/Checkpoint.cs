using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using InceptionGen.Training;

namespace InceptionGen.Interop;

/// <summary>
/// The training counters a checkpoint carries besides weights and optimizer state.
/// </summary>
/// <param name="Step">The caller's global step.</param>
/// <param name="Epoch">The caller's epoch.</param>
/// <param name="RngSeed">Random state the caller provides, e.g. the network's <c>DropoutSeed</c>.</param>
/// <param name="RngStep">Random stream position the caller provides, e.g. the network's <c>TrainingStep</c>.</param>
public sealed record CheckpointState(long Step, long Epoch, ulong RngSeed, long RngStep)
{
    /// <summary>
    /// The caller's own entries, saved with the checkpoint and covered by its checksum (a trainer keeps its options
    /// and metrics history here, so they cannot disagree with the weights).
    /// </summary>
    public IReadOnlyDictionary<string, string> Notes { get; init; } = new Dictionary<string, string>();

    /// <summary>Equal counters and equal notes (by content).</summary>
    public bool Equals(CheckpointState? other) =>
        other is not null && Step == other.Step && Epoch == other.Epoch && RngSeed == other.RngSeed && RngStep == other.RngStep
        && Notes.Count == other.Notes.Count && Notes.All(pair => other.Notes.TryGetValue(pair.Key, out var value) && value == pair.Value);

    public override int GetHashCode() => HashCode.Combine(Step, Epoch, RngSeed, RngStep, Notes.Count);
}

/// <summary>
/// A training checkpoint: the parameter block, the optimizer's state and step count, and a
/// <see cref="CheckpointState"/>, in one <c>.safetensors</c> file, with a SHA-256 checksum verified on load.
/// </summary>
/// <remarks>
/// Tensors: <c>parameters</c> (the whole block, alignment gaps included) and <c>optimizer.&lt;state name&gt;</c>
/// (e.g. <c>optimizer.velocity</c>); the scalars go in <c>__metadata__</c> (the caller's notes as <c>note.&lt;key&gt;</c>), as does <c>layout</c>, the tensor
/// names, offsets and shapes, so a checkpoint of another network is refused. The checksum covers the data section
/// and every other metadata entry. Saving is atomic; a refused load changes neither the store nor the optimizer.
/// </remarks>
public static class Checkpoint
{
    private const string Format = "inceptiongen-checkpoint-1";

    /// <summary>The metadata prefix of <see cref="CheckpointState.Notes"/>, apart from the checkpoint's own entries.</summary>
    private const string NotePrefix = "note.";

    /// <summary>Writes a checkpoint of <paramref name="parameters"/>, <paramref name="optimizer"/> and <paramref name="state"/> to <paramref name="path"/>.</summary>
    public static void Save(string path, ParameterStore parameters, IOptimizerState optimizer, CheckpointState state)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(state);
        var tensors = new List<TensorToWrite> { new("parameters", [parameters.Length], parameters.ReadOnlySpan.ToArray()) };
        for (var index = 0; index < optimizer.StateNames.Count; index++)
        {
            var block = optimizer.GetState(index).ToArray();
            tensors.Add(new TensorToWrite("optimizer." + optimizer.StateNames[index], [block.Length], block));
        }

        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["format"] = Format,
            ["layout"] = Layout(parameters),
            ["optimizer"] = optimizer.GetType().Name,
            ["optimizer.step_count"] = Text(optimizer.StepCount),
            ["optimizer.learning_rate"] = BitConverter.SingleToInt32Bits(optimizer.LearningRate).ToString("x8", CultureInfo.InvariantCulture),
            ["step"] = Text(state.Step),
            ["epoch"] = Text(state.Epoch),
            ["rng_seed"] = state.RngSeed.ToString(CultureInfo.InvariantCulture),
            ["rng_step"] = Text(state.RngStep),
        };
        foreach (var (key, value) in state.Notes)
        {
            metadata[NotePrefix + key] = value;
        }

        metadata["checksum"] = Checksum(tensors.SelectMany(tensor => MemoryMarshal.AsBytes(tensor.Values.AsSpan()).ToArray()).ToArray(), metadata);
        SafeTensorsFile.Write(path, tensors, metadata);
    }

    /// <summary>
    /// Restores <paramref name="parameters"/> and <paramref name="optimizer"/> (state, step count and learning rate)
    /// from <paramref name="path"/> and returns the counters; set the network's <c>DropoutSeed</c> and
    /// <c>TrainingStep</c> from them.
    /// </summary>
    /// <exception cref="SafeTensorsException">The file is malformed, corrupt (checksum) or from another network or optimizer; nothing changed.</exception>
    public static CheckpointState Load(string path, ParameterStore parameters, IOptimizerState optimizer)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(optimizer);
        var file = SafeTensorsFile.Read(path);
        var metadata = file.Metadata;
        string Get(string key) => metadata.TryGetValue(key, out var value) ? value : throw Refused(path, $"its metadata lacks '{key}'");

        if (Get("format") != Format)
        {
            throw Refused(path, $"its format is '{metadata["format"]}', not '{Format}'");
        }

        var stored = Get("checksum");
        var others = metadata.Where(pair => pair.Key != "checksum").ToDictionary(pair => pair.Key, pair => pair.Value, StringComparer.Ordinal);
        if (Checksum(file.Data, others) != stored)
        {
            throw Refused(path, "its checksum does not match its contents (the file is corrupt)");
        }

        if (Get("layout") != Layout(parameters))
        {
            throw Refused(path, "it holds the parameters of another network (its tensor layout differs)");
        }

        if (Get("optimizer") != optimizer.GetType().Name)
        {
            throw Refused(path, $"it holds the state of a {metadata["optimizer"]} optimizer, not of a {optimizer.GetType().Name}");
        }

        var expectedNames = new HashSet<string>(optimizer.StateNames.Select(name => "optimizer." + name)) { "parameters" };
        if (!expectedNames.SetEquals(file.Tensors.Keys))
        {
            throw Refused(path, $"it holds the tensors {string.Join(", ", file.Tensors.Keys.Order())}; expected {string.Join(", ", expectedNames.Order())}");
        }

        var parameterEntry = file.Tensors["parameters"];
        if (parameterEntry.Dtype != "F32" || parameterEntry.Shape is not [var length] || length != parameters.Length)
        {
            throw Refused(path, $"its parameters are {parameterEntry.Dtype} {parameterEntry.ShapeText}; expected F32 [{parameters.Length}]");
        }

        var blocks = new List<float[]>();
        foreach (var name in optimizer.StateNames)
        {
            var entry = file.Tensors["optimizer." + name];
            if (entry.Dtype != "F32" || entry.Shape is not [var stateLength] || (stateLength != 0 && stateLength != parameters.Length))
            {
                throw Refused(path, $"its optimizer.{name} is {entry.Dtype} {entry.ShapeText}; expected F32 [{parameters.Length}] or [0]");
            }

            blocks.Add(file.Floats(entry).ToArray());
        }

        if (blocks.Any(block => block.Length != blocks[0].Length))
        {
            throw Refused(path, "its optimizer state blocks differ in length");
        }

        var stepCount = Number(path, Get("optimizer.step_count"));
        var learningRateBits = Get("optimizer.learning_rate");
        if (!int.TryParse(learningRateBits, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var bits)
            || !float.IsFinite(BitConverter.Int32BitsToSingle(bits)) || BitConverter.Int32BitsToSingle(bits) < 0)
        {
            throw Refused(path, $"its learning rate '{learningRateBits}' is not valid");
        }

        if (!ulong.TryParse(Get("rng_seed"), NumberStyles.None, CultureInfo.InvariantCulture, out var rngSeed))
        {
            throw Refused(path, $"its rng_seed '{metadata["rng_seed"]}' is not a number");
        }

        var state = new CheckpointState(Number(path, Get("step")), Number(path, Get("epoch")), rngSeed, Number(path, Get("rng_step"))) { Notes = Notes(metadata) };

        // All checked: nothing below can fail.
        optimizer.RestoreState(stepCount, blocks);
        optimizer.LearningRate = BitConverter.Int32BitsToSingle(bits);
        file.Floats(parameterEntry).CopyTo(parameters.Span);
        return state;
    }

    /// <summary>
    /// The caller's notes in the checkpoint at <paramref name="path"/> (<see cref="CheckpointState.Notes"/>), without
    /// loading it: a trainer compares its options with them before it builds anything to load into.
    /// </summary>
    /// <exception cref="SafeTensorsException">The file is not a valid .safetensors file.</exception>
    public static IReadOnlyDictionary<string, string> ReadNotes(string path) => Notes(SafeTensorsFile.Read(path).Metadata);

    private static Dictionary<string, string> Notes(IReadOnlyDictionary<string, string> metadata) =>
        metadata.Where(pair => pair.Key.StartsWith(NotePrefix, StringComparison.Ordinal))
            .ToDictionary(pair => pair.Key[NotePrefix.Length..], pair => pair.Value, StringComparer.Ordinal);

    private static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static long Number(string path, string text) =>
        long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) && value >= 0
            ? value
            : throw Refused(path, $"'{text}' is not a non-negative integer");

    private static string Layout(ParameterStore parameters) =>
        string.Join(";", parameters.Tensors.Select(tensor => $"{tensor.Name}@{tensor.Offset}{tensor.ShapeText}")) + $";length={parameters.Length}";

    private static string Checksum(byte[] data, IReadOnlyDictionary<string, string> metadata)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(data);
        foreach (var (key, value) in metadata.Where(pair => pair.Key != "checksum").OrderBy(pair => pair.Key, StringComparer.Ordinal))
        {
            hash.AppendData(Encoding.UTF8.GetBytes($"\n{key.Length}:{key}={value.Length}:{value}"));
        }

        return "sha256:" + Convert.ToHexString(hash.GetHashAndReset()).ToLowerInvariant();
    }

    private static SafeTensorsException Refused(string path, string reason) => new($"Checkpoint '{path}' cannot be loaded: {reason}.");
}
