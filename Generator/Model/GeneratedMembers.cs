using System;
using System.Collections.Generic;
using System.Linq;

namespace InceptionGen.Generator.Model;

/// <summary>
/// Names of the members the emitter writes on every network: the public ones listed, and private ones under a
/// reserved prefix. No layer (IG0019), user member or network class (IG0022) may take one. A test checks the public
/// list against the members of a generated class.
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
        "ParameterTensors", "Summary", "Graph", "Schedule", "Operations", "MaxBatch", "Parameters", "InitializeParameters", "Forward", "RunOperation",
        // The training pass (networks that end in class scores).
        "TrainingLengthPerImage", "Gradients", "DropoutSeed", "TrainingStep", "TrainStep", "Backward", "LabelSmoothing",
    };

    /// <summary>
    /// Every private generated member (helpers, fields, constants, per-layer methods) starts with this prefix, which C#
    /// reserves for the implementation; so a user member or layer can only meet one if it takes the prefix itself.
    /// </summary>
    public const string PrivatePrefix = "__";

    /// <summary>Whether the generated part of a network declares, or may declare, a member of this name.</summary>
    public static bool IsTaken(string name) => Names.Contains(name) || name.StartsWith(PrivatePrefix, StringComparison.Ordinal);
}
