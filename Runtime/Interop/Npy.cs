using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace InceptionGen.Interop;

/// <summary>The element types <see cref="Npy"/> reads and writes (little-endian).</summary>
public enum NpyDtype
{
    /// <summary><c>&lt;f4</c>.</summary>
    Float32,
    /// <summary><c>&lt;i4</c>.</summary>
    Int32,
    /// <summary><c>&lt;i8</c>.</summary>
    Int64,
}

/// <summary>A C-order array read from a <c>.npy</c> file: its dtype, shape and raw little-endian data.</summary>
public sealed class NpyArray
{
    private readonly byte[] _data;

    internal NpyArray(string path, NpyDtype dtype, int[] shape, byte[] data)
    {
        Path = path;
        Dtype = dtype;
        Shape = shape;
        _data = data;
    }

    /// <summary>The file it was read from (for messages).</summary>
    public string Path { get; }

    public NpyDtype Dtype { get; }

    /// <summary>The shape, outermost first; empty for a scalar.</summary>
    public IReadOnlyList<int> Shape { get; }

    /// <summary>Number of elements (1 for a scalar).</summary>
    public long Count => Npy.ElementCount(Shape);

    /// <summary>The shape as numpy prints it, e.g. <c>(2, 3, 224, 224)</c>.</summary>
    public string ShapeText => Npy.ShapeText(Shape);

    /// <summary>The values of a float32 array.</summary>
    /// <exception cref="InvalidDataException">The array is not float32.</exception>
    public float[] ToFloat32()
    {
        if (Dtype != NpyDtype.Float32)
        {
            throw new InvalidDataException($"'{Path}' holds {Npy.DtypeName(Dtype)} values; float32 is needed.");
        }

        return MemoryMarshal.Cast<byte, float>(_data).ToArray();
    }

    /// <summary>The values of an int64 or int32 array, as 64-bit integers.</summary>
    /// <exception cref="InvalidDataException">The array is float32.</exception>
    public long[] ToInt64()
    {
        return Dtype switch
        {
            NpyDtype.Int64 => MemoryMarshal.Cast<byte, long>(_data).ToArray(),
            NpyDtype.Int32 => Array.ConvertAll(MemoryMarshal.Cast<byte, int>(_data).ToArray(), value => (long)value),
            _ => throw new InvalidDataException($"'{Path}' holds {Npy.DtypeName(Dtype)} values; integers (int64 or int32) are needed."),
        };
    }

    /// <summary>Checks the shape; <c>-1</c> in <paramref name="expected"/> matches any size.</summary>
    /// <exception cref="InvalidDataException">The shape differs; the message names both.</exception>
    public void RequireShape(params ReadOnlySpan<int> expected)
    {
        var matches = expected.Length == Shape.Count;
        for (var i = 0; matches && i < expected.Length; i++)
        {
            matches = expected[i] < 0 || expected[i] == Shape[i];
        }

        if (!matches)
        {
            var wanted = "(" + string.Join(", ", expected.ToArray().Select(d => d < 0 ? "N" : d.ToString(CultureInfo.InvariantCulture))) + (expected.Length == 1 ? ",)" : ")");
            throw new InvalidDataException($"'{Path}' has shape {ShapeText}; {wanted} is needed.");
        }
    }
}

/// <summary>
/// Reads and writes numpy's <c>.npy</c> files (format versions 1.0 and 2.0): float32, int32 and int64, little-endian,
/// C order. Reading is strict: the magic, the version, a bounded header that must be exactly numpy's dictionary
/// (<c>descr</c>, <c>fortran_order</c>, <c>shape</c>), and a data section of exactly the shape's size; anything else is an
/// <see cref="InvalidDataException"/> naming the file and the problem. Writing is atomic (temporary file, then rename).
/// </summary>
public static class Npy
{
    /// <summary>The largest header read, numpy's own default limit (<c>max_header_size</c>).</summary>
    public const int MaxHeaderLength = 10_000;

    private static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>Reads and checks a whole file.</summary>
    /// <exception cref="InvalidDataException">The file is not a well-formed .npy of a supported dtype in C order.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    /// <remarks>A pipe (<c>--input &lt;(cat x.npy)</c>) is read to its end first.</remarks>
    public static NpyArray Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        var stream = SeekableStream.Of(file);
        var fileLength = stream.Length;
        Span<byte> preamble = stackalloc byte[12];
        if (fileLength < 10)
        {
            throw Bad(path, $"it is {fileLength} bytes long, shorter than the smallest header");
        }

        stream.ReadExactly(preamble[..8]);
        if (!preamble[..6].SequenceEqual(Magic))
        {
            throw Bad(path, "it does not start with the .npy magic \\x93NUMPY");
        }

        var (major, minor) = (preamble[6], preamble[7]);
        int prefixLength;
        long headerLength;
        if (major == 1 && minor == 0)
        {
            stream.ReadExactly(preamble[8..10]);
            prefixLength = 10;
            headerLength = BinaryPrimitives.ReadUInt16LittleEndian(preamble[8..10]);
        }
        else if (major == 2 && minor == 0)
        {
            if (fileLength < 12)
            {
                throw Bad(path, $"it is {fileLength} bytes long, shorter than a version 2.0 header");
            }

            stream.ReadExactly(preamble[8..12]);
            prefixLength = 12;
            headerLength = BinaryPrimitives.ReadUInt32LittleEndian(preamble[8..12]);
        }
        else
        {
            throw Bad(path, $"its format version is {major}.{minor}; only 1.0 and 2.0 are read");
        }

        if (headerLength > MaxHeaderLength)
        {
            throw Bad(path, $"its header claims {headerLength} bytes, more than the {MaxHeaderLength}-byte limit");
        }

        if (headerLength > fileLength - prefixLength)
        {
            throw Bad(path, $"its header claims {headerLength} bytes but only {fileLength - prefixLength} follow (truncated?)");
        }

        var header = new byte[headerLength];
        stream.ReadExactly(header);
        var (dtype, shape) = ParseHeader(path, header);
        var expectedBytes = ByteCount(shape, dtype);
        var dataLength = fileLength - prefixLength - headerLength;
        if (dataLength != expectedBytes)
        {
            throw Bad(path, dataLength < expectedBytes
                ? $"its shape {ShapeText(shape)} of {DtypeName(dtype)} needs {expectedBytes} data bytes but only {dataLength} are there (truncated?)"
                : $"its shape {ShapeText(shape)} of {DtypeName(dtype)} needs {expectedBytes} data bytes but {dataLength} are there (trailing bytes)");
        }

        if (expectedBytes > Array.MaxLength)
        {
            throw Bad(path, $"its {expectedBytes} data bytes are too many to load");
        }

        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("Reading .npy files needs a little-endian machine.");
        }

        var data = new byte[expectedBytes];
        stream.ReadExactly(data);
        return new NpyArray(path, dtype, shape, data);
    }

    /// <summary>Writes float32 <paramref name="values"/> with <paramref name="shape"/> (C order), atomically.</summary>
    public static void Write(string path, ReadOnlySpan<float> values, params ReadOnlySpan<int> shape)
        => Write(path, NpyDtype.Float32, MemoryMarshal.AsBytes(values), values.Length, shape);

    /// <summary>Writes int64 <paramref name="values"/> with <paramref name="shape"/> (C order), atomically.</summary>
    public static void Write(string path, ReadOnlySpan<long> values, params ReadOnlySpan<int> shape)
        => Write(path, NpyDtype.Int64, MemoryMarshal.AsBytes(values), values.Length, shape);

    /// <summary>Writes int32 <paramref name="values"/> with <paramref name="shape"/> (C order), atomically.</summary>
    public static void Write(string path, ReadOnlySpan<int> values, params ReadOnlySpan<int> shape)
        => Write(path, NpyDtype.Int32, MemoryMarshal.AsBytes(values), values.Length, shape);

    private static void Write(string path, NpyDtype dtype, ReadOnlySpan<byte> data, int count, ReadOnlySpan<int> shape)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var dimensions = shape.ToArray();
        if (dimensions.Any(d => d < 0) || ElementCount(dimensions) != count)
        {
            throw new ArgumentException($"The shape {ShapeText(dimensions)} does not hold {count} values.", nameof(shape));
        }

        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("Writing .npy files needs a little-endian machine.");
        }

        // numpy's own layout: the dictionary, spaces, a newline, so that the data starts on a 64-byte boundary.
        var dictionary = $"{{'descr': '{Descr(dtype)}', 'fortran_order': False, 'shape': {ShapeText(dimensions)}, }}";
        var version2 = dictionary.Length + 1 + 10 > ushort.MaxValue;
        var prefixLength = version2 ? 12 : 10;
        var headerLength = (prefixLength + dictionary.Length + 1 + 63) / 64 * 64 - prefixLength;
        var header = new byte[prefixLength + headerLength];
        Magic.CopyTo(header);
        header[6] = version2 ? (byte)2 : (byte)1;
        if (version2)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(8), (uint)headerLength);
        }
        else
        {
            BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(8), (ushort)headerLength);
        }

        var text = header.AsSpan(prefixLength);
        text.Fill((byte)' ');
        Encoding.ASCII.GetBytes(dictionary, text);
        text[^1] = (byte)'\n';
        var bytes = data.ToArray();
        AtomicFile.Write(path, stream =>
        {
            stream.Write(header);
            stream.Write(bytes);
        });
    }

    internal static long ElementCount(IReadOnlyList<int> shape)
    {
        long count = 1;
        foreach (var dimension in shape)
        {
            count = checked(count * dimension);
        }

        return count;
    }

    /// <summary>A shape as numpy prints it: <c>(2, 3)</c>, <c>(5,)</c>, <c>()</c>.</summary>
    public static string ShapeText(IReadOnlyList<int> shape)
        => shape.Count == 1 ? $"({shape[0]},)" : "(" + string.Join(", ", shape) + ")";

    internal static string DtypeName(NpyDtype dtype) => dtype switch
    {
        NpyDtype.Float32 => "float32",
        NpyDtype.Int32 => "int32",
        _ => "int64",
    };

    private static string Descr(NpyDtype dtype) => dtype switch
    {
        NpyDtype.Float32 => "<f4",
        NpyDtype.Int32 => "<i4",
        _ => "<i8",
    };

    private static int ElementSize(NpyDtype dtype) => dtype == NpyDtype.Int64 ? 8 : 4;

    /// <summary>The data section's size; checked, so a huge declared shape is refused instead of wrapping around (to 0, say).</summary>
    private static long ByteCount(IReadOnlyList<int> shape, NpyDtype dtype) => checked(ElementCount(shape) * ElementSize(dtype));

    /// <summary>
    /// Parses numpy's header: a Python dictionary literal with exactly the keys <c>descr</c>, <c>fortran_order</c> and
    /// <c>shape</c> (any order, an optional trailing comma), padded with spaces and ended by a newline.
    /// </summary>
    private static (NpyDtype Dtype, int[] Shape) ParseHeader(string path, byte[] bytes)
    {
        if (bytes.Length == 0 || bytes[^1] != (byte)'\n')
        {
            throw Bad(path, "its header does not end with a newline");
        }

        if (bytes.Any(b => b >= 0x80))
        {
            throw Bad(path, "its header is not ASCII");
        }

        var reader = new HeaderReader(path, Encoding.ASCII.GetString(bytes, 0, bytes.Length - 1));
        string? descr = null;
        bool? fortran = null;
        int[]? shape = null;
        reader.Expect('{');
        while (!reader.TryTake('}'))
        {
            var key = reader.String();
            reader.Expect(':');
            switch (key)
            {
                case "descr" when descr is null:
                    descr = reader.String();
                    break;
                case "fortran_order" when fortran is null:
                    fortran = reader.Boolean();
                    break;
                case "shape" when shape is null:
                    shape = reader.Tuple();
                    break;
                default:
                    throw Bad(path, $"its header has an unexpected or repeated key '{key}'");
            }

            if (!reader.TryTake(','))
            {
                reader.Expect('}');
                break;
            }
        }

        reader.End();
        if (descr is null || fortran is null || shape is null)
        {
            throw Bad(path, "its header lacks one of 'descr', 'fortran_order' and 'shape'");
        }

        if (fortran.Value)
        {
            throw Bad(path, "it is in Fortran order; only C order is read (numpy.ascontiguousarray fixes that)");
        }

        var dtype = descr switch
        {
            "<f4" => NpyDtype.Float32,
            "<i4" => NpyDtype.Int32,
            "<i8" => NpyDtype.Int64,
            ">f4" or ">i4" or ">i8" => throw Bad(path, $"its dtype '{descr}' is big-endian; only little-endian is read"),
            _ => throw Bad(path, $"its dtype is '{descr}'; only float32 ('<f4'), int32 ('<i4') and int64 ('<i8') are read"),
        };
        try
        {
            _ = ByteCount(shape, dtype);
        }
        catch (OverflowException)
        {
            throw Bad(path, $"its shape {ShapeText(shape)} is too large to exist");
        }

        return (dtype, shape);
    }

    private static InvalidDataException Bad(string path, string reason) => new($"'{path}' is not a valid .npy file: {reason}.");

    /// <summary>A cursor over the header text; spaces between tokens are skipped.</summary>
    private sealed class HeaderReader(string path, string text)
    {
        private int _position;

        public void Expect(char c)
        {
            if (!TryTake(c))
            {
                throw Unexpected($"'{c}'");
            }
        }

        public bool TryTake(char c)
        {
            SkipSpaces();
            if (_position < text.Length && text[_position] == c)
            {
                _position++;
                return true;
            }

            return false;
        }

        public string String()
        {
            SkipSpaces();
            if (_position >= text.Length || text[_position] is not ('\'' or '"'))
            {
                throw Unexpected("a quoted string");
            }

            var quote = text[_position];
            var end = text.IndexOf(quote, _position + 1);
            if (end < 0 || text.AsSpan(_position + 1, end - _position - 1).Contains('\\'))
            {
                throw Unexpected("a plain quoted string");
            }

            var value = text[(_position + 1)..end];
            _position = end + 1;
            return value;
        }

        public bool Boolean()
        {
            SkipSpaces();
            foreach (var (word, value) in new[] { ("True", true), ("False", false) })
            {
                if (string.CompareOrdinal(text, _position, word, 0, word.Length) == 0)
                {
                    _position += word.Length;
                    return value;
                }
            }

            throw Unexpected("True or False");
        }

        /// <summary>A tuple of non-negative integers: <c>()</c>, <c>(n,)</c>, <c>(n, m)</c>, <c>(n, m,)</c>.</summary>
        public int[] Tuple()
        {
            Expect('(');
            var values = new List<int>();
            var trailingComma = false;
            while (!TryTake(')'))
            {
                SkipSpaces();
                var start = _position;
                while (_position < text.Length && char.IsAsciiDigit(text[_position]))
                {
                    _position++;
                }

                if (_position == start || !int.TryParse(text.AsSpan(start, _position - start), NumberStyles.None, CultureInfo.InvariantCulture, out var value))
                {
                    throw Unexpected("a dimension (a non-negative integer below 2^31)");
                }

                values.Add(value);
                trailingComma = TryTake(',');
                if (!trailingComma)
                {
                    Expect(')');
                    break;
                }
            }

            if (values.Count == 1 && !trailingComma)
            {
                throw Bad(path, "its shape '(n)' is not a tuple; numpy writes '(n,)'");
            }

            return [.. values];
        }

        public void End()
        {
            SkipSpaces();
            if (_position != text.Length)
            {
                throw Unexpected("the end of the header");
            }
        }

        private void SkipSpaces()
        {
            while (_position < text.Length && text[_position] == ' ')
            {
                _position++;
            }
        }

        private InvalidDataException Unexpected(string expected)
        {
            var found = _position < text.Length ? $"'{text[_position..Math.Min(text.Length, _position + 20)]}'" : "the end";
            return Bad(path, $"its header has {found} at character {_position} where {expected} should be");
        }
    }
}
