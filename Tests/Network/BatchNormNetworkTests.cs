using System.Text;
using System.Text.Json;
using InceptionGen.Interop;
using InceptionGen.Tests.Interop;
using InceptionGen.Tests.Reference;
using InceptionGen.Threading;
using InceptionGen.Training;
using Xunit;

namespace InceptionGen.Tests.Network;

/// <summary>
/// BatchNorm in generated networks (<see cref="SmallBatchNormNet"/>, <see cref="MapBatchNormNet"/>): the declaration (names,
/// roles, counts), inference with the fold against a plain conv-then-BN reference, and the buffers in files and optimizers.
/// Training is in <c>Training.BatchNormTrainingTests</c>.
/// </summary>
public sealed class BatchNormNetworkTests
{
    [Fact]
    public void Parameters_are_named_as_torchvision_and_buffers_are_not_counted()
    {
        var names = SmallBatchNormNet.ParameterTensors.Select(tensor => PyTorchNames.From(tensor.Name)).ToList();
        Assert.Equal(["conv1.conv.weight", "conv1.bn.weight", "conv1.bn.bias", "conv1.bn.running_mean", "conv1.bn.running_var", "conv1.bn.num_batches_tracked"], names.Take(6));
        Assert.Contains("norm.running_var", names);
        Assert.Contains("norm2.num_batches_tracked", names);
        Assert.DoesNotContain("conv1.conv.bias", names);

        var byName = SmallBatchNormNet.ParameterTensors.ToDictionary(tensor => tensor.Name);
        Assert.Equal(ParameterRole.Scale, byName["Conv1.Bn.Weights"].Role);
        Assert.Equal(ParameterRole.RunningVariance, byName["Norm.RunningVar"].Role);
        Assert.Equal(ParameterRole.BatchCount, byName["Norm2.NumBatchesTracked"].Role);
        Assert.Empty(byName["Norm2.NumBatchesTracked"].Shape);

        // Parameters as torch's model.parameters(): buffers (running statistics, batches tracked) are not counted.
        var trainable = SmallBatchNormNet.ParameterTensors.Where(tensor => !tensor.Role.IsBuffer()).Sum(tensor => (long)tensor.Length);
        Assert.Equal(SmallBatchNormNet.ParameterCount, trainable);
        Assert.True(SmallBatchNormNet.ParameterTensors.Sum(tensor => (long)tensor.Length) > trainable);
        Assert.Equal(20 * 3 * 9 + 2 * 20, SmallBatchNormNet.Summary.Layers.First(row => row.Name == "Conv1").Parameters);
        Assert.Equal(2 * 36, SmallBatchNormNet.Summary.Layers.First(row => row.Name == "Norm").Parameters);
    }

    [Fact]
    public void Batch_norms_after_a_convolution_without_ReLU_are_folded_for_inference()
    {
        // Folded: the op runs in training only. Conv1's (a BasicConv2d) and Norm2's (after Conv2, which has no ReLU).
        var operations = SmallBatchNormNet.Operations.Where(operation => operation.Description.StartsWith("batchnorm", StringComparison.Ordinal)).ToDictionary(operation => operation.Name);
        Assert.Equal(3, operations.Count);
        Assert.True(operations["Conv1.Bn"].TrainingOnly);
        Assert.True(operations["Norm2"].TrainingOnly);
        Assert.False(operations["Norm"].TrainingOnly);       // after a concat: a scale-and-shift op
        Assert.False(MapBatchNormNet.Operations.Single(operation => operation.Name == "Norm").TrainingOnly);
        Assert.True(MapBatchNormNet.Operations.Single(operation => operation.Name == "Conv1.Bn").TrainingOnly);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void Eval_forward_equals_conv_then_batch_norm_with_running_statistics(int batch)
    {
        var network = new SmallBatchNormNet(maxBatch: batch, seed: 5);
        BatchNormNetReference.Randomize(network.Parameters, 7);
        var images = Images(batch, SmallBatchNormNet.InputLength, 3);
        var output = new float[batch * SmallBatchNormNet.OutputLength];
        network.Forward(images, output, batch);
        for (var image = 0; image < batch; image++)
        {
            var expected = BatchNormNetReference.Forward(network, images.AsSpan(image * SmallBatchNormNet.InputLength, SmallBatchNormNet.InputLength).ToArray());
            AssertClose(expected, output.AsSpan(image * SmallBatchNormNet.OutputLength, SmallBatchNormNet.OutputLength).ToArray(), $"image {image}");
        }
    }

    [Fact]
    public void Eval_forward_of_a_map_network_equals_the_reference_and_follows_a_change_of_running_statistics()
    {
        var network = new MapBatchNormNet(maxBatch: 2, seed: 2);
        BatchNormNetReference.Randomize(network.Parameters, 4);
        var images = Images(2, MapBatchNormNet.InputLength, 8);
        var output = new float[2 * MapBatchNormNet.OutputLength];
        for (var round = 0; round < 2; round++)
        {
            network.Forward(images, output, 2);
            for (var image = 0; image < 2; image++)
            {
                var expected = BatchNormNetReference.Forward(network, images.AsSpan(image * MapBatchNormNet.InputLength, MapBatchNormNet.InputLength).ToArray());
                AssertClose(expected, output.AsSpan(image * MapBatchNormNet.OutputLength, MapBatchNormNet.OutputLength).ToArray(), $"round {round}, image {image}");
            }

            // A write through a handle moves the version: the fold is redone on the next Forward.
            network.Conv1.BatchNorm!.RunningMean[3] += 0.5f;
            network.Norm.RunningVariance[5] *= 2f;
        }
    }

    [Fact]
    public void Safetensors_hold_num_batches_tracked_as_I64_and_load_back()
    {
        using var directory = new TempDirectory();
        var path = directory.File("bn.safetensors");
        var network = new SmallBatchNormNet(seed: 1);
        BatchNormNetReference.Randomize(network.Parameters, 3);
        var tracked = SmallBatchNormNet.ParameterTensors.First(tensor => tensor.Role == ParameterRole.BatchCount);
        network.Parameters[tracked][0] = 1234;
        SafeTensors.Save(network, path);

        var bytes = File.ReadAllBytes(path);
        var header = JsonDocument.Parse(Encoding.UTF8.GetString(bytes, 8, (int)BitConverter.ToUInt64(bytes, 0))).RootElement;
        var entry = header.GetProperty("conv1.bn.num_batches_tracked");
        Assert.Equal("I64", entry.GetProperty("dtype").GetString());
        Assert.Equal(0, entry.GetProperty("shape").GetArrayLength());
        Assert.Equal("F32", header.GetProperty("conv1.bn.running_var").GetProperty("dtype").GetString());

        var loaded = new SmallBatchNormNet(seed: 9);
        SafeTensors.Load(loaded.Parameters, path);
        Assert.Equal(network.Parameters.ReadOnlySpan.ToArray(), loaded.Parameters.ReadOnlySpan.ToArray());
        Assert.Equal(1234, loaded.Conv1.BatchNorm!.NumBatchesTracked);
    }

    [Fact]
    public void Optimizers_leave_the_running_statistics_alone()
    {
        var network = new SmallBatchNormNet(seed: 1);
        BatchNormNetReference.Randomize(network.Parameters, 3);
        var before = network.Parameters.ReadOnlySpan.ToArray();
        var ones = new float[network.Parameters.Length];
        Array.Fill(ones, 1f);
        foreach (var optimizer in new IOptimizer[] { new SgdMomentum(0.1f, momentum: 0.9f, weightDecay: 0.1f), new Adam(0.1f, weightDecay: 0.1f) })
        {
            optimizer.Step(network.Parameters, ones);
        }

        var after = network.Parameters.ReadOnlySpan;
        foreach (var tensor in SmallBatchNormNet.ParameterTensors)
        {
            var changed = !before.AsSpan(tensor.Offset, tensor.Length).SequenceEqual(after.Slice(tensor.Offset, tensor.Length));
            Assert.True(changed != tensor.Role.IsBuffer(), $"{tensor.Name} ({tensor.Role}) {(changed ? "changed" : "did not change")}");
        }
    }

    internal static float[] Images(int batch, int length, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, batch * length).Select(_ => random.NextSingle() * 2 - 1).ToArray();
    }

    private static void AssertClose(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        var scale = Math.Max(expected.Max(Math.Abs), 1e-3f);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 2e-5f * scale + 1e-6f, $"{what}[{i}]: expected {expected[i]:G9}, got {actual[i]:G9}");
        }
    }
}
