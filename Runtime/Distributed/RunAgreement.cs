using System.Security.Cryptography;
using System.Text;
using InceptionGen.Training;

namespace InceptionGen.Distributed;

/// <summary>Every rank of a data-parallel run must train the same network with the same options on the same data.</summary>
public sealed class RunMismatchException(string message) : Exception(message);

/// <summary>
/// Checks that every rank describes its run the same way. A description is <c>key=value</c> lines; each rank
/// broadcasts its own in turn, so every rank sees every description and throws the same
/// <see cref="RunMismatchException"/>, naming the ranks and the lines that differ from rank 0's.
/// </summary>
public static class RunAgreement
{
    /// <summary>
    /// The lines that describe a training state: the network type, its parameter count, SHA-256 of its
    /// parameters (so the seed or a loaded checkpoint agree), and the optimizer's type, step count, learning rate
    /// and state.
    /// </summary>
    public static string Describe(ITrainableNetwork network, IOptimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(optimizer);
        var text = new StringBuilder();
        text.Append("network=").Append(network.GetType().FullName).Append('\n');
        text.Append("parameters=").Append(network.Parameters.Length).Append('\n');
        text.Append("parameter_sha256=").Append(Hash(network.Parameters.ReadOnlySpan)).Append('\n');
        text.Append("dropout_seed=").Append(network.DropoutSeed).Append('\n');
        text.Append("training_step=").Append(network.TrainingStep).Append('\n');
        text.Append("optimizer=").Append(optimizer.GetType().Name).Append('\n');
        text.Append("optimizer_steps=").Append(optimizer.StepCount).Append('\n');
        text.Append(System.Globalization.CultureInfo.InvariantCulture, $"learning_rate={optimizer.LearningRate:R}\n");
        if (optimizer is IOptimizerState state)
        {
            for (var i = 0; i < state.StateNames.Count; i++)
            {
                text.Append("optimizer_").Append(state.StateNames[i]).Append("_sha256=").Append(Hash(state.GetState(i))).Append('\n');
            }
        }

        return text.ToString();
    }

    /// <summary>SHA-256 of some floats (or any data), in hex: for a description line about data.</summary>
    public static string Hash<T>(ReadOnlySpan<T> values)
        where T : unmanaged
        => Convert.ToHexStringLower(SHA256.HashData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values)));

    /// <summary>Returns if every rank passed the same <paramref name="description"/>; otherwise throws, on every rank.</summary>
    /// <exception cref="RunMismatchException">Some rank's description differs from rank 0's.</exception>
    public static void Check(Communicator communicator, string description)
    {
        ArgumentNullException.ThrowIfNull(communicator);
        ArgumentNullException.ThrowIfNull(description);
        var descriptions = new string[communicator.Size];
        var mine = Encoding.UTF8.GetBytes(description);
        for (var root = 0; root < communicator.Size; root++)
        {
            var length = BitConverter.GetBytes(root == communicator.Rank ? mine.Length : 0);
            communicator.Broadcast(length, root);
            var bytes = root == communicator.Rank ? mine : new byte[BitConverter.ToInt32(length)];
            communicator.Broadcast(bytes, root);
            descriptions[root] = Encoding.UTF8.GetString(bytes);
        }

        var reference = Lines(descriptions[0]);
        var differences = new List<string>();
        for (var rank = 1; rank < descriptions.Length; rank++)
        {
            if (descriptions[rank] == descriptions[0])
            {
                continue;
            }

            var lines = Lines(descriptions[rank]);
            var keys = reference.Keys.Union(lines.Keys).Where(key => reference.GetValueOrDefault(key) != lines.GetValueOrDefault(key)).Order(StringComparer.Ordinal);
            differences.Add($"rank {rank} has {string.Join(", ", keys.Select(key => $"{key}={lines.GetValueOrDefault(key) ?? "(none)"} (rank 0: {reference.GetValueOrDefault(key) ?? "(none)"})"))}");
        }

        if (differences.Count > 0)
        {
            throw new RunMismatchException($"the {descriptions.Length} ranks do not run the same network, options and data: {string.Join("; ", differences)}");
        }
    }

    private static Dictionary<string, string> Lines(string description)
    {
        var lines = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in description.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = line.IndexOf('=', StringComparison.Ordinal);
            lines[equals < 0 ? line : line[..equals]] = equals < 0 ? "" : line[(equals + 1)..];
        }

        return lines;
    }
}
