using System.Globalization;
using System.Text.Json;
using InceptionGen.Generator.Planning;
using InceptionGen.Kernels;
using InceptionGen.Tests.Interop;
using Xunit;

namespace InceptionGen.Tests.Network;

/// <summary>
/// The pooling a graph node describes is what PyTorch computes: for every kernel, stride, padding (up to half the
/// kernel, as both allow), ceil mode and a range of sizes, the planner's output size equals PyTorch's, and our max
/// and average pool kernels equal <c>max_pool2d</c> and <c>avg_pool2d(count_include_pad=True)</c> value for value,
/// including windows that hang past the input in ceil mode.
/// </summary>
public sealed class PoolSemanticsTests
{
    [Fact]
    public void OurPoolsAreTorchsPools()
    {
        Python.RequireModules("torch");
        var cases = new List<(int Size, int Kernel, int Stride, int Padding, bool Ceil)>();
        foreach (var kernel in new[] { 1, 2, 3, 4, 5 })
        {
            foreach (var stride in new[] { 1, 2, 3 })
            {
                for (var padding = 0; padding <= kernel / 2; padding++)
                {
                    for (var size = kernel; size <= kernel + 6; size++)
                    {
                        cases.Add((size, kernel, stride, padding, false));
                        cases.Add((size, kernel, stride, padding, true));
                    }
                }
            }
        }

        var random = new Random(5);
        var inputs = cases.Select(c => Enumerable.Range(0, c.Size * c.Size).Select(_ => (float)Math.Round(random.NextDouble() * 4 - 2, 3)).ToArray()).ToList();
        using var directory = new TempDirectory();
        var path = directory.File("cases.json");
        File.WriteAllText(path, JsonSerializer.Serialize(cases.Select((c, i) => new[] { c.Size, c.Kernel, c.Stride, c.Padding, c.Ceil ? 1 : 0 }).ToArray()) + "\n"
            + JsonSerializer.Serialize(inputs));
        const string script = """
            import json, sys, torch
            lines = open(sys.argv[1]).read().split("\n")
            cases, inputs = json.loads(lines[0]), json.loads(lines[1])
            out = []
            for (n, k, s, p, c), values in zip(cases, inputs):
                x = torch.tensor(values, dtype=torch.float32).reshape(1, 1, n, n)
                m = torch.nn.functional.max_pool2d(x, k, s, p, ceil_mode=bool(c))
                a = torch.nn.functional.avg_pool2d(x, k, s, p, ceil_mode=bool(c), count_include_pad=True)
                out.append([m.shape[-1], m.flatten().tolist(), a.flatten().tolist()])
            print(json.dumps(out))
            """;
        var torch = JsonSerializer.Deserialize<JsonElement[][]>(Python.RunChecked(["-c", script, path], TimeSpan.FromMinutes(2)))!;

        for (var i = 0; i < cases.Count; i++)
        {
            var (size, kernel, stride, padding, ceil) = cases[i];
            var label = string.Create(CultureInfo.InvariantCulture, $"size {size}, kernel {kernel}, stride {stride}, padding {padding}, ceil {ceil}");
            var outSize = Planner.PoolOutput(size, kernel, stride, padding, ceil);
            Assert.True(torch[i][0].GetInt32() == outSize, $"{label}: torch {torch[i][0]}, ours {outSize}");
            Assert.Equal(outSize, NetworkGraph.PoolSize(size, kernel, stride, padding, ceil));

            var geometry = new PoolGeometry(1, size, size, outSize, outSize, kernel, stride, padding);
            var blocked = new float[16 * size * size];
            for (var y = 0; y < size; y++)
            {
                for (var x = 0; x < size; x++)
                {
                    blocked[BlockedLayout.Index(0, y, x, size, size)] = inputs[i][y * size + x];
                }
            }

            foreach (var (kind, index) in new[] { ("max", 1), ("avg", 2) })
            {
                var result = new float[16 * outSize * outSize];
                if (kind == "max")
                {
                    ReferenceKernels.MaxPool2d(blocked, result, geometry);
                }
                else
                {
                    ReferenceKernels.AvgPool2d(blocked, result, geometry);
                }

                var expected = torch[i][index].EnumerateArray().Select(value => value.GetSingle()).ToArray();
                for (var o = 0; o < expected.Length; o++)
                {
                    var ours = result[BlockedLayout.Index(0, o / outSize, o % outSize, outSize, outSize)];
                    Assert.True(MathF.Abs(ours - expected[o]) <= 1e-5f, $"{kind} pool, {label}, output {o}: torch {expected[o]}, ours {ours}");
                }
            }
        }
    }
}
