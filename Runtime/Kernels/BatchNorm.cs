namespace InceptionGen.Kernels;

/// <summary>
/// The per-channel steps of BatchNorm with PyTorch's semantics (<c>torch.nn.BatchNorm2d</c>, CPU, 1.13): turning the
/// whole batch's sums into the normalization's scale and shift, updating the running statistics, turning the backward
/// sums into γ and β gradients and the input gradient's coefficients, the eval-mode coefficients, and the fold into a
/// convolution for inference. The per-pixel work is in <see cref="BatchNormKernels"/>; docs/batchnorm.md gives the design.
/// <para>
/// Conventions. <c>channels</c> counts logical channels; per-channel <b>inputs</b> that come from parameters (weight,
/// bias, running statistics) are indexed by logical channel, and per-channel <b>workspace</b> spans (the double sums,
/// mean, inverse std, scale, shift, backward coefficients) by physical channel, whole blocks long, because the plane
/// kernels read 16 lanes at a time. <c>channelMap</c> maps logical to physical (empty: identity). Workspace lanes of
/// physical channels no logical channel maps to (padding, a concat's gaps) are set to zero, so those channels stay zero.
/// An empty weight or bias means <c>affine=False</c> (γ = 1, β = 0). Gradients are added (<c>+=</c>), as in
/// <see cref="ReferenceBackward"/>.
/// </para>
/// <para>
/// Precision follows PyTorch's CPU kernel: sums and the per-channel statistics are double; the mean and 1/√(var + eps)
/// that normalize are rounded to float, and scale = γ·invstd, shift = β − mean·scale are float products.
/// </para>
/// </summary>
public static class BatchNorm
{
    /// <summary>PyTorch's default <c>eps</c>.</summary>
    public const double DefaultEpsilon = 1e-5;

    /// <summary>PyTorch's default <c>momentum</c>.</summary>
    public const double DefaultMomentum = 0.1;

    /// <summary>
    /// The running statistics' update factor for one train-mode forward, as <c>_BatchNorm.forward</c> computes it:
    /// increments <paramref name="numBatchesTracked"/>, then returns <paramref name="momentum"/>, or, when it is null
    /// (PyTorch's <c>momentum=None</c>), 1 / num_batches_tracked: the cumulative average of every batch so far.
    /// </summary>
    public static double RunningUpdateFactor(double? momentum, ref long numBatchesTracked)
    {
        numBatchesTracked++;
        return momentum ?? 1.0 / numBatchesTracked;
    }

    /// <summary>
    /// Train mode: from the whole batch's per-channel Σx and Σx² (<see cref="BatchNormKernels.AccumulateStatistics"/>
    /// over <paramref name="count"/> = batch × height × width values per channel), the batch mean and 1/√(var + eps)
    /// with the biased variance, and the normalization's <paramref name="scale"/> = γ·invstd and
    /// <paramref name="shift"/> = β − mean·scale. <paramref name="mean"/> and <paramref name="inverseStd"/> are what
    /// the backward needs (PyTorch's save_mean and save_invstd).
    /// </summary>
    /// <exception cref="ArgumentException">One value per channel or fewer, which PyTorch refuses in training.</exception>
    public static void TrainingCoefficients(ReadOnlySpan<double> sum, ReadOnlySpan<double> sumOfSquares, long count, int channels, ReadOnlySpan<int> channelMap,
        ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, double epsilon,
        Span<float> mean, Span<float> inverseStd, Span<float> scale, Span<float> shift)
    {
        RequireMoreThanOneValue(count);
        ClearWorkspace(mean, inverseStd, scale, shift);
        for (var c = 0; c < channels; c++)
        {
            var p = BlockedLayout.Physical(channelMap, c);
            var (batchMean, variance) = MeanAndBiasedVariance(sum[p], sumOfSquares[p], count);
            mean[p] = (float)batchMean;
            inverseStd[p] = (float)(1.0 / Math.Sqrt(variance + epsilon));
            (scale[p], shift[p]) = ScaleAndShift(mean[p], inverseStd[p], weight, bias, c);
        }
    }

    /// <summary>
    /// Train mode's update of the running statistics from the same sums, exactly as PyTorch:
    /// <c>running_mean = f·mean + (1 − f)·running_mean</c> and <c>running_var = f·var·n/(n − 1) + (1 − f)·running_var</c>
    /// (the unbiased variance), in double, stored as float. <paramref name="factor"/> comes from
    /// <see cref="RunningUpdateFactor"/>. With <c>track_running_stats=False</c> there are no running statistics and
    /// this is not called.
    /// </summary>
    public static void UpdateRunningStatistics(ReadOnlySpan<double> sum, ReadOnlySpan<double> sumOfSquares, long count, int channels, ReadOnlySpan<int> channelMap,
        double factor, Span<float> runningMean, Span<float> runningVariance)
    {
        RequireMoreThanOneValue(count);
        for (var c = 0; c < channels; c++)
        {
            var p = BlockedLayout.Physical(channelMap, c);
            var (batchMean, variance) = MeanAndBiasedVariance(sum[p], sumOfSquares[p], count);
            var unbiased = variance * count / (count - 1);
            runningMean[c] = (float)(factor * batchMean + (1 - factor) * runningMean[c]);
            runningVariance[c] = (float)(factor * unbiased + (1 - factor) * runningVariance[c]);
        }
    }

    /// <summary>
    /// Eval mode (inference, or BN frozen while fine-tuning): the same four outputs as
    /// <see cref="TrainingCoefficients"/> from the running statistics, with PyTorch's float
    /// <c>invstd = 1 / √(running_var + (float)eps)</c>.
    /// </summary>
    public static void EvaluationCoefficients(ReadOnlySpan<float> runningMean, ReadOnlySpan<float> runningVariance, int channels, ReadOnlySpan<int> channelMap,
        ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, double epsilon,
        Span<float> mean, Span<float> inverseStd, Span<float> scale, Span<float> shift)
    {
        ClearWorkspace(mean, inverseStd, scale, shift);
        for (var c = 0; c < channels; c++)
        {
            var p = BlockedLayout.Physical(channelMap, c);
            mean[p] = runningMean[c];
            inverseStd[p] = EvaluationInverseStd(runningVariance[c], epsilon);
            (scale[p], shift[p]) = ScaleAndShift(mean[p], inverseStd[p], weight, bias, c);
        }
    }

    /// <summary>
    /// The backward's per-channel step, from the whole batch's Σdy and Σdy·(x − mean)
    /// (<see cref="BatchNormKernels.AccumulateGradientStatistics"/>; dy already masked by a fused ReLU):
    /// dβ += Σdy and dγ += Σdy·x̂ = invstd·Σdy·(x − mean) (skipped when the gradient span is empty), and the
    /// coefficients of <see cref="BatchNormKernels.AddInputGradient"/>:
    /// dx = (dy − <paramref name="gradientMean"/> − (x − mean)·<paramref name="centeredScale"/>)·<paramref name="inputScale"/>,
    /// which is (γ/σ)·(dy − mean(dy) − x̂·mean(dy·x̂)). With <paramref name="batchStatistics"/> false (eval mode, BN
    /// frozen) the mean and variance are constants: dx = dy·γ·invstd, so the first two coefficients are zero.
    /// </summary>
    public static void GradientCoefficients(ReadOnlySpan<double> sumGradient, ReadOnlySpan<double> sumGradientCentered, long count, int channels, ReadOnlySpan<int> channelMap,
        ReadOnlySpan<float> inverseStd, ReadOnlySpan<float> weight, bool batchStatistics,
        Span<float> weightGradient, Span<float> biasGradient,
        Span<float> centeredScale, Span<float> gradientMean, Span<float> inputScale)
    {
        if (batchStatistics)
        {
            RequireMoreThanOneValue(count);
        }

        ClearWorkspace(centeredScale, gradientMean, inputScale, default);
        for (var c = 0; c < channels; c++)
        {
            var p = BlockedLayout.Physical(channelMap, c);
            double invstd = inverseStd[p];
            var dotProduct = sumGradientCentered[p];
            if (!weightGradient.IsEmpty)
            {
                weightGradient[c] += (float)(dotProduct * invstd);
            }

            if (!biasGradient.IsEmpty)
            {
                biasGradient[c] += (float)sumGradient[p];
            }

            if (batchStatistics)
            {
                centeredScale[p] = (float)(dotProduct * invstd * invstd / count);
                gradientMean[p] = (float)(sumGradient[p] / count);
            }

            inputScale[p] = inverseStd[p] * (weight.IsEmpty ? 1f : weight[c]);
        }
    }

    /// <summary>
    /// Inference fold of a convolution followed by eval-mode BN, on PyTorch-layout tensors: per output channel o,
    /// <c>w'[o] = w[o]·scale[o]</c> and <c>b'[o] = (b[o] − running_mean[o])·scale[o] + β[o]</c> with
    /// scale = γ/√(running_var + eps). <paramref name="weights"/> is OIHW (any kernel shape: each output channel's
    /// weights are <c>weights.Length / outChannels</c> consecutive floats); an empty conv bias is zero. Weight packing
    /// calls this on the canonical tensors, so the parameter block itself never holds folded values.
    /// </summary>
    public static void FoldIntoConvolution(ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, int outChannels,
        ReadOnlySpan<float> batchNormWeight, ReadOnlySpan<float> batchNormBias, ReadOnlySpan<float> runningMean, ReadOnlySpan<float> runningVariance, double epsilon,
        Span<float> foldedWeights, Span<float> foldedBias)
    {
        if (outChannels <= 0 || weights.Length % outChannels != 0)
        {
            throw new ArgumentException($"{weights.Length} weights are not a whole number of rows for {outChannels} output channels.", nameof(weights));
        }

        var perOutput = weights.Length / outChannels;
        for (var o = 0; o < outChannels; o++)
        {
            var scale = EvaluationInverseStd(runningVariance[o], epsilon) * (batchNormWeight.IsEmpty ? 1f : batchNormWeight[o]);
            System.Numerics.Tensors.TensorPrimitives.Multiply(weights.Slice(o * perOutput, perOutput), scale, foldedWeights.Slice(o * perOutput, perOutput));
            var convBias = bias.IsEmpty ? 0f : bias[o];
            foldedBias[o] = (convBias - runningMean[o]) * scale + (batchNormBias.IsEmpty ? 0f : batchNormBias[o]);
        }
    }

    /// <summary>PyTorch's eval-mode 1/√(running_var + eps), in float as its CPU kernel computes it.</summary>
    public static float EvaluationInverseStd(float runningVariance, double epsilon) => 1f / MathF.Sqrt(runningVariance + (float)epsilon);

    private static (double Mean, double Variance) MeanAndBiasedVariance(double sum, double sumOfSquares, long count)
    {
        var mean = sum / count;
        // E[x²] − E[x]² in double: its rounding error is ~1e-16·E[x²], far below float unless |mean| > 1e4·σ. Rounding
        // can still make a constant channel's variance a tiny negative; clamp it as a variance.
        return (mean, Math.Max(sumOfSquares / count - mean * mean, 0.0));
    }

    private static (float Scale, float Shift) ScaleAndShift(float mean, float inverseStd, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, int channel)
    {
        var scale = inverseStd * (weight.IsEmpty ? 1f : weight[channel]);
        return (scale, (bias.IsEmpty ? 0f : bias[channel]) - mean * scale);
    }

    private static void RequireMoreThanOneValue(long count)
    {
        if (count <= 1)
        {
            throw new ArgumentException($"BatchNorm in training needs more than 1 value per channel (got {count}), as PyTorch does.", nameof(count));
        }
    }

    private static void ClearWorkspace(Span<float> first, Span<float> second, Span<float> third, Span<float> fourth)
    {
        first.Clear();
        second.Clear();
        third.Clear();
        fourth.Clear();
    }
}
