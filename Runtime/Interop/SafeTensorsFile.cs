using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace InceptionGen.Interop;

/// <summary>One tensor to write: its name, shape and values, written as F32, or as I64 (integral counts, e.g. BatchNorm's <c>num_batches_tracked</c>) when <paramref name="Int64"/>.</summary>
internal readonly record struct TensorToWrite(string Name, long[] Shape, float[] Values, bool Int64 = false);

/// <summary>One tensor's header entry; offsets are relative to the data section.</summary>
internal sealed record TensorEntry(string Name, string Dtype, long[] Shape, long Begin, long End)
{
    public string ShapeText => "[" + string.Join(", ", Shape) + "]";
}

/// <summary>
/// The .safetensors container: an 8-byte little-endian header length N, N bytes of JSON header, then the data.
/// Reading checks the header strictly; writing is atomic (temporary file, flushed, then moved over the target).
/// </summary>
internal sealed class SafeTensorsFile
{
    /// <summary>The largest header accepted: 100 MB (the reference implementation's limit).</summary>
    public const long MaxHeaderLength = 100_000_000;

    private static readonly Dictionary<string, int> s_dtypeSizes = new(StringComparer.Ordinal)
    {
        ["BOOL"] = 1, ["U8"] = 1, ["I8"] = 1, ["F8_E5M2"] = 1, ["F8_E4M3"] = 1,
        ["I16"] = 2, ["U16"] = 2, ["F16"] = 2, ["BF16"] = 2,
        ["I32"] = 4, ["U32"] = 4, ["F32"] = 4,
        ["I64"] = 8, ["U64"] = 8, ["F64"] = 8,
    };

    private SafeTensorsFile(Dictionary<string, TensorEntry> tensors, Dictionary<string, string> metadata, byte[] data)
    {
        Tensors = tensors;
        Metadata = metadata;
        Data = data;
    }

    public IReadOnlyDictionary<string, TensorEntry> Tensors { get; }

    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The data section.</summary>
    public byte[] Data { get; }

    /// <summary>An F32 entry's values, little-endian as stored.</summary>
    public ReadOnlySpan<float> Floats(TensorEntry entry)
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("Reading .safetensors files needs a little-endian machine.");
        }

        return MemoryMarshal.Cast<byte, float>(Data.AsSpan((int)entry.Begin, (int)(entry.End - entry.Begin)));
    }

    /// <summary>An I64 entry's values as floats (exact up to 2^24), little-endian as stored.</summary>
    public float[] Int64AsFloats(TensorEntry entry)
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("Reading .safetensors files needs a little-endian machine.");
        }

        var values = MemoryMarshal.Cast<byte, long>(Data.AsSpan((int)entry.Begin, (int)(entry.End - entry.Begin)));
        var floats = new float[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            floats[i] = values[i];
        }

        return floats;
    }

    /// <summary>Reads and checks a whole file (a pipe is read to its end first).</summary>
    /// <exception cref="SafeTensorsException">The file is truncated, oversized or its header is malformed.</exception>
    public static SafeTensorsFile Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        var stream = SeekableStream.Of(file);
        var fileLength = stream.Length;
        if (fileLength < 8)
        {
            throw Bad(path, $"it is {fileLength} bytes long, shorter than the 8-byte header length");
        }

        Span<byte> prefix = stackalloc byte[8];
        stream.ReadExactly(prefix);
        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (headerLength > MaxHeaderLength)
        {
            throw Bad(path, $"its header claims {headerLength} bytes, more than the {MaxHeaderLength}-byte limit");
        }

        if ((long)headerLength > fileLength - 8)
        {
            throw Bad(path, $"its header claims {headerLength} bytes but only {fileLength - 8} follow the length (truncated?)");
        }

        var dataLength = fileLength - 8 - (long)headerLength;
        if (dataLength > Array.MaxLength)
        {
            throw Bad(path, $"its data section of {dataLength} bytes is too large to load");
        }

        var header = new byte[headerLength];
        stream.ReadExactly(header);
        var (tensors, metadata) = ParseHeader(path, header, dataLength);
        var data = new byte[dataLength];
        stream.ReadExactly(data);
        return new SafeTensorsFile(tensors, metadata, data);
    }

    private static (Dictionary<string, TensorEntry>, Dictionary<string, string>) ParseHeader(string path, byte[] header, long dataLength)
    {
        // The JSON reader checks UTF-8 only in the strings it is asked to decode, and then throws InvalidOperationException.
        if (!Utf8.IsValid(header))
        {
            throw Bad(path, "its header is not valid UTF-8");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(header, new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (JsonException exception)
        {
            throw new SafeTensorsException($"'{path}' is not a valid .safetensors file: its header is not valid JSON ({exception.Message})", exception);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw Bad(path, "its header is not a JSON object");
            }

            var tensors = new Dictionary<string, TensorEntry>(StringComparer.Ordinal);
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var seenMetadata = false;
            foreach (var property in root.EnumerateObject())
            {
                if (property.Name == "__metadata__")
                {
                    if (seenMetadata || property.Value.ValueKind != JsonValueKind.Object)
                    {
                        throw Bad(path, "its __metadata__ is repeated or not an object");
                    }

                    seenMetadata = true;
                    foreach (var item in property.Value.EnumerateObject())
                    {
                        if (item.Value.ValueKind != JsonValueKind.String || !metadata.TryAdd(item.Name, item.Value.GetString()!))
                        {
                            throw Bad(path, $"its __metadata__ entry '{item.Name}' is repeated or not a string");
                        }
                    }

                    continue;
                }

                var entry = ParseEntry(path, property);
                if (!tensors.TryAdd(entry.Name, entry))
                {
                    throw Bad(path, $"tensor '{entry.Name}' appears twice in its header");
                }
            }

            // The data section is the tensors back to back: sorted by start, each begins where the last ended.
            long position = 0;
            foreach (var entry in tensors.Values.OrderBy(entry => entry.Begin).ThenBy(entry => entry.End))
            {
                if (entry.Begin != position)
                {
                    throw Bad(path, entry.Begin < position
                        ? $"tensor '{entry.Name}' overlaps the one before it (it starts at {entry.Begin}, the previous ends at {position})"
                        : $"the data section has a gap before tensor '{entry.Name}' (bytes {position} to {entry.Begin})");
                }

                position = entry.End;
            }

            if (position != dataLength)
            {
                throw Bad(path, position > dataLength
                    ? $"its tensors need {position} bytes of data but only {dataLength} are there (truncated?)"
                    : $"its tensors cover {position} bytes of data but {dataLength} are there");
            }

            return (tensors, metadata);
        }
    }

    private static TensorEntry ParseEntry(string path, JsonProperty property)
    {
        var name = property.Name;
        var value = property.Value;
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw Bad(path, $"the header entry of '{name}' is not an object");
        }

        string? dtype = null;
        long[]? shape = null;
        long[]? offsets = null;
        foreach (var field in value.EnumerateObject())
        {
            switch (field.Name)
            {
                case "dtype" when dtype is null && field.Value.ValueKind == JsonValueKind.String:
                    dtype = field.Value.GetString()!;
                    break;
                case "shape" when shape is null:
                    shape = Integers(path, name, "shape", field.Value);
                    break;
                case "data_offsets" when offsets is null:
                    offsets = Integers(path, name, "data_offsets", field.Value);
                    break;
                default:
                    throw Bad(path, $"the header entry of '{name}' has an unexpected, repeated or mistyped field '{field.Name}'");
            }
        }

        if (dtype is null || shape is null || offsets is null)
        {
            throw Bad(path, $"the header entry of '{name}' lacks one of dtype, shape and data_offsets");
        }

        if (!s_dtypeSizes.TryGetValue(dtype, out var size))
        {
            throw Bad(path, $"tensor '{name}' has the unknown dtype '{dtype}'");
        }

        if (offsets.Length != 2 || offsets[0] > offsets[1])
        {
            throw Bad(path, $"tensor '{name}' has data_offsets that are not [begin, end] with begin ≤ end");
        }

        long bytes = size;
        foreach (var dimension in shape)
        {
            bytes = dimension == 0 ? 0 : bytes > long.MaxValue / dimension ? -1 : bytes * dimension;
            if (bytes < 0)
            {
                throw Bad(path, $"tensor '{name}' has a shape too large to exist");
            }
        }

        if (offsets[1] - offsets[0] != bytes)
        {
            throw Bad(path, $"tensor '{name}' ({dtype}, shape [{string.Join(", ", shape)}]) needs {bytes} bytes but its data_offsets span {offsets[1] - offsets[0]}");
        }

        return new TensorEntry(name, dtype, shape, offsets[0], offsets[1]);
    }

    private static long[] Integers(string path, string name, string field, JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Array)
        {
            throw Bad(path, $"the {field} of '{name}' is not an array");
        }

        var result = new long[value.GetArrayLength()];
        var i = 0;
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt64(out var number) || number < 0)
            {
                throw Bad(path, $"the {field} of '{name}' holds something other than a non-negative integer");
            }

            result[i++] = number;
        }

        return result;
    }

    private static SafeTensorsException Bad(string path, string reason) =>
        new($"'{path}' is not a valid .safetensors file: {reason}.");

    /// <summary>
    /// Writes F32 tensors in the given order, atomically (<see cref="AtomicFile.Write"/>).
    /// </summary>
    public static void Write(string path, IReadOnlyList<TensorToWrite> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("Writing .safetensors files needs a little-endian machine.");
        }

        var header = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(header))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject("__metadata__");
                foreach (var (key, value) in metadata.OrderBy(pair => pair.Key, StringComparer.Ordinal))
                {
                    json.WriteString(key, value);
                }

                json.WriteEndObject();
            }

            long offset = 0;
            foreach (var tensor in tensors)
            {
                json.WriteStartObject(tensor.Name);
                json.WriteString("dtype", tensor.Int64 ? "I64" : "F32");
                json.WriteStartArray("shape");
                foreach (var dimension in tensor.Shape)
                {
                    json.WriteNumberValue(dimension);
                }

                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                offset += (long)tensor.Values.Length * (tensor.Int64 ? sizeof(long) : sizeof(float));
                json.WriteNumberValue(offset);
                json.WriteEndArray();
                json.WriteEndObject();
            }

            json.WriteEndObject();
        }

        // Pad the header with spaces to a multiple of 8 bytes, as the reference writer does, so the data is aligned.
        var padding = (8 - header.WrittenCount % 8) % 8;
        AtomicFile.Write(path, stream =>
        {
            Span<byte> prefix = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)(header.WrittenCount + padding));
            stream.Write(prefix);
            stream.Write(header.WrittenSpan);
            stream.Write(Encoding.ASCII.GetBytes(new string(' ', padding)));
            foreach (var tensor in tensors)
            {
                if (tensor.Int64)
                {
                    stream.Write(MemoryMarshal.AsBytes(tensor.Values.Select(value => (long)value).ToArray().AsSpan()));
                }
                else
                {
                    stream.Write(MemoryMarshal.AsBytes(tensor.Values.AsSpan()));
                }
            }
        });
    }
}
