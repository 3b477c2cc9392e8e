namespace InceptionGen.Training;

/// <summary>
/// The losses of one training step, averaged over the batch: <see cref="Main"/> is the final classifier's
/// cross-entropy; <see cref="Total"/> adds each auxiliary head's cross-entropy times its loss weight.
/// </summary>
public readonly record struct TrainingLoss(float Total, float Main)
{
    /// <summary>The weighted auxiliary losses alone.</summary>
    public float Auxiliary => Total - Main;

    /// <summary>
    /// How many images of the batch the main classifier ranked their label first in this training pass (dropout
    /// on), the usual "train accuracy" without a second forward pass.
    /// </summary>
    public int Correct { get; init; }
}
