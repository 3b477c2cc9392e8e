namespace InceptionGen;

/// <summary>What a parameter tensor is for; it decides how the tensor is initialized.</summary>
public enum ParameterRole
{
    /// <summary>Convolution or linear weights, laid out as PyTorch does: OIHW, or [out, in].</summary>
    Weight,
    /// <summary>A per-output-channel bias.</summary>
    Bias,
    /// <summary>A BatchNorm's γ: trainable, starts at 1.</summary>
    Scale,
    /// <summary>A BatchNorm's <c>running_mean</c>: a buffer (not trained, not touched by optimizers), starts at 0.</summary>
    RunningMean,
    /// <summary>A BatchNorm's <c>running_var</c>: a buffer, starts at 1.</summary>
    RunningVariance,
    /// <summary>A BatchNorm's <c>num_batches_tracked</c>: a buffer holding an integer count, starts at 0; I64 in weight files.</summary>
    BatchCount,
}

/// <summary>What the roles imply.</summary>
public static class ParameterRoles
{
    /// <summary>Whether a tensor of this role is a buffer: saved and loaded, but not trained (no gradient, no optimizer update).</summary>
    public static bool IsBuffer(this ParameterRole role) => role is ParameterRole.RunningMean or ParameterRole.RunningVariance or ParameterRole.BatchCount;

    /// <summary>The value a tensor of this role starts at, or null for a weight (drawn at random).</summary>
    public static float? InitialValue(this ParameterRole role) => role switch
    {
        ParameterRole.Weight => null,
        ParameterRole.Scale or ParameterRole.RunningVariance => 1f,
        _ => 0f,
    };
}

/// <summary>
/// One named tensor in a network's parameter block.
/// </summary>
/// <param name="Name">Dotted name from the declared layer names, e.g. <c>Inception3a.Branch2Reduce.Weights</c>.</param>
/// <param name="Offset">Offset in floats into the parameter block; a multiple of 16, so every tensor starts on a 64-byte boundary.</param>
/// <param name="Shape">The tensor's shape, outermost first.</param>
/// <param name="FanIn">Inputs that feed one output: in-channels × kernel², or in-features.</param>
/// <param name="FeedsRelu">Whether a ReLU follows the layer, which picks the initialization gain.</param>
/// <param name="Auxiliary">Whether the tensor belongs to an auxiliary classifier.</param>
public sealed record ParameterTensor(string Name, int Offset, int[] Shape, ParameterRole Role, int FanIn, bool FeedsRelu, bool Auxiliary)
{
    /// <summary>Number of floats in the tensor.</summary>
    public int Length
    {
        get
        {
            var length = 1;
            foreach (var dimension in Shape)
            {
                length *= dimension;
            }

            return length;
        }
    }

    /// <summary>The shape as PyTorch prints it, e.g. <c>[64, 3, 7, 7]</c>.</summary>
    public string ShapeText => "[" + string.Join(", ", Shape) + "]";
}
