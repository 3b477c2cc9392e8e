using System.Collections.Generic;

namespace InceptionGen.Generator.Model;

/// <summary>
/// Names of the public members the emitter writes on every network. A layer cannot take one of them
/// (IG0019); a test checks this list against the members of a generated class.
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
        "TrainingLengthPerImage", "Gradients", "DropoutSeed", "TrainingStep", "TrainStep", "Backward",
    };
}
