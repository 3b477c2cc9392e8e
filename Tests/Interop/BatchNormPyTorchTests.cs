using InceptionGen.Interop;
using InceptionGen.Kernels;
using InceptionGen.Tests.Kernels;
using Xunit;

namespace InceptionGen.Tests.Interop;

/// <summary>
/// The BatchNorm kernels against torch.nn.BatchNorm2d itself (Debian's python3-torch, float32), on a batch run by us in
/// passes of 2 images: train-mode output (with a fused ReLU), dx, dγ and dβ of Σ y·r, the running statistics and
/// num_batches_tracked after the step, and the eval-mode output from the updated running statistics. torchvision's
/// BasicConv2d settings (eps 0.001, momentum 0.1), and momentum=None over two steps. Skips, saying why, without torch.
/// </summary>
public sealed class BatchNormPyTorchTests(ITestOutputHelper output)
{
    /// <summary>
    /// argv: folder, eps, momentum ("none" for None), relu (0/1), steps. Reads x_&lt;k&gt;.npy, r.npy, weight.npy, bias.npy,
    /// running_mean.npy, running_var.npy; runs `steps` train-mode forwards (the last with backward of Σ y·r), then eval.
    /// </summary>
    private const string Script = """
        import os, sys, numpy as np, torch
        folder, eps, momentum, relu, steps = sys.argv[1], float(sys.argv[2]), sys.argv[3], sys.argv[4] == "1", int(sys.argv[5])
        load = lambda name: torch.from_numpy(np.load(os.path.join(folder, name + ".npy")))
        x0 = load("x_0")
        bn = torch.nn.BatchNorm2d(x0.shape[1], eps=eps, momentum=None if momentum == "none" else float(momentum))
        with torch.no_grad():
            bn.weight.copy_(load("weight")); bn.bias.copy_(load("bias"))
            bn.running_mean.copy_(load("running_mean")); bn.running_var.copy_(load("running_var"))
        bn.train()
        for k in range(steps):
            x = load(f"x_{k}").requires_grad_(k == steps - 1)
            y = bn(x)
            if relu:
                y = torch.relu(y)
        (y * load("r")).sum().backward()
        save = lambda name, t: np.save(os.path.join(folder, "torch_" + name + ".npy"), t.detach().numpy())
        save("y", y); save("dx", x.grad); save("dweight", bn.weight.grad); save("dbias", bn.bias.grad)
        save("running_mean", bn.running_mean); save("running_var", bn.running_var)
        np.save(os.path.join(folder, "torch_num_batches_tracked.npy"), np.array([bn.num_batches_tracked.item()], dtype=np.int64))
        bn.eval()
        with torch.no_grad():
            save("eval_y", bn(x))
        """;

    [Theory]
    [InlineData(33, 7, 7, 5, 1e-3, 0.1, true, 1)]
    [InlineData(24, 5, 3, 4, 1e-5, 0.1, false, 1)]
    [InlineData(17, 4, 4, 3, 1e-3, double.NaN, true, 2)]
    public void Kernels_agree_with_torch_BatchNorm2d(int channels, int height, int width, int batch, double epsilon, double momentum, bool relu, int steps)
    {
        Python.RequireModules("torch", "numpy");
        using var directory = new TempDirectory();
        var random = new Random(channels * 7 + steps);
        var pixels = channels * height * width;
        float[] Values(int length, float low, float high) => Enumerable.Range(0, length).Select(_ => low + (high - low) * random.NextSingle()).ToArray();
        var batches = Enumerable.Range(0, steps).Select(_ => Enumerable.Range(0, batch).Select(_ => Values(pixels, -1f, 1f).Select((v, i) => v * (1 + i % 4) + 3f).ToArray()).ToArray()).ToArray();
        var direction = Enumerable.Range(0, batch).Select(_ => Values(pixels, -1f, 1f)).ToArray();
        var (weight, bias) = (Values(channels, 0.5f, 1.5f), Values(channels, -0.5f, 0.5f));
        var (runningMean, runningVariance) = (Values(channels, -0.2f, 0.2f), Values(channels, 0.5f, 1.5f));
        for (var k = 0; k < steps; k++)
        {
            Npy.Write(directory.File($"x_{k}.npy"), batches[k].SelectMany(v => v).ToArray(), batch, channels, height, width);
        }

        Npy.Write(directory.File("r.npy"), direction.SelectMany(v => v).ToArray(), batch, channels, height, width);
        Npy.Write(directory.File("weight.npy"), weight, channels);
        Npy.Write(directory.File("bias.npy"), bias, channels);
        Npy.Write(directory.File("running_mean.npy"), runningMean, channels);
        Npy.Write(directory.File("running_var.npy"), runningVariance, channels);
        var momentumText = double.IsNaN(momentum) ? "none" : momentum.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
        Python.RunChecked(["-c", Script, directory.Path, epsilon.ToString("R", System.Globalization.CultureInfo.InvariantCulture), momentumText, relu ? "1" : "0", steps.ToString(System.Globalization.CultureInfo.InvariantCulture)],
            TimeSpan.FromMinutes(2));

        // Our side: the same steps, each batch in passes of 2.
        var tracked = 0L;
        BatchNormTrainingLayer layer = null!;
        float[][] outputs = [];
        foreach (var images in batches)
        {
            layer = new BatchNormTrainingLayer(channels, height, width, weight, bias, epsilon);
            outputs = layer.Forward(images, passSize: 2, relu);
            var factor = BatchNorm.RunningUpdateFactor(double.IsNaN(momentum) ? null : momentum, ref tracked);
            BatchNorm.UpdateRunningStatistics(layer.Sum, layer.SumOfSquares, layer.Count, channels, default, factor, runningMean, runningVariance);
        }

        var last = batches[^1];
        var masked = new float[batch][];
        for (var n = 0; n < batch; n++)
        {
            var gradient = BatchNormTrainingLayer.Blocked(direction[n], channels, height, width);
            if (relu)
            {
                ReferenceBackward.ReluMask(outputs[n], gradient);
            }

            masked[n] = new float[pixels];
            ReferenceKernels.BlockedToPlain(gradient, default, masked[n], channels, height, width);
        }

        var (dx, dWeight, dBias) = layer.Backward(last, masked, passSize: 2, batchStatistics: true);
        var evaluation = new BatchNormTrainingLayer(channels, height, width, weight, bias, epsilon);
        evaluation.FreezeTo(runningMean, runningVariance);
        var evalOutputs = evaluation.Normalize(last, passSize: 2, relu: false);

        float[] Plain(float[][] blocked) => blocked.SelectMany(image =>
        {
            var plain = new float[pixels];
            ReferenceKernels.BlockedToPlain(image, default, plain, channels, height, width);
            return plain;
        }).ToArray();
        float[] Torch(string name) => Npy.Read(directory.File($"torch_{name}.npy")).ToFloat32();

        // Outputs and gradients: float32 evaluations of the same formulas, with sums in double (ours) and PyTorch's
        // float/double mix: within 1e-5 of the largest magnitude. Running statistics: within 1e-5 (the issue's bound).
        var report = new List<string>
        {
            Compare("y", Torch("y"), Plain(outputs), 1e-5),
            Compare("dx", Torch("dx"), dx.SelectMany(v => v).ToArray(), 1e-5),
            Compare("dγ", Torch("dweight"), dWeight, 1e-5),
            Compare("dβ", Torch("dbias"), dBias, 1e-5),
            Compare("running_mean", Torch("running_mean"), runningMean, 1e-5),
            Compare("running_var", Torch("running_var"), runningVariance, 1e-5),
            Compare("eval y", Torch("eval_y"), Plain(evalOutputs), 1e-5),
        };
        Assert.Equal(Npy.Read(directory.File("torch_num_batches_tracked.npy")).ToInt64()[0], tracked);
        output.WriteLine(string.Join("; ", report));
    }

    private static string Compare(string what, float[] expected, float[] actual, double relativeToLargest)
    {
        Assert.Equal(expected.Length, actual.Length);
        var largest = expected.Max(v => Math.Abs((double)v));
        var worst = 0.0;
        for (var i = 0; i < expected.Length; i++)
        {
            var error = Math.Abs((double)actual[i] - expected[i]);
            worst = Math.Max(worst, error);
            Assert.True(error <= relativeToLargest * largest, $"{what}[{i}]: ours {actual[i]:G9}, torch {expected[i]:G9} (tolerance {relativeToLargest * largest:G3}).");
        }

        return $"{what} {worst / largest:E1}";
    }
}
