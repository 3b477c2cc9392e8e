using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace InceptionGen.Tests.Interop;

/// <summary>A temporary directory per test, and .safetensors bytes built by hand from the spec.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory() => Path = Directory.CreateTempSubdirectory("inceptiongen-interop-").FullName;

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose() => Directory.Delete(Path, recursive: true);
}

internal static class InteropFiles
{
    /// <summary>A small store with GoogLeNet-style names, gaps between tensors, filled from <paramref name="seed"/>.</summary>
    public static ParameterStore SmallStore(int seed)
    {
        ParameterTensor[] tensors =
        [
            new("Conv1.Weights", 0, [4, 3, 3, 3], ParameterRole.Weight, 27, true, false),
            new("Conv1.Bias", 112, [4], ParameterRole.Bias, 27, true, false),
            new("Inception3a.Branch2Reduce.Weights", 128, [2, 4, 1, 1], ParameterRole.Weight, 4, true, false),
            new("Inception3a.Branch2Reduce.Bias", 144, [2], ParameterRole.Bias, 4, true, false),
            new("Classifier.Weights", 160, [3, 2], ParameterRole.Weight, 2, false, false),
            new("Classifier.Bias", 176, [3], ParameterRole.Bias, 2, false, false),
        ];
        var store = new ParameterStore(tensors, 192);
        var random = new Random(seed);
        var values = store.Span;
        foreach (var tensor in tensors)
        {
            for (var i = 0; i < tensor.Length; i++)
            {
                values[tensor.Offset + i] = (float)(random.NextDouble() * 2 - 1);
            }
        }

        return store;
    }

    /// <summary>The file: 8-byte little-endian header length, the header's UTF-8 bytes, the data.</summary>
    public static byte[] Raw(string header, byte[] data)
    {
        var headerBytes = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + headerBytes.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)headerBytes.Length);
        headerBytes.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + headerBytes.Length);
        return bytes;
    }

    /// <summary>One header entry with explicit offsets.</summary>
    public static string Entry(string name, string dtype, long[] shape, long begin, long end) =>
        $"\"{name}\":{{\"dtype\":\"{dtype}\",\"shape\":[{string.Join(",", shape)}],\"data_offsets\":[{begin},{end}]}}";

    /// <summary>A well-formed file of F32 tensors laid out back to back in the given order.</summary>
    public static byte[] Build(params (string Name, long[] Shape, float[] Values)[] tensors)
    {
        var entries = new List<string>();
        var data = new List<byte>();
        foreach (var (name, shape, values) in tensors)
        {
            var bytes = MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
            entries.Add(Entry(name, "F32", shape, data.Count, data.Count + bytes.Length));
            data.AddRange(bytes);
        }

        return Raw("{" + string.Join(",", entries) + "}", [.. data]);
    }

    /// <summary>One tensor's values as PyTorch would name and shape them.</summary>
    public static (string Name, long[] Shape, float[] Values) Tensor(ParameterStore store, string declaredName)
    {
        var tensor = store.Find(declaredName)!;
        return (InceptionGen.Interop.PyTorchNames.From(declaredName), [.. tensor.Shape.Select(d => (long)d)],
            store.ReadOnlySpan.Slice(tensor.Offset, tensor.Length).ToArray());
    }

    public static (string Name, long[] Shape, float[] Values)[] AllTensors(ParameterStore store) =>
        [.. store.Tensors.Select(tensor => Tensor(store, tensor.Name))];
}
