using InceptionGen.Interop;
using Xunit;
using static InceptionGen.Tests.Training.NetworkGradientCheck;

namespace InceptionGen.Tests.Modules;

/// <summary>
/// Modules declared with the DSL: the 2014 module gives [Inception]'s outputs and gradients bit for bit; names follow the
/// state_dict rule; a module with 1x7/7x1 convolutions, BatchNorm and a stride-2 reduction with a pass-through pool
/// trains with gradients that match central differences of its own loss.
/// </summary>
public sealed class ModuleTests
{
    private const int Batch = 3;
    private static readonly int[] s_labels = [1, 3, 0];

    [Fact]
    public void The_2014_module_declared_with_the_DSL_has_Inception_s_parameter_layout()
    {
        var builtIn = BuiltInInceptionNet.ParameterTensors;
        var declared = DeclaredInceptionNet.ParameterTensors;
        Assert.Equal(builtIn.Select(tensor => (tensor.Offset, string.Join("x", tensor.Shape), tensor.Role)), declared.Select(tensor => (tensor.Offset, string.Join("x", tensor.Shape), tensor.Role)));
        Assert.Equal(BuiltInInceptionNet.ParameterBlockLength, DeclaredInceptionNet.ParameterBlockLength);
        Assert.Equal(BuiltInInceptionNet.MultiplyAdds, DeclaredInceptionNet.MultiplyAdds);
        Assert.Equal(BuiltInInceptionNet.ParameterCount, DeclaredInceptionNet.ParameterCount);
        Assert.Equal(BuiltInInceptionNet.Summary.Layers.Single(row => row.Name == "Mixed").OutputShape, DeclaredInceptionNet.Summary.Layers.Single(row => row.Name == "Mixed").OutputShape);
    }

    [Fact]
    public void The_2014_module_declared_with_the_DSL_gives_Inception_s_outputs_bit_for_bit()
    {
        var (builtIn, declared, images) = TwinNetworks();
        var expected = new float[Batch * BuiltInInceptionNet.OutputLength];
        var actual = new float[Batch * DeclaredInceptionNet.OutputLength];

        builtIn.Forward(images, expected, Batch);
        declared.Forward(images, actual, Batch);

        Assert.Contains(expected, value => value != 0f);
        Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), actual.Select(BitConverter.SingleToInt32Bits));
    }

    [Fact]
    public void The_2014_module_declared_with_the_DSL_gives_Inception_s_gradients_bit_for_bit()
    {
        var (builtIn, declared, images) = TwinNetworks();
        var expectedInput = new float[images.Length];
        var actualInput = new float[images.Length];

        var expectedLoss = builtIn.Backward(images, s_labels, Batch, expectedInput);
        var actualLoss = declared.Backward(images, s_labels, Batch, actualInput);

        Assert.Equal(BitConverter.SingleToInt32Bits(expectedLoss.Total), BitConverter.SingleToInt32Bits(actualLoss.Total));
        var expected = builtIn.Gradients.ReadOnlySpan.ToArray();
        var actual = declared.Gradients.ReadOnlySpan.ToArray();
        foreach (var tensor in BuiltInInceptionNet.ParameterTensors)
        {
            Assert.Contains(expected.AsSpan(tensor.Offset, tensor.Length).ToArray(), value => value != 0f);
        }

        Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), actual.Select(BitConverter.SingleToInt32Bits));
        Assert.Contains(expectedInput, value => value != 0f);
        Assert.Equal(expectedInput.Select(BitConverter.SingleToInt32Bits), actualInput.Select(BitConverter.SingleToInt32Bits));
    }

    [Fact]
    public void Layers_inside_a_module_are_named_as_the_state_dict_names_them()
    {
        Assert.Equal(
            ["mixed.branch1.weight", "mixed.branch1.bias", "mixed.branch2.0.weight", "mixed.branch2.0.bias", "mixed.branch2.1.weight", "mixed.branch2.1.bias",
             "mixed.branch3.0.weight", "mixed.branch3.0.bias", "mixed.branch3.1.weight", "mixed.branch3.1.bias", "mixed.branch4.1.weight", "mixed.branch4.1.bias"],
            DeclaredInceptionNet.ParameterTensors.Where(tensor => tensor.Name.StartsWith("mixed.", StringComparison.Ordinal)).Select(tensor => PyTorchNames.From(tensor.Name)));

        var names = FactorizedModuleNet.ParameterTensors.Select(tensor => PyTorchNames.From(tensor.Name)).ToList();
        Assert.Contains("Mixed_6b.branch1x1.conv.weight", names);
        Assert.Contains("Mixed_6b.branch1x1.bn.running_var", names);
        Assert.Contains("Mixed_6b.branch7x7_1.conv.weight", names);
        Assert.Contains("Mixed_6b.branch7x7_3.bn.num_batches_tracked", names);
        Assert.Contains("Mixed_6b.branch_pool.conv.weight", names);
        Assert.Contains("reduce.branch3x3.weight", names);
        Assert.Contains("reduce.branch3x3dbl.2.bias", names);
        Assert.Equal(names.Count, names.Distinct().Count());
        // The parameter gives branch7x7_1 and _2 their 12 channels; the defaulted PoolFeatures its 16.
        Assert.Equal([12, 20, 1, 1], FactorizedModuleNet.ParameterTensors.Single(tensor => tensor.Name == "Mixed_6b.branch7x7_1.conv.weight").Shape);
        Assert.Equal([12, 12, 1, 7], FactorizedModuleNet.ParameterTensors.Single(tensor => tensor.Name == "Mixed_6b.branch7x7_2.conv.weight").Shape);
        Assert.Equal([20, 12, 7, 1], FactorizedModuleNet.ParameterTensors.Single(tensor => tensor.Name == "Mixed_6b.branch7x7_3.conv.weight").Shape);
        Assert.Equal([16, 20, 1, 1], FactorizedModuleNet.ParameterTensors.Single(tensor => tensor.Name == "Mixed_6b.branch_pool.conv.weight").Shape);
    }

    [Fact]
    public void Module_shapes_concat_branches_and_pass_a_pool_branch_s_channels_through()
    {
        var rows = FactorizedModuleNet.Summary.Layers.ToDictionary(row => row.Name, row => row.OutputShape);
        Assert.Equal(new FeatureShape(24 + 20 + 16, 11, 11), rows["Mixed6b"]);
        Assert.Equal(new FeatureShape(24 + 16 + 60, 5, 5), rows["Reduce"]);
        Assert.Equal(new FeatureShape(12, 11, 11), rows["Mixed6b.branch7x7_2.Conv"]);
        var module = new FactorizedModuleNet().Mixed6b;
        Assert.Equal(5, module.Convolutions.Count);
        Assert.Equal(7, module["branch7x7_2"].KernelWidth);
        Assert.NotNull(module["branch7x7_2"].BatchNorm);
    }

    [Fact]
    public void Weight_gradients_of_a_factorized_module_and_a_reduction_match_finite_differences()
    {
        var (network, images) = FactorizedSetup();
        network.Backward(images, s_labels, Batch);
        var analytic = network.Gradients.ReadOnlySpan.ToArray();
        var random = new Random(5);
        foreach (var tensor in FactorizedModuleNet.ParameterTensors.Where(tensor => !tensor.Role.IsBuffer()))
        {
            Assert.Contains(analytic.AsSpan(tensor.Offset, tensor.Length).ToArray(), value => value != 0f);
            for (var sample = 0; sample < 3; sample++)
            {
                var index = tensor.Offset + random.Next(tensor.Length);
                AssertClose(analytic[index], ParameterDifference(network, images, s_labels, Batch, network.TrainingStep, index), $"{tensor.Name}[{index - tensor.Offset}]");
            }
        }
    }

    [Fact]
    public void Input_gradient_through_a_factorized_module_and_a_reduction_matches_finite_differences()
    {
        var (network, images) = FactorizedSetup();
        var inputGradient = new float[images.Length];
        network.Backward(images, s_labels, Batch, inputGradient);
        Assert.Contains(inputGradient, value => value != 0f);
        var random = new Random(9);
        for (var sample = 0; sample < 20; sample++)
        {
            var index = random.Next(images.Length);
            AssertClose(inputGradient[index], InputDifference(network, images, s_labels, Batch, network.TrainingStep, index), $"input[{index}]");
        }
    }

    /// <summary>The two networks with the same parameters (their layouts are the same, so the block is copied) and random images.</summary>
    private static (BuiltInInceptionNet BuiltIn, DeclaredInceptionNet Declared, float[] Images) TwinNetworks()
    {
        var builtIn = new BuiltInInceptionNet(maxBatch: Batch, seed: 7);
        var random = new Random(3);
        foreach (var tensor in BuiltInInceptionNet.ParameterTensors.Where(tensor => tensor.Role == ParameterRole.Bias))
        {
            foreach (ref var value in builtIn.Parameters[tensor])
            {
                value = (float)(random.NextDouble() * 0.2 - 0.05);
            }
        }

        builtIn.Parameters.MarkChanged();
        var declared = new DeclaredInceptionNet(maxBatch: Batch, seed: 8);
        builtIn.Parameters.ReadOnlySpan.CopyTo(declared.Parameters.Span);
        declared.Parameters.MarkChanged();
        var images = Enumerable.Range(0, Batch * BuiltInInceptionNet.InputLength).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        return (builtIn, declared, images);
    }

    private static (FactorizedModuleNet Network, float[] Images) FactorizedSetup()
    {
        var network = new FactorizedModuleNet(maxBatch: Batch, seed: 3);
        var random = new Random(21);
        foreach (var tensor in FactorizedModuleNet.ParameterTensors.Where(tensor => tensor.Role is ParameterRole.Bias or ParameterRole.Scale))
        {
            foreach (ref var value in network.Parameters[tensor])
            {
                value += (float)(random.NextDouble() * 0.2 - 0.05);
            }
        }

        network.Parameters.MarkChanged();
        var images = Enumerable.Range(0, Batch * FactorizedModuleNet.InputLength).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        return (network, images);
    }
}
