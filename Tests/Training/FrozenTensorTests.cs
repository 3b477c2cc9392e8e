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
}
