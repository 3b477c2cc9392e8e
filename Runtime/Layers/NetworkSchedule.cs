namespace InceptionGen;

/// <summary>
/// How a generated network schedules its work, as its planner decided: the numbers are emitted into the network
/// (its <c>Schedule</c>), and code that decodes worker-pool operation numbers reads them here instead of keeping
/// copies of its own.
/// </summary>
/// <param name="ImagesPerPass">Images per pass of <c>Forward</c>: larger batches loop over passes of this many.</param>
/// <param name="TrainingImagesPerPass">Images per training pass: activations and their gradients are kept for this many.</param>
/// <param name="BackwardOperationBase">The pool number of the first backward op (op i's input gradient runs under base + 2i, its weight gradients under base + 2i + 1); each <see cref="OperationInfo"/> names its own numbers, which is where to read them.</param>
/// <param name="PackWeightsOperation">The pool number of repacking every convolution's weights for the kernels.</param>
/// <param name="PackTransposedWeightsOperation">The pool number of packing the transposed weights of the input-gradient convolutions (training).</param>
/// <param name="AddPackedGradientsOperation">The pool number of adding the packed-order weight gradients into <c>Gradients</c> (training).</param>
public sealed record NetworkSchedule(
    int ImagesPerPass,
    int TrainingImagesPerPass,
    int BackwardOperationBase,
    int PackWeightsOperation,
    int PackTransposedWeightsOperation,
    int AddPackedGradientsOperation);
