using InceptionGen.Training;

namespace InceptionGen;

/// <summary>A generated network that ends in class scores, and so has a training pass.</summary>
public interface ITrainableNetwork : INetwork
{
    /// <summary>The loss gradient of every parameter, laid out like <see cref="INetwork.Parameters"/>.</summary>
    ParameterStore Gradients { get; }

    /// <summary>The seed of the dropout masks; with <see cref="TrainingStep"/>, all the randomness of a step.</summary>
    ulong DropoutSeed { get; set; }

    /// <summary>Steps taken: each <see cref="Backward"/> adds one before it runs, and draws its dropout masks for that step.</summary>
    long TrainingStep { get; set; }

    /// <summary>
    /// Label smoothing ε of the training loss, 0 (none) by default: every classifier's target is <c>1 − ε</c> on the label
    /// and <c>ε / classes</c> spread over all classes (see <see cref="SoftmaxCrossEntropy.Loss(ReadOnlySpan{float}, int, Span{float}, float, float)"/>).
    /// Values outside [0, 1) make the next training step throw.
    /// </summary>
    float LabelSmoothing { get; set; }

    /// <summary>Training forward and backward pass on a batch with class labels; fills <see cref="Gradients"/>.</summary>
    TrainingLoss Backward(ReadOnlySpan<float> images, ReadOnlySpan<int> labels, int batch);

    /// <summary><see cref="Backward"/>, then one optimizer step.</summary>
    TrainingLoss TrainStep(ReadOnlySpan<float> images, ReadOnlySpan<int> labels, int batch, IOptimizer optimizer);
}
