using InceptionGen.Kernels;
using Xunit;

namespace InceptionGen.Tests.Kernels;

/// <summary>
/// One BN layer's workspace, driven as the generated code will: the forward accumulates every pass's images into the
/// double sums, finalizes once, then normalizes every pass; the backward does the same with the gradient sums.
/// Images are plain NCHW at the boundary (the tests' formulas are in NCHW) and blocked inside.
/// </summary>
internal sealed class BatchNormTrainingLayer(int channels, int height, int width, float[] weight, float[] bias, double epsilon = 1e-5)
{
    private const int Block = BlockedLayout.BlockSize;
    private readonly int physical = BlockedLayout.PaddedChannels(channels);
    private readonly int plane = height * width * Block;
    private float[] mean = [], inverseStd = [], scale = [], shift = [];

    public double[] Sum { get; } = new double[BlockedLayout.PaddedChannels(channels)];
    public double[] SumOfSquares { get; } = new double[BlockedLayout.PaddedChannels(channels)];
    public long Count { get; private set; }

    public float[][] Forward(float[][] plain, int passSize, bool relu)
    {
        var blocked = plain.Select(image => Blocked(image, channels, height, width)).ToArray();
        foreach (var pass in Passes(plain.Length, passSize))
        {
            for (var b = 0; b < physical / Block; b++)
            {
                foreach (var n in pass)
                {
                    BatchNormKernels.AccumulateStatistics(blocked[n].AsSpan(b * plane, plane), height * width, Sum.AsSpan(b * Block, Block), SumOfSquares.AsSpan(b * Block, Block));
                }
            }
        }

        Count = (long)plain.Length * height * width;
        (mean, inverseStd, scale, shift) = (new float[physical], new float[physical], new float[physical], new float[physical]);
        BatchNorm.TrainingCoefficients(Sum, SumOfSquares, Count, channels, default, weight, bias, epsilon, mean, inverseStd, scale, shift);
        return NormalizeBlocked(blocked, passSize, relu);
    }

    public void FreezeTo(float[] runningMean, float[] runningVariance)
    {
        (mean, inverseStd, scale, shift) = (new float[physical], new float[physical], new float[physical], new float[physical]);
        BatchNorm.EvaluationCoefficients(runningMean, runningVariance, channels, default, weight, bias, epsilon, mean, inverseStd, scale, shift);
    }

    public float[][] Normalize(float[][] plain, int passSize, bool relu)
        => NormalizeBlocked(plain.Select(image => Blocked(image, channels, height, width)).ToArray(), passSize, relu);

    private float[][] NormalizeBlocked(float[][] blocked, int passSize, bool relu)
    {
        var outputs = blocked.Select(image => new float[image.Length]).ToArray();
        foreach (var pass in Passes(blocked.Length, passSize))
        {
            foreach (var n in pass)
            {
                for (var b = 0; b < physical / Block; b++)
                {
                    BatchNormKernels.Normalize(blocked[n].AsSpan(b * plane, plane), outputs[n].AsSpan(b * plane, plane), height * width,
                        scale.AsSpan(b * Block, Block), shift.AsSpan(b * Block, Block), relu);
                }
            }
        }

        return outputs;
    }

    /// <summary>dx (plain NCHW per image), dγ and dβ for the plain output gradients <paramref name="plainGradient"/>.</summary>
    public (float[][] InputGradient, float[] WeightGradient, float[] BiasGradient) Backward(float[][] plainInput, float[][] plainGradient, int passSize, bool batchStatistics)
    {
        var input = plainInput.Select(image => Blocked(image, channels, height, width)).ToArray();
        var gradient = plainGradient.Select(image => Blocked(image, channels, height, width)).ToArray();
        var (sumGradient, sumCentered) = (new double[physical], new double[physical]);
        foreach (var pass in Passes(input.Length, passSize))
        {
            for (var b = 0; b < physical / Block; b++)
            {
                foreach (var n in pass)
                {
                    BatchNormKernels.AccumulateGradientStatistics(input[n].AsSpan(b * plane, plane), gradient[n].AsSpan(b * plane, plane), height * width,
                        mean.AsSpan(b * Block, Block), sumGradient.AsSpan(b * Block, Block), sumCentered.AsSpan(b * Block, Block));
                }
            }
        }

        var (weightGradient, biasGradient) = (new float[channels], new float[channels]);
        var (centeredScale, gradientMean, inputScale) = (new float[physical], new float[physical], new float[physical]);
        BatchNorm.GradientCoefficients(sumGradient, sumCentered, (long)input.Length * height * width, channels, default, inverseStd, weight, batchStatistics,
            weightGradient, biasGradient, centeredScale, gradientMean, inputScale);

        var inputGradient = new float[input.Length][];
        foreach (var pass in Passes(input.Length, passSize))
        {
            foreach (var n in pass)
            {
                var blockedGradient = new float[input[n].Length];
                for (var b = 0; b < physical / Block; b++)
                {
                    var lanes = new Range(b * Block, (b + 1) * Block);
                    BatchNormKernels.AddInputGradient(input[n].AsSpan(b * plane, plane), gradient[n].AsSpan(b * plane, plane), blockedGradient.AsSpan(b * plane, plane),
                        height * width, mean.AsSpan()[lanes], centeredScale.AsSpan()[lanes], gradientMean.AsSpan()[lanes], inputScale.AsSpan()[lanes]);
                }

                AssertPaddingLanesZero(blockedGradient, channels, height, width);
                inputGradient[n] = new float[channels * height * width];
                ReferenceKernels.BlockedToPlain(blockedGradient, default, inputGradient[n], channels, height, width);
            }
        }

        return (inputGradient, weightGradient, biasGradient);
    }

    private static IEnumerable<int[]> Passes(int batch, int passSize)
        => Enumerable.Range(0, (batch + passSize - 1) / passSize).Select(p => Enumerable.Range(p * passSize, Math.Min(passSize, batch - p * passSize)).ToArray());

    /// <summary>One NCHW image in the blocked layout.</summary>
    public static float[] Blocked(float[] plain, int channels, int height, int width)
    {
        var blocked = new float[BlockedLayout.Length(channels, height, width)];
        ReferenceKernels.PlainToBlocked(plain, blocked, channels, height, width);
        return blocked;
    }

    public static void AssertPaddingLanesZero(float[] blocked, int channels, int height, int width)
    {
        for (var i = 0; i < blocked.Length; i++)
        {
            var channel = i / (height * width * Block) * Block + i % Block;
            if (channel >= channels && BitConverter.SingleToInt32Bits(blocked[i]) != 0)
            {
                Assert.Fail($"Padding channel {channel} (of {channels}) holds {blocked[i]}, not +0.");
            }
        }
    }
}
