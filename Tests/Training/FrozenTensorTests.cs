using InceptionGen.Definitions;
using InceptionGen.Training;
using Xunit;

namespace InceptionGen.Tests.Training;

/// <summary><see cref="BlockOptimizer.FrozenTensors"/>: a step leaves frozen tensors and their state alone and updates the others as before.</summary>
public sealed class FrozenTensorTests
{
    [Theory]
    [InlineData("sgd")]
    [InlineData("adamw")]
    public void A_step_leaves_frozen_tensors_bit_for_bit_and_updates_the_rest_as_without_freezing(string kind)
    {
        BlockOptimizer Create() => kind == "sgd" ? new SgdMomentum(0.1f, momentum: 0.9f, weightDecay: 0.01f) : Adam.AdamW(0.01f, weightDecay: 0.1f);
        var net = new FashionInception(1, 3);
        var tensors = net.Parameters.Tensors;
        var frozen = tensors.Where((_, i) => i % 3 != 1).Select(t => t.Name).ToHashSet();
        var gradients = new float[net.Parameters.Length];
        foreach (var tensor in tensors)
        {
            for (var i = 0; i < tensor.Length; i++)
            {
                gradients[tensor.Offset + i] = MathF.Sin(tensor.Offset + i);
            }
        }

        var plain = new FashionInception(1, 3);
        var frozenNet = new FashionInception(1, 3);
        var free = Create();
        var partial = Create();
        partial.FrozenTensors = frozen;
        for (var step = 0; step < 3; step++)
        {
            free.Step(plain.Parameters, gradients);
            partial.Step(frozenNet.Parameters, gradients);
        }

        foreach (var tensor in tensors)
        {
            var start = net.Parameters.ReadOnlySpan.Slice(tensor.Offset, tensor.Length);
            var after = frozenNet.Parameters.ReadOnlySpan.Slice(tensor.Offset, tensor.Length);
            var expected = frozen.Contains(tensor.Name) ? start : plain.Parameters.ReadOnlySpan.Slice(tensor.Offset, tensor.Length);
            Assert.True(expected.SequenceEqual(after), tensor.Name);
            for (var s = 0; s < partial.StateNames.Count; s++)
            {
                if (frozen.Contains(tensor.Name))
                {
                    Assert.All(partial.GetState(s).Slice(tensor.Offset, tensor.Length).ToArray(), v => Assert.Equal(0f, v));
                }
            }
        }
    }

    [Fact]
    public void Skipping_the_frozen_layers_weight_gradient_ops_changes_no_weight_after_three_steps()
    {
        using var pool = new InceptionGen.Threading.WorkerPool(2);
        using var skipping = new InceptionGen.Threading.WorkerPool(2);
        var plain = new FashionInception(4, 5, pool) { DropoutSeed = 1 };
        var skipped = new FashionInception(4, 5, skipping) { DropoutSeed = 1 };
        var frozen = FineTuning.TensorsUpTo(plain, "Inception4a");
        var plainOptimizer = new SgdMomentum(0.05f, momentum: 0.9f, weightDecay: 5e-4f) { FrozenTensors = frozen };
        var skippedOptimizer = new SgdMomentum(0.05f, momentum: 0.9f, weightDecay: 5e-4f) { FrozenTensors = frozen };
        var count = FineTuning.SkipFrozenWeightGradients(skipped, frozen, skipping);
        Assert.True(count >= 2 + (3 * 6), $"{count} weight-gradient ops skipped"); // two stem convolutions, three modules of six convolutions
        var images = new float[4 * FashionInception.InputLength];
        for (var i = 0; i < images.Length; i++)
        {
            images[i] = MathF.Sin(i * 0.37f);
        }

        int[] labels = [1, 7, 3, 9];
        for (var step = 0; step < 3; step++)
        {
            plain.TrainStep(images, labels, 4, plainOptimizer);
            skipped.TrainStep(images, labels, 4, skippedOptimizer);
        }

        Assert.True(plain.Parameters.ReadOnlySpan.SequenceEqual(skipped.Parameters.ReadOnlySpan), "skipping frozen weight gradients changed a weight");
        var conv1 = skipped.Parameters.Tensors.Single(t => t.Name == "Conv1.Weights");
        Assert.All(skipped.Gradients.ReadOnlySpan.Slice(conv1.Offset, conv1.Length).ToArray(), g => Assert.Equal(0f, g));
        Assert.Contains(plain.Gradients.ReadOnlySpan.Slice(conv1.Offset, conv1.Length).ToArray(), g => g != 0f);
    }
}
