namespace InceptionGen.Tests.Training;

/// <summary>
/// The forward ops in double precision on plain NCHW arrays, written from the math (as <c>NchwReference</c> is, but
/// without rounding the result to float), so central differences of them are accurate to ~1e-8. They share no code
/// with the runtime kernels. Output sizes are the caller's (floor or ceil mode).
/// </summary>
internal static class DoubleForward
{
    public static double[] Conv2d(double[] input, int channels, int height, int width, double[] weights, double[]? bias,
        int outChannels, int outHeight, int outWidth, int kernel, int stride, int padding)
    {
        var output = new double[outChannels * outHeight * outWidth];
        for (var o = 0; o < outChannels; o++)
        {
            for (var oy = 0; oy < outHeight; oy++)
            {
                for (var ox = 0; ox < outWidth; ox++)
                {
                    var sum = bias?[o] ?? 0.0;
                    for (var i = 0; i < channels; i++)
                    {
                        for (var ky = 0; ky < kernel; ky++)
                        {
                            for (var kx = 0; kx < kernel; kx++)
                            {
                                var y = oy * stride - padding + ky;
                                var x = ox * stride - padding + kx;
                                if (y >= 0 && y < height && x >= 0 && x < width)
                                {
                                    sum += weights[((o * channels + i) * kernel + ky) * kernel + kx] * input[(i * height + y) * width + x];
                                }
                            }
                        }
                    }

                    output[(o * outHeight + oy) * outWidth + ox] = sum;
                }
            }
        }

        return output;
    }

    public static double[] Relu(double[] values) => Array.ConvertAll(values, value => Math.Max(value, 0.0));

    /// <summary>Max over the window's cells that lie in the input; padding cells are not candidates.</summary>
    public static double[] MaxPool2d(double[] input, int channels, int height, int width, int kernel, int stride, int padding, int outHeight, int outWidth)
        => Pool(input, channels, height, width, kernel, stride, padding, outHeight, outWidth, max: true);

    /// <summary>Caffe's average: the divisor counts the window's cells inside the padded input; padding cells count as zeros.</summary>
    public static double[] AvgPool2d(double[] input, int channels, int height, int width, int kernel, int stride, int padding, int outHeight, int outWidth)
        => Pool(input, channels, height, width, kernel, stride, padding, outHeight, outWidth, max: false);

    public static double[] GlobalAveragePool(double[] input, int channels, int height, int width)
    {
        var output = new double[channels];
        for (var c = 0; c < channels; c++)
        {
            var sum = 0.0;
            for (var i = 0; i < height * width; i++)
            {
                sum += input[c * height * width + i];
            }

            output[c] = sum / (height * width);
        }

        return output;
    }

    /// <summary>y = x · (k + α/size · Σ x²)^(-β), the sum over the size channels centred on each channel, clipped at the ends.</summary>
    public static double[] LocalResponseNorm(double[] input, int channels, int height, int width, int size, double alpha, double beta, double k)
    {
        var output = new double[input.Length];
        var plane = height * width;
        for (var c = 0; c < channels; c++)
        {
            for (var p = 0; p < plane; p++)
            {
                var sumOfSquares = 0.0;
                for (var n = c - size / 2; n <= c + size / 2; n++)
                {
                    if (n >= 0 && n < channels)
                    {
                        sumOfSquares += input[n * plane + p] * input[n * plane + p];
                    }
                }

                output[c * plane + p] = input[c * plane + p] * Math.Pow(k + alpha / size * sumOfSquares, -beta);
            }
        }

        return output;
    }

    /// <summary>y = W x + b, W as [out, in].</summary>
    public static double[] Linear(double[] input, double[] weights, double[]? bias, int outFeatures)
    {
        var output = new double[outFeatures];
        for (var o = 0; o < outFeatures; o++)
        {
            var sum = bias?[o] ?? 0.0;
            for (var i = 0; i < input.Length; i++)
            {
                sum += weights[o * input.Length + i] * input[i];
            }

            output[o] = sum;
        }

        return output;
    }

    /// <summary>A zero border of <paramref name="padding"/> cells on every side of every channel.</summary>
    public static double[] Pad(double[] input, int channels, int height, int width, int padding)
    {
        var paddedHeight = height + 2 * padding;
        var paddedWidth = width + 2 * padding;
        var output = new double[channels * paddedHeight * paddedWidth];
        for (var c = 0; c < channels; c++)
        {
            for (var y = 0; y < height; y++)
            {
                for (var x = 0; x < width; x++)
                {
                    output[(c * paddedHeight + y + padding) * paddedWidth + x + padding] = input[(c * height + y) * width + x];
                }
            }
        }

        return output;
    }

    private static double[] Pool(double[] input, int channels, int height, int width, int kernel, int stride, int padding, int outHeight, int outWidth, bool max)
    {
        var output = new double[channels * outHeight * outWidth];
        for (var c = 0; c < channels; c++)
        {
            for (var oy = 0; oy < outHeight; oy++)
            {
                for (var ox = 0; ox < outWidth; ox++)
                {
                    var accumulator = max ? double.NegativeInfinity : 0.0;
                    var cells = 0;
                    for (var y = oy * stride - padding; y < oy * stride - padding + kernel; y++)
                    {
                        for (var x = ox * stride - padding; x < ox * stride - padding + kernel; x++)
                        {
                            var inside = y >= 0 && y < height && x >= 0 && x < width;
                            // Windows start at -padding or later, so only the bottom and right edges can pass the padding.
                            var insidePadded = y < height + padding && x < width + padding;
                            var value = inside ? input[(c * height + y) * width + x] : 0.0;
                            if (max && inside)
                            {
                                accumulator = Math.Max(accumulator, value);
                            }
                            else if (!max && insidePadded)
                            {
                                accumulator += value;
                                cells++;
                            }
                        }
                    }

                    output[(c * outHeight + oy) * outWidth + ox] = max ? accumulator : accumulator / cells;
                }
            }
        }

        return output;
    }
}
