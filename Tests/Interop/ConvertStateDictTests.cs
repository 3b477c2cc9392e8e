using System.Runtime.InteropServices;
using InceptionGen.Interop;
using InceptionGen.Tests.Network;
using Xunit;

namespace InceptionGen.Tests.Interop;

/// <summary>
/// tools/reference/convert_state_dict.py: PyTorch writes .pth files with torch.save (a state_dict with a convolution,
/// a BatchNorm with its running statistics and I64 num_batches_tracked, a non-contiguous Linear weight and a float64
/// tensor; and the same state_dict inside a training checkpoint), and numpy writes each tensor's values as .npy. The
/// converted file must be read by our <see cref="SafeTensorsFile"/> with the same names, shapes and dtypes, and values
/// bit for bit. Bad inputs are refused with exit code 2 and one error line, and a pickle that would run code is never
/// unpickled. Skips, saying why, without /usr/bin/python3 and torch.
/// </summary>
public sealed class ConvertStateDictTests(ITestOutputHelper output)
{
    private static string Converter => Path.Combine(PyTorchAgreement.RepositoryRoot(), "tools", "reference", "convert_state_dict.py");

    /// <summary>Writes state.pth, checkpoint.pth and expected/&lt;name&gt;.npy (float32 or int64, C order) into the folder argv[1].</summary>
    private const string WriteCase = """
        import os, sys, numpy as np, torch
        folder = sys.argv[1]
        torch.manual_seed(3)
        net = torch.nn.Sequential(torch.nn.Conv2d(3, 5, 3, bias=False), torch.nn.BatchNorm2d(5), torch.nn.Linear(6, 4))
        net.train(); net[1](torch.randn(4, 5, 2, 2) * 3 + 1); net[1](torch.randn(4, 5, 2, 2))
        state = net.state_dict()
        state["2.weight"] = torch.randn(6, 4).t()            # non-contiguous: stored transposed
        state["extra.double"] = torch.randn(2, 3, dtype=torch.float64)
        torch.save(state, os.path.join(folder, "state.pth"))
        torch.save({"epoch": 3, "arch": "googlenet", "optimizer": {"step": 5}, "state_dict": state}, os.path.join(folder, "checkpoint.pth"))
        os.makedirs(os.path.join(folder, "expected"))
        for name, tensor in state.items():
            values = tensor.contiguous().numpy()
            np.save(os.path.join(folder, "expected", name + ".npy"), values.astype(np.float32) if values.dtype == np.float64 else values)
        print(", ".join(f"{name} {tuple(t.shape)} {t.dtype}" for name, t in state.items()))
        """;

    [Theory]
    [InlineData("state.pth", false)]
    [InlineData("checkpoint.pth", true)]
    public void A_torch_saved_state_dict_reads_back_with_the_same_names_shapes_dtypes_and_values(string input, bool float32)
    {
        Python.RequireModules("torch", "numpy");
        using var directory = new TempDirectory();
        output.WriteLine(Python.RunChecked(["-c", WriteCase, directory.Path], TimeSpan.FromMinutes(2)));
        var converted = directory.File("converted.safetensors");
        string[] arguments = float32 ? [Converter, directory.File(input), converted, "--float32"] : [Converter, directory.File(input), converted];
        output.WriteLine(Python.RunChecked(arguments, TimeSpan.FromMinutes(2)));

        var file = SafeTensorsFile.Read(converted);
        var expectedNames = Directory.GetFiles(directory.File("expected")).Select(path => Path.GetFileNameWithoutExtension(path)).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(expectedNames, file.Tensors.Keys.Order(StringComparer.Ordinal).ToArray());
        Assert.Equal(9, expectedNames.Length);
        foreach (var name in expectedNames)
        {
            var entry = file.Tensors[name];
            var expected = Npy.Read(directory.File(Path.Combine("expected", name + ".npy")));
            Assert.True(expected.Shape.Select(d => (long)d).SequenceEqual(entry.Shape), $"{name}: shape {entry.ShapeText}, torch's is {expected.ShapeText}.");
            if (name.EndsWith(".num_batches_tracked", StringComparison.Ordinal))
            {
                Assert.Equal("I64", entry.Dtype);
                var count = MemoryMarshal.Cast<byte, long>(file.Data.AsSpan((int)entry.Begin, (int)(entry.End - entry.Begin))).ToArray();
                Assert.Equal(expected.ToInt64(), count);
                Assert.Equal(2, count[0]);
            }
            else if (name == "extra.double" && !float32)
            {
                // Kept as F64; numpy's copy was narrowed to float32, so compare the narrowed values.
                Assert.Equal("F64", entry.Dtype);
                var values = MemoryMarshal.Cast<byte, double>(file.Data.AsSpan((int)entry.Begin, (int)(entry.End - entry.Begin))).ToArray();
                Assert.Equal(expected.ToFloat32(), values.Select(v => (float)v).ToArray());
            }
            else
            {
                Assert.Equal("F32", entry.Dtype);
                Differential.AssertBitwiseEqual(expected.ToFloat32(), file.Floats(entry), name);
            }
        }
    }

    /// <summary>Each bad input gets exit code 2 and an error line naming the problem; nothing is written.</summary>
    [Theory]
    [InlineData("{'epoch': 3, 'w': torch.ones(2)}", "'epoch' (int)")]
    [InlineData("[torch.ones(2)]", "holds a list")]
    [InlineData("{'epoch': 3, 'optimizer': {'step': 5}}", "no tensors at the top level")]
    // torch 1.13's weights_only loader has no Python floats; the message says what to do.
    [InlineData("{'lr': 0.1, 'state_dict': {'w': torch.ones(2)}}", "cannot read floats")]
    public void Entries_that_are_not_tensors_are_refused_by_name(string saved, string message)
    {
        Python.RequireModules("torch");
        using var directory = new TempDirectory();
        Python.RunChecked(["-c", $"import sys, torch; torch.save({saved}, sys.argv[1])", directory.File("bad.pth")], TimeSpan.FromMinutes(1));

        var result = Python.Run([Converter, directory.File("bad.pth"), directory.File("out.safetensors")], TimeSpan.FromMinutes(1));

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("error: ", result.Error.Trim());
        Assert.Contains(message, result.Error);
        Assert.False(File.Exists(directory.File("out.safetensors")));
    }

    /// <summary>
    /// A .pth whose pickle would create a file when unpickled: weights_only loading refuses the callable, and the file
    /// never appears. A plain torch.load or pickle.load would create it.
    /// </summary>
    [Fact]
    public void A_pickle_that_would_run_code_is_refused_without_running_it()
    {
        Python.RequireModules("torch");
        using var directory = new TempDirectory();
        var marker = directory.File("marker");
        Python.RunChecked(["-c", """
            import sys, torch
            class Payload:
                def __reduce__(self):
                    return (open, (sys.argv[2], "w"))
            torch.save({"w": torch.ones(1), "payload": Payload()}, sys.argv[1])
            """, directory.File("evil.pth"), marker], TimeSpan.FromMinutes(1));
        Assert.False(File.Exists(marker), "saving the payload must not create the marker");

        var result = Python.Run([Converter, directory.File("evil.pth"), directory.File("out.safetensors")], TimeSpan.FromMinutes(1));

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("weights_only=True", result.Error);
        Assert.False(File.Exists(marker), "the converter unpickled the payload");
        Assert.False(File.Exists(directory.File("out.safetensors")));
    }
}
