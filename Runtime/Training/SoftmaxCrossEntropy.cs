using System.Numerics.Tensors;

namespace InceptionGen.Training;

/// <summary>The classification loss: softmax over one image's logits, then the negative log-likelihood of its label.</summary>
public static class SoftmaxCrossEntropy
{
    /// <summary>
    /// Returns <c>−log softmax(logits)[label]</c> and writes (does not add) <c>logitGradient = gradientScale · (softmax − onehot(label))</c>,
    /// the gradient of <c>gradientScale · loss</c>. The logits are shifted by their maximum first, so no exp overflows;
    /// the loss is <c>log Σ exp(z − max) − (z_label − max)</c>, summed and taken in double, so it stays accurate when it is
    /// tiny (a confident right answer) or huge (a confident wrong one). <paramref name="gradientScale"/> is where a
    /// caller puts 1/batch and an auxiliary head's loss weight.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="label"/> is not in [0, classes).</exception>
    /// <exception cref="ArgumentException"><paramref name="logitGradient"/> is not as long as <paramref name="logits"/>.</exception>
    public static float Loss(ReadOnlySpan<float> logits, int label, Span<float> logitGradient, float gradientScale)
    {
        if ((uint)label >= (uint)logits.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(label), label, $"The label must be a class index in [0, {logits.Length}), the length of the logits.");
        }

        if (logitGradient.Length != logits.Length)
        {
            throw new ArgumentException($"The logit gradient has {logitGradient.Length} floats but there are {logits.Length} logits.", nameof(logitGradient));
        }

        var max = TensorPrimitives.Max(logits);
        // exp(z − max), each in (0, 1], in the gradient buffer; the largest is exactly 1.
        TensorPrimitives.Subtract(logits, max, logitGradient);
        TensorPrimitives.Exp(logitGradient, logitGradient);
        var sum = 0.0;
        foreach (var exponential in logitGradient)
        {
            sum += exponential;
        }

        var loss = Math.Log(sum) - ((double)logits[label] - max);
        // The label's entry, softmax − 1, in double from the other classes' share: when the label is confidently right its
        // exponential is exactly 1, and float softmax − 1 would keep only a few digits of a small gradient.
        var labelGradient = -(sum - logitGradient[label]) / sum * gradientScale;
        TensorPrimitives.Multiply(logitGradient, (float)(gradientScale / sum), logitGradient);
        logitGradient[label] = (float)labelGradient;
        return (float)loss;
    }

    /// <summary>
    /// The loss against a label smoothed by <paramref name="smoothing"/> ε (PyTorch's <c>CrossEntropyLoss(label_smoothing=ε)</c>):
    /// the target is <c>q = (1 − ε) · onehot(label) + ε / classes</c>, the loss <c>−Σ q · log softmax(logits)</c>, and
    /// <paramref name="logitGradient"/> gets <c>gradientScale · (softmax − q)</c>. With ε = 0 this is
    /// <see cref="Loss(ReadOnlySpan{float}, int, Span{float}, float)"/>, bit for bit.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="smoothing"/> is not in [0, 1), or the label is out of range.</exception>
    public static float Loss(ReadOnlySpan<float> logits, int label, Span<float> logitGradient, float gradientScale, float smoothing)
    {
        if (!(smoothing >= 0f && smoothing < 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(smoothing), smoothing, "Label smoothing must be in [0, 1).");
        }

        var loss = Loss(logits, label, logitGradient, gradientScale);
        if (smoothing == 0f)
        {
            return loss;
        }

        // Loss(...) left scale · (softmax − onehot): subtract scale · ε · (1/K − onehot) for q's other part. The loss
        // adds ε · (mean over classes of −log softmax − (−log softmax[label])), with −log softmax_k = lse − z_k.
        var classes = logits.Length;
        var share = smoothing / classes;
        TensorPrimitives.Subtract(logitGradient, gradientScale * share, logitGradient);
        logitGradient[label] += gradientScale * smoothing;
        var meanLogit = 0.0;
        foreach (var logit in logits)
        {
            meanLogit += logit;
        }

        meanLogit /= classes;
        return (float)(loss + smoothing * ((double)logits[label] - meanLogit));
    }

    /// <summary>Whether <paramref name="label"/> has the largest logit (the first one on ties).</summary>
    public static bool IsTopClass(ReadOnlySpan<float> logits, int label) => TensorPrimitives.IndexOfMax(logits) == label;
}
