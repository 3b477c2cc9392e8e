using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using InceptionGen.Interop;
using InceptionGen.Tests.Network;
using Xunit;

namespace InceptionGen.Tests.Interop;

public sealed class NpyTests
{
    [Theory]
    [InlineData(new[] { 2, 3, 4, 5 })]
    [InlineData(new[] { 7 })]
    [InlineData(new int[0])]
    [InlineData(new[] { 0, 3 })]
    public void Float32RoundTripIsBitIdentical(int[] shape)
    {
        using var directory = new TempDirectory();
        var path = directory.File("x.npy");
        var values = Values(shape, 1);
        if (values.Length > 2)
        {
            values[1] = float.NaN;
            values[2] = -0f;
        }

        Npy.Write(path, values, shape);
        var array = Npy.Read(path);

        Assert.Equal(NpyDtype.Float32, array.Dtype);
        Assert.Equal(shape, array.Shape);
        Differential.AssertBitwiseEqual(values, array.ToFloat32(), "read back");
        // numpy's layout: version 1.0, the data on a 64-byte boundary, the header ending in a newline.
        var bytes = File.ReadAllBytes(path);
        var headerLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8));
        Assert.Equal(1, bytes[6]);
        Assert.Equal(0, (10 + headerLength) % 64);
        Assert.Equal((byte)'\n', bytes[10 + headerLength - 1]);
        Assert.Equal(10 + headerLength + values.Length * 4, bytes.Length);
    }

    [Fact]
    public void IntegersRoundTripAndInt32WidensToInt64()
    {
        using var directory = new TempDirectory();
        long[] longs = [0, -1, long.MaxValue, long.MinValue, 5];
        int[] ints = [3, -7, int.MaxValue, int.MinValue, 0, 1];
        Npy.Write(directory.File("l.npy"), longs, 5);
        Npy.Write(directory.File("i.npy"), ints, 2, 3);

        var l = Npy.Read(directory.File("l.npy"));
        var i = Npy.Read(directory.File("i.npy"));

        Assert.Equal(NpyDtype.Int64, l.Dtype);
        Assert.Equal(longs, l.ToInt64());
        Assert.Equal(NpyDtype.Int32, i.Dtype);
        Assert.Equal([2, 3], i.Shape);
        Assert.Equal(ints.Select(v => (long)v), i.ToInt64());
    }

    [Fact]
    public void Version2HeadersAreRead()
    {
        using var directory = new TempDirectory();
        var path = directory.File("v2.npy");
        File.WriteAllBytes(path, Raw(2, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", [1.5f, -2f]));

        var array = Npy.Read(path);

        Assert.Equal([2], array.Shape);
        Assert.Equal([1.5f, -2f], array.ToFloat32());
    }

    [Theory]
    [InlineData("{\"descr\":\"<f4\",\"shape\":(2,),\"fortran_order\":False}")]  // other quotes, order, no spaces or trailing comma
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (2, ), }")]
    public void HeaderVariantsThatNumpyWritesOrAcceptsAreRead(string header)
    {
        using var directory = new TempDirectory();
        var path = directory.File("x.npy");
        File.WriteAllBytes(path, Raw(1, header, [1f, 2f]));

        Assert.Equal([1f, 2f], Npy.Read(path).ToFloat32());
    }

    public static TheoryData<string, byte[], string> CorruptFiles()
    {
        const string good = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }";
        float[] four = [1f, 2f, 3f, 4f];
        var valid = Raw(1, good, four);
        var data = new TheoryData<string, byte[], string>
        {
            { "truncated data", valid[..^1], "needs 16 data bytes but only 15 are there (truncated?)" },
            { "trailing bytes", [.. valid, 0], "needs 16 data bytes but 17 are there (trailing bytes)" },
            { "truncated header", valid[..40], "only 30 follow (truncated?)" },
            { "empty", [], "shorter than the smallest header" },
            { "wrong magic", [0x93, .. "NUMPZ"u8, .. valid[6..]], "does not start with the .npy magic" },
            { "version 3.0", Raw(3, good, four), "format version is 3.0" },
            { "oversized header", [.. valid[..8], .. BitConverter.GetBytes((ushort)60_000), .. new byte[60_100]], "more than the 10000-byte limit" },
            { "fortran order", Raw(1, good.Replace("False", "True", StringComparison.Ordinal), four), "Fortran order" },
            { "big-endian", Raw(1, good.Replace("<f4", ">f4", StringComparison.Ordinal), four), "big-endian" },
            { "float64", Raw(1, good.Replace("<f4", "<f8", StringComparison.Ordinal), [.. four, .. four]), "dtype is '<f8'" },
            { "missing key", Raw(1, "{'descr': '<f4', 'shape': (2, 2), }", four), "lacks one of" },
            { "unknown key", Raw(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), 'x': 1}", four), "unexpected or repeated key 'x'" },
            { "repeated key", Raw(1, "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (4,)}", four), "unexpected or repeated key 'descr'" },
            { "shape not a tuple", Raw(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (4), }", four), "is not a tuple" },
            { "negative dimension", Raw(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (-4,), }", four), "a dimension" },
            { "huge shape", Raw(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2147483647, 2147483647, 2147483647), }", four), "too large to exist" },
            { "junk after the dictionary", Raw(1, good + " x", four), "the end of the header" },
            { "not a dictionary", Raw(1, "['descr', '<f4']", four), "where '{' should be" },
        };
        var noNewline = Raw(1, good, four);
        noNewline[10 + BinaryPrimitives.ReadUInt16LittleEndian(noNewline.AsSpan(8)) - 1] = (byte)' ';
        data.Add("no newline", noNewline, "does not end with a newline");
        return data;
    }

    [Theory]
    [MemberData(nameof(CorruptFiles))]
    public void CorruptFilesAreRefusedWithOneClearMessage(string what, byte[] bytes, string expected)
    {
        using var directory = new TempDirectory();
        var path = directory.File("bad.npy");
        File.WriteAllBytes(path, bytes);

        var exception = Assert.Throws<InvalidDataException>(() => Npy.Read(path));

        Assert.Contains(expected, exception.Message, StringComparison.Ordinal);
        Assert.StartsWith($"'{path}' is not a valid .npy file: ", exception.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', exception.Message);
        Assert.False(string.IsNullOrEmpty(what));
    }

    [Fact]
    public void WrongDtypeAndShapeAreClearErrors()
    {
        using var directory = new TempDirectory();
        Npy.Write(directory.File("f.npy"), new float[6], 2, 3);
        Npy.Write(directory.File("l.npy"), new long[2], 2);
        var floats = Npy.Read(directory.File("f.npy"));
        var longs = Npy.Read(directory.File("l.npy"));

        Assert.Contains("holds int64 values; float32 is needed", Assert.Throws<InvalidDataException>(longs.ToFloat32).Message, StringComparison.Ordinal);
        Assert.Contains("holds float32 values; integers", Assert.Throws<InvalidDataException>(floats.ToInt64).Message, StringComparison.Ordinal);
        floats.RequireShape(-1, 3);
        Assert.Contains("has shape (2, 3); (N, 4) is needed", Assert.Throws<InvalidDataException>(() => floats.RequireShape(-1, 4)).Message, StringComparison.Ordinal);
        Assert.Contains("has shape (2,); (N, 2) is needed", Assert.Throws<InvalidDataException>(() => longs.RequireShape(-1, 2)).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => Npy.Write(directory.File("bad.npy"), new float[5], 2, 3));
        Assert.False(File.Exists(directory.File("bad.npy")));
    }

    [Fact]
    public void WritingIsAtomic()
    {
        using var directory = new TempDirectory();
        var path = directory.File("x.npy");
        Npy.Write(path, [1f, 2f], 2);
        Npy.Write(path, [3f, 4f, 5f], 3);

        Assert.Equal([3f, 4f, 5f], Npy.Read(path).ToFloat32());
        Assert.Equal(["x.npy"], Directory.GetFiles(directory.Path).Select(Path.GetFileName));
        // A directory in the way: the move fails, the temporary file is gone, nothing else changed.
        var blocked = directory.File("blocked.npy");
        Directory.CreateDirectory(blocked);
        Assert.ThrowsAny<IOException>(() => Npy.Write(blocked, [1f], 1));
        Assert.Equal(["x.npy"], Directory.GetFiles(directory.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void NumpyReadsOurFilesAndWeReadNumpys()
    {
        Python.RequireModules("numpy");
        using var directory = new TempDirectory();
        var floats = Values([2, 3, 4], 5);
        Npy.Write(directory.File("ours_f4.npy"), floats, 2, 3, 4);
        Npy.Write(directory.File("ours_i8.npy"), new long[] { 1, -2, 1L << 40 }, 3);
        Npy.Write(directory.File("ours_i4.npy"), new[] { 7, -8 }, 1, 2);
        const string script = """
            import sys, numpy as np
            d = sys.argv[1]
            f = np.load(d + '/ours_f4.npy'); i8 = np.load(d + '/ours_i8.npy'); i4 = np.load(d + '/ours_i4.npy')
            print(f.dtype, f.shape, f.flags['C_CONTIGUOUS'], ' '.join(repr(float(v)) for v in f.ravel()))
            print(i8.dtype, i8.shape, ' '.join(str(v) for v in i8), i4.dtype, i4.shape, ' '.join(str(v) for v in i4.ravel()))
            a = (np.arange(24, dtype=np.float32).reshape(2, 3, 4) - 11.5) / 3
            np.save(d + '/numpy_f4.npy', a)
            np.save(d + '/numpy_i8.npy', np.array([3, 1, 4, 1 << 50], dtype=np.int64))
            np.save(d + '/numpy_i4.npy', np.array([[9, -9]], dtype=np.int32))
            np.save(d + '/numpy_scalar.npy', np.float32(2.5))
            np.save(d + '/numpy_fortran.npy', np.asfortranarray(a))
            np.save(d + '/numpy_f8.npy', a.astype(np.float64))
            np.lib.format.write_array(open(d + '/numpy_v2.npy', 'wb'), a, version=(2, 0))
            """;

        var lines = Python.RunChecked(["-c", script, directory.Path], TimeSpan.FromMinutes(1)).Split('\n');

        Assert.Equal("float32 (2, 3, 4) True " + string.Join(' ', floats.Select(PythonRepr)), lines[0]);
        Assert.Equal($"int64 (3,) 1 -2 {1L << 40} int32 (1, 2) 7 -8", lines[1]);
        var expected = Enumerable.Range(0, 24).Select(v => (v - 11.5f) / 3).ToArray();
        var numpyFloats = Npy.Read(directory.File("numpy_f4.npy"));
        Assert.Equal([2, 3, 4], numpyFloats.Shape);
        Differential.AssertBitwiseEqual(expected, numpyFloats.ToFloat32(), "numpy's float32");
        Differential.AssertBitwiseEqual(expected, Npy.Read(directory.File("numpy_v2.npy")).ToFloat32(), "numpy's version 2.0 file");
        Assert.Equal([3L, 1, 4, 1L << 50], Npy.Read(directory.File("numpy_i8.npy")).ToInt64());
        Assert.Equal([9L, -9], Npy.Read(directory.File("numpy_i4.npy")).ToInt64());
        var scalar = Npy.Read(directory.File("numpy_scalar.npy"));
        Assert.Empty(scalar.Shape);
        Assert.Equal([2.5f], scalar.ToFloat32());
        Assert.Contains("Fortran order", Assert.Throws<InvalidDataException>(() => Npy.Read(directory.File("numpy_fortran.npy"))).Message, StringComparison.Ordinal);
        Assert.Contains("dtype is '<f8'", Assert.Throws<InvalidDataException>(() => Npy.Read(directory.File("numpy_f8.npy"))).Message, StringComparison.Ordinal);
    }

    /// <summary>Python's repr of a float32 widened to a double: the shortest text that round-trips the double.</summary>
    private static string PythonRepr(float value)
    {
        var text = ((double)value).ToString("R", CultureInfo.InvariantCulture);
        return text.Contains('.', StringComparison.Ordinal) || text.Contains('E', StringComparison.Ordinal) ? text.Replace("E", "e", StringComparison.Ordinal) : text + ".0";
    }

    private static float[] Values(int[] shape, int seed)
    {
        var random = new Random(seed);
        var count = shape.Aggregate(1, (a, b) => a * b);
        return [.. Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() * 4 - 2))];
    }

    /// <summary>A .npy file built by hand: magic, version, header length, the header padded to 64 bytes and ended by a newline, data.</summary>
    private static byte[] Raw(int major, string dictionary, float[] values)
    {
        var prefix = major == 1 ? 10 : 12;
        var headerLength = (prefix + dictionary.Length + 1 + 63) / 64 * 64 - prefix;
        var bytes = new List<byte> { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', (byte)major, 0 };
        bytes.AddRange(major == 1 ? BitConverter.GetBytes((ushort)headerLength) : BitConverter.GetBytes((uint)headerLength));
        bytes.AddRange(Encoding.ASCII.GetBytes(dictionary.PadRight(headerLength - 1) + "\n"));
        foreach (var value in values)
        {
            bytes.AddRange(BitConverter.GetBytes(value));
        }

        return [.. bytes];
    }
}
