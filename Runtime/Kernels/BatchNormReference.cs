namespace InceptionGen.Kernels;

/// <summary>
/// Plain scalar BatchNorm on one NCHW16c image of <c>physicalChannels</c> (whole blocks) × height × width, channel by
/// channel: the oracle for <see cref="BatchNormKernels"/>, and its path when no SIMD is available. Sums are double, added
/// pixel by pixel in row order; per-channel spans are indexed by physical channel, as in <see cref="BatchNorm"/>.
/// </summary>
public static class BatchNormReference
{
    /// <summary>Adds Σx and Σx² of each channel to <paramref name="sum"/> and <paramref name="sumOfSquares"/>.</summary>
    public static void AccumulateStatistics(ReadOnlySpan<float> image, int physicalChannels, int height, int width, Span<double> sum, Span<double> sumOfSquares)
    {
        for (var c = 0; c < physicalChannels; c++)
        {
            for (var y = 0; y < height; y++)
            {
                for (var x = 0; x < width; x++)
                {
                    double value = image[BlockedLayout.Index(c, y, x, height, width)];
                    sum[c] += value;
                    sumOfSquares[c] += value * value;
                }
            }
        }
    }

    /// <summary><c>y = x·scale + shift</c>, then <c>max(y, 0)</c> when <paramref name="relu"/>; in place when the spans are the same memory.</summary>
    public static void Normalize(ReadOnlySpan<float> input, Span<float> output, int physicalChannels, int height, int width,
        ReadOnlySpan<float> scale, ReadOnlySpan<float> shift, bool relu)
    {
        for (var c = 0; c < physicalChannels; c++)
        {
            for (var y = 0; y < height; y++)
            {
                for (var x = 0; x < width; x++)
                {
                    var index = BlockedLayout.Index(c, y, x, height, width);
                    var value = input[index] * scale[c] + shift[c];
                    output[index] = relu ? MathF.Max(value, 0f) : value;
                }
            }
        }
    }

    /// <summary>Adds Σdy and Σdy·(x − mean) of each channel (dy already masked by a fused ReLU).</summary>
    public static void AccumulateGradientStatistics(ReadOnlySpan<float> input, ReadOnlySpan<float> outputGradient, int physicalChannels, int height, int width,
        ReadOnlySpan<float> mean, Span<double> sumGradient, Span<double> sumGradientCentered)
    {
        for (var c = 0; c < physicalChannels; c++)
        {
            for (var y = 0; y < height; y++)
            {
                for (var x = 0; x < width; x++)
                {
                    var index = BlockedLayout.Index(c, y, x, height, width);
                    double gradient = outputGradient[index];
                    sumGradient[c] += gradient;
                    sumGradientCentered[c] += ((double)input[index] - mean[c]) * gradient;
                }
            }
        }
    }

    /// <summary><c>dx += (dy − gradientMean − (x − mean)·centeredScale)·inputScale</c> per channel, in float.</summary>
    public static void AddInputGradient(ReadOnlySpan<float> input, ReadOnlySpan<float> outputGradient, Span<float> inputGradient, int physicalChannels, int height, int width,
        ReadOnlySpan<float> mean, ReadOnlySpan<float> centeredScale, ReadOnlySpan<float> gradientMean, ReadOnlySpan<float> inputScale)
    {
        for (var c = 0; c < physicalChannels; c++)
        {
            for (var y = 0; y < height; y++)
            {
                for (var x = 0; x < width; x++)
                {
                    var index = BlockedLayout.Index(c, y, x, height, width);
                    var projected = outputGradient[index] - gradientMean[c] - (input[index] - mean[c]) * centeredScale[c];
                    inputGradient[index] += projected * inputScale[c];
                }
            }
        }
    }
}
