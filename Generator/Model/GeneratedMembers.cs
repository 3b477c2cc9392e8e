using System;
using System.Collections.Generic;
using System.Linq;

namespace InceptionGen.Generator.Model;

/// <summary>
/// Names of the members the emitter writes on every network. A layer cannot take one of the public ones (IG0019);
/// no layer, user member or network class may take any of them (IG0019, IG0022). A test checks the public list
/// against the members of a generated class.
/// </summary>
internal static class GeneratedMembers
{
    public static readonly IReadOnlyCollection<string> Names = new HashSet<string>
    {
        "InputChannels", "InputHeight", "InputWidth", "InputLength",
        "OutputChannels", "OutputHeight", "OutputWidth", "OutputLength",
        "ParameterCount", "AuxiliaryParameterCount", "ParameterCountWithAuxiliary",
        "ConvolutionMultiplyAdds", "LinearMultiplyAdds", "MultiplyAdds", "AuxiliaryMultiplyAdds",
        "ParameterBlockLength", "ActivationLengthPerImage", "PackedWeightsLength",
        "ParameterTensors", "Summary", "Graph", "Operations", "MaxBatch", "Parameters", "InitializeParameters", "Forward", "RunOperation",
        // The training pass (networks that end in class scores).
        "TrainingLengthPerImage", "Gradients", "DropoutSeed", "TrainingStep", "TrainStep", "Backward",
    };

    /// <summary>The private members with fixed names: helpers, fields and constants.</summary>
    public static readonly IReadOnlyCollection<string> PrivateNames = new HashSet<string>
    {
        "ForwardPass", "TrainingForwardPass", "BackwardPass", "PackWeights", "PackTransposedWeights", "AddPackedGradients",
        "Losses", "ItemCount", "ImagesPerPass", "TrainingImagesPerPass", "TransposedWeightsLength", "s_parameterTensors",
        "_activations", "_packedWeights", "_parameters", "_pool", "_batch", "_passFirstImage", "_packedVersion",
        "_training", "_wantInputGradient", "_activationGradients", "_packedGradients", "_trainingActivations",
        "_transposedWeights", "_gradients", "_transposedVersion", "_trainingStep",
    };

    /// <summary>
    /// Prefixes of the private members the emitter names after a layer and its part (<c>RunConv1</c>,
    /// <c>_layerConv1</c>, ...). A user member with one of them could collide with such a member.
    /// </summary>
    public static readonly IReadOnlyList<string> DerivedPrefixes =
        ["Run", "Pad", "Backward", "Convolve", "TransposedConvolve", "WeightGradient", "ConvolutionTile", "_layer", "ChannelMapOf_"];

    /// <summary>Whether the generated part of a network declares a member of this name.</summary>
    public static bool IsFixedName(string name) => Names.Contains(name) || PrivateNames.Contains(name);

    /// <summary>Whether a user member of this name could collide with a generated one (fixed or derived from a layer).</summary>
    public static bool MayCollide(string name)
    {
        if (IsFixedName(name))
        {
            return true;
        }

        foreach (var prefix in DerivedPrefixes)
        {
            if (name.StartsWith(prefix, StringComparison.Ordinal) && name.Length > prefix.Length)
            {
                return true;
            }
        }

        return false;
    }
}
