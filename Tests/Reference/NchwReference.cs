namespace InceptionGen.Tests.Reference;

/// <summary>
/// The test oracle: every op of the network on one image in plain NCHW order (a <c>float[C·H·W]</c>),
/// written straight from the math with no blocked layout, channel maps or shortcuts, and summed in
/// double. A batch is a loop over images. It shares no code with the runtime kernels, so a kernel that
/// agrees with it is right rather than merely consistent with itself.
/// </summary>
public static class NchwReference
{
    /// <summary>
    /// Output length along one axis of a convolution or pooling window sliding over
    /// <paramref name="input"/> cells. Floor mode is the default (and what convolutions use); ceil mode
    /// is Caffe's pooling rule, PyTorch's <c>ceil_mode=True</c>: round up, but drop a last window that
    /// would start in the right padding.
    /// </summary>
    public static int OutputSize(int input, int kernel, int stride, int padding, bool ceilMode = false)
    {
        var slack = input + 2 * padding - kernel;
        if (slack < 0)
        {
            throw new ArgumentException($"A {kernel}-wide window does not fit in {input} cells padded by {padding}.");
        }

        var output = (ceilMode ? (slack + stride - 1) / stride : slack / stride) + 1;
        if (ceilMode && padding > 0 && (output - 1) * stride >= input + padding)
        {
            output--;
        }

        return output;
    }

    /// <summary>
    /// Convolution with OIHW <paramref name="weights"/> over <paramref name="shape"/>.Channels inputs,
    /// zero padding, an optional <paramref name="bias"/> (null for none) and an optional ReLU.
    /// The output is <paramref name="outChannels"/> × <see cref="OutputSize"/> (floor) on each axis.
    /// </summary>
    public static float[] Conv2d(float[] input, FeatureShape shape, float[] weights, float[]? bias,
        int outChannels, int kernel, int stride, int padding, bool relu)
        => Conv2d(input, shape, weights, bias, outChannels, kernel, kernel, stride, stride, padding, padding, relu);

    /// <summary>A convolution with a <paramref name="kernelHeight"/> × <paramref name="kernelWidth"/> kernel, stride and padding per dimension; weights OIHW.</summary>
    public static float[] Conv2d(float[] input, FeatureShape shape, float[] weights, float[]? bias,
        int outChannels, int kernelHeight, int kernelWidth, int strideHeight, int strideWidth, int paddingHeight, int paddingWidth, bool relu)
    {
        var outShape = new FeatureShape(outChannels,
            OutputSize(shape.Height, kernelHeight, strideHeight, paddingHeight), OutputSize(shape.Width, kernelWidth, strideWidth, paddingWidth));
        var output = new float[outShape.Length];
        for (var o = 0; o < outChannels; o++)
        {
            for (var oy = 0; oy < outShape.Height; oy++)
            {
                for (var ox = 0; ox < outShape.Width; ox++)
                {
                    double sum = bias?[o] ?? 0f;
                    for (var i = 0; i < shape.Channels; i++)
                    {
                        for (var ky = 0; ky < kernelHeight; ky++)
                        {
                            for (var kx = 0; kx < kernelWidth; kx++)
                            {
                                var y = oy * strideHeight - paddingHeight + ky;
                                var x = ox * strideWidth - paddingWidth + kx;
                                if (IsInside(shape, y, x))
                                {
                                    var weight = weights[((o * shape.Channels + i) * kernelHeight + ky) * kernelWidth + kx];
                                    sum += (double)weight * input[Index(shape, i, y, x)];
                                }
                            }
                        }
                    }

                    output[Index(outShape, o, oy, ox)] = Activate(sum, relu);
                }
            }
        }

        return output;
    }

    /// <summary>Max pooling; cells in the padding are not candidates, so they never win. The caller picks the output size (floor or ceil mode).</summary>
    public static float[] MaxPool2d(float[] input, FeatureShape shape, int kernel, int stride, int padding, int outHeight, int outWidth)
        => Pool(input, shape, kernel, stride, padding, outHeight, outWidth, window =>
        {
            var max = float.NegativeInfinity;
            foreach (var (value, insideInput, _) in window)
            {
                if (insideInput)
                {
                    max = Math.Max(max, value);
                }
            }

            return max;
        });

    /// <summary>
    /// Average pooling as Caffe defines it: the divisor counts the window's cells that lie in the padded
    /// input, so padding counts as zeros, while cells of a ceil-mode window that hang past the padding
    /// do not count at all. The caller picks the output size.
    /// </summary>
    public static float[] AvgPool2d(float[] input, FeatureShape shape, int kernel, int stride, int padding, int outHeight, int outWidth)
        => Pool(input, shape, kernel, stride, padding, outHeight, outWidth, window =>
        {
            var sum = 0.0;
            var cells = 0;
            foreach (var (value, insideInput, insidePaddedInput) in window)
            {
                if (insidePaddedInput)
                {
                    cells++;
                    sum += insideInput ? value : 0.0;
                }
            }

            return (float)(sum / cells);
        });

    /// <summary>Mean of each channel over the whole map; the output is one value per channel.</summary>
    public static float[] GlobalAveragePool(float[] input, FeatureShape shape)
    {
        var output = new float[shape.Channels];
        for (var c = 0; c < shape.Channels; c++)
        {
            var sum = 0.0;
            for (var y = 0; y < shape.Height; y++)
            {
                for (var x = 0; x < shape.Width; x++)
                {
                    sum += input[Index(shape, c, y, x)];
                }
            }

            output[c] = (float)(sum / (shape.Height * shape.Width));
        }

        return output;
    }

    /// <summary>
    /// Caffe's across-channel local response normalization:
    /// <c>y = x · (k + α/size · Σ x²)^(-β)</c>, the sum over the <paramref name="size"/> channels centred
    /// on the channel, clipped at the first and last channel. Caffe only allows odd sizes, which is what
    /// makes "centred" exact.
    /// </summary>
    public static float[] LocalResponseNorm(float[] input, FeatureShape shape, int size, float alpha, float beta, float k)
    {
        if (size <= 0 || size % 2 == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(size), size, "The LRN window must be a positive odd number of channels.");
        }

        var output = new float[input.Length];
        for (var c = 0; c < shape.Channels; c++)
        {
            for (var y = 0; y < shape.Height; y++)
            {
                for (var x = 0; x < shape.Width; x++)
                {
                    var sumOfSquares = 0.0;
                    for (var n = c - size / 2; n <= c + size / 2; n++)
                    {
                        if (n >= 0 && n < shape.Channels)
                        {
                            double value = input[Index(shape, n, y, x)];
                            sumOfSquares += value * value;
                        }
                    }

                    var index = Index(shape, c, y, x);
                    output[index] = (float)(input[index] * Math.Pow(k + (double)alpha / size * sumOfSquares, -beta));
                }
            }
        }

        return output;
    }

    /// <summary>Fully connected layer <c>y = W x + b</c> with W as [out, in] row-major, an optional <paramref name="bias"/> (null for none) and an optional ReLU.</summary>
    public static float[] Linear(float[] input, float[] weights, float[]? bias, int outFeatures, bool relu)
    {
        var output = new float[outFeatures];
        for (var o = 0; o < outFeatures; o++)
        {
            double sum = bias?[o] ?? 0f;
            for (var i = 0; i < input.Length; i++)
            {
                sum += (double)weights[o * input.Length + i] * input[i];
            }

            output[o] = Activate(sum, relu);
        }

        return output;
    }

    /// <summary>max(x, 0) for every element.</summary>
    public static float[] Relu(float[] input) => Array.ConvertAll(input, value => Math.Max(value, 0f));

    /// <summary>
    /// Concatenates images of equal height and width along channels. In NCHW the channel axis of one
    /// image is outermost, so this is appending the arrays in order.
    /// </summary>
    public static float[] ConcatChannels(params float[][] images) => images.SelectMany(image => image).ToArray();

    /// <summary>Softmax over the whole vector, shifted by its maximum so exp never overflows.</summary>
    public static float[] Softmax(float[] logits)
    {
        var max = logits.Max();
        var exponentials = Array.ConvertAll(logits, logit => Math.Exp(logit - max));
        var sum = exponentials.Sum();
        return Array.ConvertAll(exponentials, exponential => (float)(exponential / sum));
    }

    /// <summary>One cell of a pooling window: its value (0 when outside the input) and whether it lies in the input and in the padded input.</summary>
    private readonly record struct WindowCell(float Value, bool InsideInput, bool InsidePaddedInput);

    /// <summary>Slides a kernel × kernel window over every channel and reduces each window's cells to one output value.</summary>
    private static float[] Pool(float[] input, FeatureShape shape, int kernel, int stride, int padding, int outHeight, int outWidth,
        Func<IEnumerable<WindowCell>, float> reduce)
    {
        var outShape = new FeatureShape(shape.Channels, outHeight, outWidth);
        var output = new float[outShape.Length];
        for (var c = 0; c < shape.Channels; c++)
        {
            for (var oy = 0; oy < outHeight; oy++)
            {
                for (var ox = 0; ox < outWidth; ox++)
                {
                    output[Index(outShape, c, oy, ox)] = reduce(WindowCells(c, oy * stride - padding, ox * stride - padding));
                }
            }
        }

        return output;

        IEnumerable<WindowCell> WindowCells(int channel, int top, int left)
        {
            for (var y = top; y < top + kernel; y++)
            {
                for (var x = left; x < left + kernel; x++)
                {
                    // Windows start at -padding or later, so only the bottom and right edges can pass the padding.
                    var insidePaddedInput = y < shape.Height + padding && x < shape.Width + padding;
                    yield return IsInside(shape, y, x)
                        ? new WindowCell(input[Index(shape, channel, y, x)], true, true)
                        : new WindowCell(0f, false, insidePaddedInput);
                }
            }
        }
    }

    private static float Activate(double sum, bool relu) => (float)(relu ? Math.Max(sum, 0.0) : sum);

    private static bool IsInside(FeatureShape shape, int y, int x) => y >= 0 && y < shape.Height && x >= 0 && x < shape.Width;

    private static int Index(FeatureShape shape, int channel, int y, int x) => (channel * shape.Height + y) * shape.Width + x;
}
