using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;
using InceptionGen.Definitions;
using InceptionGen.Interop;
using InceptionGen.Tests.Network;
using Xunit;

namespace InceptionGen.Tests.Interop;

public sealed class SafeTensorsTests
{
    [Fact]
    public void RoundTripIsBitIdenticalAndMarksTheStoreChanged()
    {
        using var directory = new TempDirectory();
        var path = directory.File("weights.safetensors");
        var source = InteropFiles.SmallStore(1);
        source.Span[5] = float.NaN;
        source.Span[6] = -0f;
        SafeTensors.Save(source, path);

        var target = InteropFiles.SmallStore(2);
        var version = target.Version;
        var result = SafeTensors.Load(target, path);

        Differential.AssertBitwiseEqual(source.ReadOnlySpan, target.ReadOnlySpan, "loaded weights");
        Assert.NotEqual(version, target.Version);
        Assert.Empty(result.Missing);
        Assert.Empty(result.Unexpected);
    }

    [Fact]
    public void GoogLeNetsTensorsRoundTripUnderPyTorchNames()
    {
        using var directory = new TempDirectory();
        var path = directory.File("googlenet.safetensors");
        var tensors = GoogLeNet.ParameterTensors;
        var length = tensors.Max(tensor => tensor.Offset + tensor.Length);
        length = (length + 15) / 16 * 16;
        var source = new ParameterStore(tensors, length);
        var random = new Random(3);
        var values = source.Span;
        foreach (var tensor in tensors)
        {
            // Alignment gaps are not saved; they stay zero in both stores.
            for (var i = 0; i < tensor.Length; i += 7)
            {
                values[tensor.Offset + i] = random.NextSingle() + 0.5f;
            }
        }

        SafeTensors.Save(source, path);
        var target = new ParameterStore(tensors, length);
        SafeTensors.Load(target, path);
        Differential.AssertBitwiseEqual(source.ReadOnlySpan, target.ReadOnlySpan, "GoogLeNet weights");
        var header = Header(File.ReadAllBytes(path));
        Assert.Contains("\"inception3a.branch2_reduce.weight\"", header);
        Assert.Contains("\"aux1.hidden.weight\":{\"dtype\":\"F32\",\"shape\":[1024,2048]", header);
    }

    [Theory]
    [InlineData("Conv1.Weights", "conv1.weight")]
    [InlineData("Conv1.Bias", "conv1.bias")]
    [InlineData("Conv2Reduce.Weights", "conv2_reduce.weight")]
    [InlineData("Inception3a.Branch2Reduce.Bias", "inception3a.branch2_reduce.bias")]
    [InlineData("Inception4e.Branch4Projection.Weights", "inception4e.branch4_projection.weight")]
    [InlineData("Aux1.Hidden.Weights", "aux1.hidden.weight")]
    [InlineData("Aux2.Classifier.Bias", "aux2.classifier.bias")]
    [InlineData("LRNBlock.Weights", "lrn_block.weight")]
    [InlineData("Weights.Weights", "weights.weight")]
    public void PyTorchNamesFollowTheDocumentedMapping(string declared, string expected) =>
        Assert.Equal(expected, PyTorchNames.From(declared));

    [Fact]
    public void PyTorchNamesAreOneToOneOnGoogLeNet()
    {
        var declared = GoogLeNet.ParameterTensors.Select(tensor => tensor.Name).ToList();
        var mapped = declared.Select(PyTorchNames.From).ToList();
        Assert.True(declared.Count >= 116, $"GoogLeNet has {declared.Count} tensors");
        Assert.Equal(declared.Count, declared.Distinct().Count());
        Assert.Equal(declared.Count, mapped.Distinct().Count());
        Assert.All(mapped, name => Assert.Matches(new Regex("^[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)*\\.(weight|bias)$"), name));
    }

    [Fact]
    public void MissingExtraAndMisShapedTensorsAreListedTogether()
    {
        using var directory = new TempDirectory();
        var path = directory.File("bad.safetensors");
        var store = InteropFiles.SmallStore(1);
        var tensors = InteropFiles.AllTensors(InteropFiles.SmallStore(2)).Where(t => t.Name != "conv1.bias").ToList();
        tensors[0] = (tensors[0].Name, [4, 3, 9], tensors[0].Values);
        tensors.Add(("extra.weight", [2], [1f, 2f]));
        File.WriteAllBytes(path, InteropFiles.Build([.. tensors]));

        var before = store.ReadOnlySpan.ToArray();
        var exception = Assert.Throws<SafeTensorsException>(() => SafeTensors.Load(store, path));
        Assert.Contains("'conv1.weight' has shape [4, 3, 9]; the network's is [4, 3, 3, 3]", exception.Message);
        Assert.Contains("'conv1.bias' is missing", exception.Message);
        Assert.Contains("'extra.weight' is in the file but not in the network", exception.Message);
        Assert.Contains("3 problems", exception.Message);
        Differential.AssertBitwiseEqual(before, store.ReadOnlySpan, "weights after a refused load");
    }

    [Fact]
    public void NonStrictSkipsMissingAndExtraButReportsThem()
    {
        using var directory = new TempDirectory();
        var path = directory.File("partial.safetensors");
        var source = InteropFiles.SmallStore(2);
        var tensors = InteropFiles.AllTensors(source).Where(t => !t.Name.StartsWith("classifier.", StringComparison.Ordinal)).ToList();
        tensors.Add(("fc.weight", [1], [3f]));
        File.WriteAllBytes(path, InteropFiles.Build([.. tensors]));

        var store = InteropFiles.SmallStore(1);
        var classifierBefore = store[store.Find("Classifier.Weights")!].ToArray();
        Assert.Throws<SafeTensorsException>(() => SafeTensors.Load(store, path));
        var result = SafeTensors.Load(store, path, strict: false);

        Assert.Equal(new[] { "classifier.weight", "classifier.bias" }, result.Missing.ToArray());
        Assert.Equal(new[] { "fc.weight" }, result.Unexpected.ToArray());
        var conv = store.Find("Conv1.Weights")!;
        Differential.AssertBitwiseEqual(source.ReadOnlySpan.Slice(conv.Offset, conv.Length), store.ReadOnlySpan.Slice(conv.Offset, conv.Length), "loaded conv1.weight");
        Differential.AssertBitwiseEqual(classifierBefore, store[store.Find("Classifier.Weights")!], "skipped classifier.weight");
    }

    [Fact]
    public void NonStrictStillRefusesMisShapedTensors()
    {
        using var directory = new TempDirectory();
        var path = directory.File("misshaped.safetensors");
        File.WriteAllBytes(path, InteropFiles.Build(("conv1.bias", [2, 2], [1f, 2f, 3f, 4f])));
        var store = InteropFiles.SmallStore(1);
        var before = store.ReadOnlySpan.ToArray();
        var exception = Assert.Throws<SafeTensorsException>(() => SafeTensors.Load(store, path, strict: false));
        Assert.Contains("'conv1.bias' has shape [2, 2]", exception.Message);
        Differential.AssertBitwiseEqual(before, store.ReadOnlySpan, "weights after a refused load");
    }

    [Fact]
    public void F16IsRefused()
    {
        using var directory = new TempDirectory();
        var path = directory.File("half.safetensors");
        var store = InteropFiles.SmallStore(1);
        var tensors = InteropFiles.AllTensors(store);
        // Everything F32 except conv1.bias, stored as 4 halves (8 bytes).
        var entries = new List<string>();
        var data = new List<byte>();
        foreach (var (name, shape, values) in tensors)
        {
            var bytes = name == "conv1.bias" ? new byte[8] : MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
            entries.Add(InteropFiles.Entry(name, name == "conv1.bias" ? "F16" : "F32", shape, data.Count, data.Count + bytes.Length));
            data.AddRange(bytes);
        }

        File.WriteAllBytes(path, InteropFiles.Raw("{" + string.Join(",", entries) + "}", [.. data]));
        var exception = Assert.Throws<SafeTensorsException>(() => SafeTensors.Load(store, path, strict: false));
        Assert.Contains("'conv1.bias' has dtype F16; only F32 is accepted", exception.Message);
    }

    [Fact]
    public void TruncatedFilesAreRefusedAtEveryLength()
    {
        using var directory = new TempDirectory();
        var path = directory.File("weights.safetensors");
        SafeTensors.Save(InteropFiles.SmallStore(2), path);
        var bytes = File.ReadAllBytes(path);
        var headerLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        var store = InteropFiles.SmallStore(1);
        var before = store.ReadOnlySpan.ToArray();
        foreach (var length in new[] { 0, 1, 7, 8, 9, 8 + headerLength / 2, 8 + headerLength - 1, 8 + headerLength, 8 + headerLength + 1, bytes.Length - 4, bytes.Length - 1 })
        {
            var truncated = directory.File($"truncated-{length}.safetensors");
            File.WriteAllBytes(truncated, bytes[..length]);
            var exception = Assert.Throws<SafeTensorsException>(() => SafeTensors.Load(store, truncated));
            Assert.Contains("not a valid .safetensors file", exception.Message);
        }

        Differential.AssertBitwiseEqual(before, store.ReadOnlySpan, "weights after refused loads");
        SafeTensors.Load(store, path);
    }

    [Theory]
    [InlineData(200_000_000UL, "more than the 100000000-byte limit")]
    [InlineData(ulong.MaxValue, "more than the 100000000-byte limit")]
    [InlineData(4096UL, "only 2 follow the length")]
    public void HugeOrOverlongHeaderLengthsAreRefused(ulong claimed, string expected)
    {
        using var directory = new TempDirectory();
        var path = directory.File("huge.safetensors");
        var bytes = new byte[10];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, claimed);
        bytes[8] = (byte)'{';
        bytes[9] = (byte)'}';
        File.WriteAllBytes(path, bytes);
        var exception = Assert.Throws<SafeTensorsException>(() => SafeTensors.Load(InteropFiles.SmallStore(1), path));
        Assert.Contains(expected, exception.Message);
    }

    [Theory]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12, "overlaps")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[12,20]}}", 20, "has a gap")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 4, "only 4 are there")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 12, "cover 8 bytes of data but 12 are there")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8, "needs 12 bytes but its data_offsets span 8")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", 8, "begin ≤ end")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,-8]}}", 8, "non-negative integer")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8,16]}}", 8, "not [begin, end]")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,18446744073709551615]}}", 8, "non-negative integer")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,4],\"data_offsets\":[0,8]}}", 8, "too large")]
    [InlineData("{\"a\":{\"dtype\":\"X9\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "unknown dtype 'X9'")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", 8, "lacks one of")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],\"extra\":1}}", 8, "unexpected, repeated or mistyped field 'extra'")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "appears twice")]
    [InlineData("{\"__metadata__\":{\"k\":1}}", 0, "__metadata__ entry 'k'")]
    [InlineData("{not json", 0, "not valid JSON")]
    [InlineData("[1,2]", 0, "not a JSON object")]
    [InlineData("", 0, "not valid JSON")]
    [InlineData("{\"a\":3}", 0, "is not an object")]
    public void MalformedHeadersAreRefusedWithAClearMessage(string header, int dataLength, string expected)
    {
        using var directory = new TempDirectory();
        var path = directory.File("bad.safetensors");
        File.WriteAllBytes(path, InteropFiles.Raw(header, new byte[dataLength]));
        var store = InteropFiles.SmallStore(1);
        var before = store.ReadOnlySpan.ToArray();
        var exception = Assert.Throws<SafeTensorsException>(() => SafeTensors.Load(store, path, strict: false));
        Assert.Contains(expected, exception.Message);
        Differential.AssertBitwiseEqual(before, store.ReadOnlySpan, "weights after a refused load");
    }

    [Fact]
    public void SavingLeavesNoTemporaryFilesAndReplacesTheOldFile()
    {
        using var directory = new TempDirectory();
        var path = directory.File("weights.safetensors");
        File.WriteAllText(path, "old contents");
        SafeTensors.Save(InteropFiles.SmallStore(1), path, new Dictionary<string, string> { ["format"] = "pt" });
        SafeTensors.Save(InteropFiles.SmallStore(2), path);
        Assert.Equal(new[] { "weights.safetensors" }, Directory.GetFiles(directory.Path).Select(file => Path.GetFileName(file)).ToArray());
        var store = InteropFiles.SmallStore(3);
        SafeTensors.Load(store, path);
        Differential.AssertBitwiseEqual(InteropFiles.SmallStore(2).ReadOnlySpan, store.ReadOnlySpan, "weights of the second save");
    }

    [Fact]
    public void SavedFilesFollowTheSpec()
    {
        using var directory = new TempDirectory();
        var path = directory.File("weights.safetensors");
        var store = InteropFiles.SmallStore(1);
        SafeTensors.Save(store, path, new Dictionary<string, string> { ["format"] = "pt" });
        var bytes = File.ReadAllBytes(path);
        var headerLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0, (8 + headerLength) % 8);
        var header = Header(bytes);
        Assert.StartsWith("{\"__metadata__\":{\"format\":\"pt\"},\"conv1.weight\":{\"dtype\":\"F32\",\"shape\":[4,3,3,3],\"data_offsets\":[0,432]},\"conv1.bias\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[432,448]}", header);
        var conv = store.Find("Conv1.Weights")!;
        var firstValue = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(8 + headerLength));
        Assert.Equal(BitConverter.SingleToInt32Bits(store.ReadOnlySpan[conv.Offset]), BitConverter.SingleToInt32Bits(firstValue));
        Assert.Equal(8 + headerLength + 4 * store.Tensors.Sum(tensor => tensor.Length), bytes.Length);
    }

    [Fact]
    public void AHandBuiltFileLoads()
    {
        using var directory = new TempDirectory();
        var path = directory.File("hand.safetensors");
        var store = InteropFiles.SmallStore(1);
        // Built by hand from the spec, tensors in another order than the store's, with metadata and padding spaces.
        var entries = new List<string> { "\"__metadata__\":{\"format\":\"pt\"}" };
        var data = new List<byte>();
        var expected = new float[store.Length];
        foreach (var tensor in store.Tensors.Reverse())
        {
            var values = Enumerable.Range(0, tensor.Length).Select(i => tensor.Offset + i * 0.25f).ToArray();
            values.CopyTo(expected, tensor.Offset);
            var shape = tensor.Shape.Select(d => (long)d).ToArray();
            entries.Add(InteropFiles.Entry(PyTorchNames.From(tensor.Name), "F32", shape, data.Count, data.Count + 4 * values.Length));
            foreach (var value in values)
            {
                var bytes = new byte[4];
                BinaryPrimitives.WriteSingleLittleEndian(bytes, value);
                data.AddRange(bytes);
            }
        }

        File.WriteAllBytes(path, InteropFiles.Raw("{" + string.Join(", ", entries) + "}    ", [.. data]));
        SafeTensors.Load(store, path);
        Differential.AssertBitwiseEqual(expected, store.ReadOnlySpan, "hand-built weights");
    }

    private static string Header(byte[] file) =>
        Encoding.UTF8.GetString(file, 8, (int)BinaryPrimitives.ReadUInt64LittleEndian(file)).TrimEnd();
}
