using System.Buffers;

namespace InceptionGen.Kernels;

/// <summary>
/// Plain scalar backward kernels on the NCHW16c layout, one image per call: the gradients of the forward
/// ops in <see cref="ReferenceKernels"/>, and the oracle for any faster backward kernel. Conventions:
/// <list type="bullet">
/// <item>Input and parameter gradients are <b>added</b> into (<c>+=</c>) their buffers, so a tensor read by
/// several ops (an Inception module's input feeds four branches) collects every branch's share. Callers zero
/// the buffers first.</item>
/// <item>An empty <c>inputGradient</c> or <c>weightGradient</c> span means that gradient is not needed and its
/// work is skipped: training computes input and weight gradients as separate ops (each skips the other), and
/// the network input's gradient only when asked for.</item>
/// <item>A fused ReLU is not handled by the layer kernels: callers call <see cref="ReluMask"/> on the layer's
/// output gradient first. <see cref="ConvGeometry.Relu"/> is ignored.</item>
/// <item>Convolutions see their input already padded (<see cref="ReferenceKernels.Pad(ReadOnlySpan{float}, Span{float}, int, int, int, int)"/>), so they run with
/// a padding of 0 and <see cref="Pad(ReadOnlySpan{float}, Span{float}, int, int, int, int)"/> carries the gradient back to the unpadded map.
/// A nonzero padding is still handled, with the forward kernel's meaning.</item>
/// <item>A <c>channelMap</c> gives the physical channel of each logical input channel (empty means identity),
/// as in the forward kernels. The input gradient has the input's layout; kernels over logical channels never
/// touch the physical channels no logical channel maps to, and never read the padding channels of an output
/// gradient.</item>
/// </list>
/// </summary>
public static class ReferenceBackward
{
    /// <summary>
    /// The backward of a fused ReLU, in place: zeroes <paramref name="outputGradient"/> wherever the layer's
    /// (post-ReLU) <paramref name="output"/> is not positive. At exactly 0 the gradient is taken as 0, as PyTorch does.
    /// </summary>
    public static void ReluMask(ReadOnlySpan<float> output, Span<float> outputGradient)
    {
        if (output.Length != outputGradient.Length)
        {
            throw new ArgumentException($"The output has {output.Length} floats but its gradient has {outputGradient.Length}.", nameof(outputGradient));
        }

        for (var i = 0; i < output.Length; i++)
        {
            if (!(output[i] > 0f))
            {
                outputGradient[i] = 0f;
            }
        }
    }

    /// <summary>
    /// Gradients of <see cref="ReferenceKernels.Conv2d"/> (without its ReLU): <paramref name="weightGradient"/> (OIHW over
    /// logical channels) += Σ dy ⊗ x, <paramref name="biasGradient"/> += Σ dy (skipped when empty: no bias), and
    /// <paramref name="inputGradient"/> (the input's layout, through <paramref name="channelMap"/>) += the transposed
    /// convolution of dy (skipped when empty). Any stride.
    /// </summary>
    public static void Conv2d(ReadOnlySpan<float> input, ReadOnlySpan<int> channelMap, ReadOnlySpan<float> outputGradient, ReadOnlySpan<float> weights,
        Span<float> inputGradient, Span<float> weightGradient, Span<float> biasGradient, in ConvGeometry g)
    {
        var needInput = !inputGradient.IsEmpty;
        var needWeights = !weightGradient.IsEmpty;
        for (var o = 0; o < g.OutChannels; o++)
        {
            if (!biasGradient.IsEmpty)
            {
                var sum = 0f;
                for (var oy = 0; oy < g.OutHeight; oy++)
                {
                    for (var ox = 0; ox < g.OutWidth; ox++)
                    {
                        sum += outputGradient[BlockedLayout.Index(o, oy, ox, g.OutHeight, g.OutWidth)];
                    }
                }

                biasGradient[o] += sum;
            }

            if (!needInput && !needWeights)
            {
                continue;
            }

            for (var i = 0; i < g.InChannels; i++)
            {
                var physical = BlockedLayout.Physical(channelMap, i);
                for (var ky = 0; ky < g.KernelHeight; ky++)
                {
                    for (var kx = 0; kx < g.KernelWidth; kx++)
                    {
                        var weightIndex = ((o * g.InChannels + i) * g.KernelHeight + ky) * g.KernelWidth + kx;
                        var weight = weights[weightIndex];
                        var sum = 0f;
                        for (var oy = 0; oy < g.OutHeight; oy++)
                        {
                            var iy = oy * g.StrideHeight - g.PaddingHeight + ky;
                            if ((uint)iy >= (uint)g.InHeight)
                            {
                                continue;
                            }

                            for (var ox = 0; ox < g.OutWidth; ox++)
                            {
                                var ix = ox * g.StrideWidth - g.PaddingWidth + kx;
                                if ((uint)ix >= (uint)g.InWidth)
                                {
                                    continue;
                                }

                                var gradient = outputGradient[BlockedLayout.Index(o, oy, ox, g.OutHeight, g.OutWidth)];
                                var inputIndex = BlockedLayout.Index(physical, iy, ix, g.InHeight, g.InWidth);
                                sum += gradient * input[inputIndex];
                                if (needInput)
                                {
                                    inputGradient[inputIndex] += weight * gradient;
                                }
                            }
                        }

                        if (needWeights)
                        {
                            weightGradient[weightIndex] += sum;
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// Gradient of <see cref="ReferenceKernels.Pad(ReadOnlySpan{float}, Span{float}, int, int, int, int)"/>: <paramref name="inputGradient"/> += the interior of
    /// <paramref name="paddedGradient"/> (the border's gradient goes nowhere). Every physical channel.
    /// </summary>
    public static void Pad(ReadOnlySpan<float> paddedGradient, Span<float> inputGradient, int physicalChannels, int height, int width, int padding)
        => Pad(paddedGradient, inputGradient, physicalChannels, height, width, padding, padding);

    /// <summary>As the square overload, with <paramref name="paddingHeight"/> rows above and below and <paramref name="paddingWidth"/> columns left and right.</summary>
    public static void Pad(ReadOnlySpan<float> paddedGradient, Span<float> inputGradient, int physicalChannels, int height, int width, int paddingHeight, int paddingWidth)
    {
        if (inputGradient.IsEmpty)
        {
            return;
        }

        var paddedHeight = height + 2 * paddingHeight;
        var paddedWidth = width + 2 * paddingWidth;
        for (var c = 0; c < physicalChannels; c++)
        {
            for (var y = 0; y < height; y++)
            {
                for (var x = 0; x < width; x++)
                {
                    inputGradient[BlockedLayout.Index(c, y, x, height, width)]
                        += paddedGradient[BlockedLayout.Index(c, y + paddingHeight, x + paddingWidth, paddedHeight, paddedWidth)];
                }
            }
        }
    }

    /// <summary>
    /// Gradient of <see cref="ReferenceKernels.MaxPool2d"/>: each output's gradient goes to the first input cell in
    /// its window, in row-major scan order, that equals the output (the max), as PyTorch and Caffe route it; ties
    /// give the whole gradient to the first. Padded cells never win. Every physical channel (<see cref="PoolGeometry.Channels"/>).
    /// </summary>
    public static void MaxPool2d(ReadOnlySpan<float> input, ReadOnlySpan<float> output, ReadOnlySpan<float> outputGradient, Span<float> inputGradient, in PoolGeometry g)
    {
        if (inputGradient.IsEmpty)
        {
            return;
        }

        for (var c = 0; c < g.Channels; c++)
        {
            for (var oy = 0; oy < g.OutHeight; oy++)
            {
                for (var ox = 0; ox < g.OutWidth; ox++)
                {
                    var outputIndex = BlockedLayout.Index(c, oy, ox, g.OutHeight, g.OutWidth);
                    var max = output[outputIndex];
                    var (y0, y1) = ReferenceKernels.Window(oy, g.StrideHeight, g.PaddingHeight, g.KernelHeight, g.InHeight);
                    var (x0, x1) = ReferenceKernels.Window(ox, g.StrideWidth, g.PaddingWidth, g.KernelWidth, g.InWidth);
                    var winner = FirstIndexOf(input, max, c, y0, y1, x0, x1, g.InHeight, g.InWidth);
                    if (winner >= 0)
                    {
                        inputGradient[winner] += outputGradient[outputIndex];
                    }
                }
            }
        }

        static int FirstIndexOf(ReadOnlySpan<float> input, float max, int c, int y0, int y1, int x0, int x1, int height, int width)
        {
            for (var y = y0; y < y1; y++)
            {
                for (var x = x0; x < x1; x++)
                {
                    var index = BlockedLayout.Index(c, y, x, height, width);
                    if (input[index] == max)
                    {
                        return index;
                    }
                }
            }

            // Only when the max is NaN (or the window holds no input cell): there is no cell to blame.
            return -1;
        }
    }

    /// <summary>
    /// Gradient of <see cref="ReferenceKernels.AvgPool2d"/>: each output's gradient, divided by Caffe's divisor
    /// (<see cref="ReferenceKernels.AverageDivisor"/>, which counts the padding), goes to every input cell of its window.
    /// </summary>
    public static void AvgPool2d(ReadOnlySpan<float> outputGradient, Span<float> inputGradient, in PoolGeometry g)
    {
        if (inputGradient.IsEmpty)
        {
            return;
        }

        for (var c = 0; c < g.Channels; c++)
        {
            for (var oy = 0; oy < g.OutHeight; oy++)
            {
                for (var ox = 0; ox < g.OutWidth; ox++)
                {
                    var share = outputGradient[BlockedLayout.Index(c, oy, ox, g.OutHeight, g.OutWidth)] / ReferenceKernels.AverageDivisor(oy, ox, g);
                    var (y0, y1) = ReferenceKernels.Window(oy, g.StrideHeight, g.PaddingHeight, g.KernelHeight, g.InHeight);
                    var (x0, x1) = ReferenceKernels.Window(ox, g.StrideWidth, g.PaddingWidth, g.KernelWidth, g.InWidth);
                    for (var y = y0; y < y1; y++)
                    {
                        for (var x = x0; x < x1; x++)
                        {
                            inputGradient[BlockedLayout.Index(c, y, x, g.InHeight, g.InWidth)] += share;
                        }
                    }
                }
            }
        }
    }

    /// <summary>Gradient of <see cref="ReferenceKernels.GlobalAveragePool"/>: each channel's gradient, divided by height × width, goes to every cell of the channel.</summary>
    public static void GlobalAveragePool(ReadOnlySpan<float> outputGradient, Span<float> inputGradient, int physicalChannels, int height, int width)
    {
        if (inputGradient.IsEmpty)
        {
            return;
        }

        var scale = 1f / (height * width);
        for (var c = 0; c < physicalChannels; c++)
        {
            var share = outputGradient[c] * scale;
            for (var y = 0; y < height; y++)
            {
                for (var x = 0; x < width; x++)
                {
                    inputGradient[BlockedLayout.Index(c, y, x, height, width)] += share;
                }
            }
        }
    }

    /// <summary>
    /// Gradient of <see cref="ReferenceKernels.LocalResponseNorm"/> (Caffe's across-channel formula), exactly:
    /// with <c>s_i = k + α/n · Σ_{window(i)} x²</c> and <c>y_i = x_i · s_i^-β</c>,
    /// <c>dx_i = dy_i · s_i^-β − (2αβ/n) · x_i · Σ_{j : i ∈ window(j)} dy_j · y_j / s_j</c>.
    /// Windows are centred and clipped to the logical channels, so <c>i ∈ window(j)</c> exactly when <c>j ∈ window(i)</c>.
    /// <paramref name="output"/> is the forward's output; input, output and both gradients share <paramref name="channelMap"/>.
    /// </summary>
    public static void LocalResponseNorm(ReadOnlySpan<float> input, ReadOnlySpan<float> output, ReadOnlySpan<float> outputGradient, ReadOnlySpan<int> channelMap,
        Span<float> inputGradient, int channels, int height, int width, int size, float alpha, float beta, float k)
    {
        if (inputGradient.IsEmpty)
        {
            return;
        }

        const int StackChannels = 256;
        float[]? rented = null;
        Span<float> buffer = channels <= StackChannels ? stackalloc float[2 * StackChannels] : (rented = ArrayPool<float>.Shared.Rent(2 * channels));
        // Per pixel: s_c, then dy_c · y_c / s_c.
        var scales = buffer[..channels];
        var ratios = buffer.Slice(channels, channels);
        var half = (size - 1) / 2;
        var scale = alpha / size;
        var coefficient = 2f * scale * beta;
        try
        {
            for (var y = 0; y < height; y++)
            {
                for (var x = 0; x < width; x++)
                {
                    for (var c = 0; c < channels; c++)
                    {
                        var sum = 0f;
                        for (var n = Math.Max(0, c - half); n <= Math.Min(channels - 1, c + half); n++)
                        {
                            var value = input[BlockedLayout.Index(BlockedLayout.Physical(channelMap, n), y, x, height, width)];
                            sum += value * value;
                        }

                        var index = BlockedLayout.Index(BlockedLayout.Physical(channelMap, c), y, x, height, width);
                        scales[c] = k + scale * sum;
                        ratios[c] = outputGradient[index] * output[index] / scales[c];
                    }

                    for (var c = 0; c < channels; c++)
                    {
                        var sum = 0f;
                        for (var n = Math.Max(0, c - half); n <= Math.Min(channels - 1, c + half); n++)
                        {
                            sum += ratios[n];
                        }

                        var index = BlockedLayout.Index(BlockedLayout.Physical(channelMap, c), y, x, height, width);
                        inputGradient[index] += outputGradient[index] * MathF.Pow(scales[c], -beta) - coefficient * input[index] * sum;
                    }
                }
            }
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<float>.Shared.Return(rented);
            }
        }
    }

    /// <summary>
    /// Gradients of <see cref="ReferenceKernels.Linear"/> (without its ReLU), W as [out, in]: <paramref name="weightGradient"/>
    /// += dy ⊗ x, <paramref name="biasGradient"/> += dy (skipped when empty: no bias), and <paramref name="inputGradient"/>
    /// += Wᵀ dy (skipped when empty), the input read and its gradient written through <paramref name="channelMap"/>.
    /// </summary>
    public static void Linear(ReadOnlySpan<float> input, ReadOnlySpan<int> channelMap, ReadOnlySpan<float> outputGradient, ReadOnlySpan<float> weights,
        Span<float> inputGradient, Span<float> weightGradient, Span<float> biasGradient, int inFeatures, int outFeatures)
    {
        for (var o = 0; o < outFeatures; o++)
        {
            var gradient = outputGradient[o];
            if (!biasGradient.IsEmpty)
            {
                biasGradient[o] += gradient;
            }

            for (var i = 0; i < inFeatures && !weightGradient.IsEmpty; i++)
            {
                weightGradient[o * inFeatures + i] += gradient * input[BlockedLayout.Physical(channelMap, i)];
            }
        }

        if (inputGradient.IsEmpty)
        {
            return;
        }

        for (var i = 0; i < inFeatures; i++)
        {
            var sum = 0f;
            for (var o = 0; o < outFeatures; o++)
            {
                sum += weights[o * inFeatures + i] * outputGradient[o];
            }

            inputGradient[BlockedLayout.Physical(channelMap, i)] += sum;
        }
    }

    /// <summary>
    /// Gradient of <see cref="ReferenceKernels.BlockedToPlain(ReadOnlySpan{float}, ReadOnlySpan{int}, Span{float}, int, int, int)"/> (flatten): each NCHW gradient value is added at its
    /// logical channel's blocked position, through <paramref name="channelMap"/>.
    /// </summary>
    public static void BlockedToPlain(ReadOnlySpan<float> plainGradient, ReadOnlySpan<int> channelMap, Span<float> blockedGradient, int channels, int height, int width)
    {
        if (blockedGradient.IsEmpty)
        {
            return;
        }

        for (var c = 0; c < channels; c++)
        {
            var physical = BlockedLayout.Physical(channelMap, c);
            for (var y = 0; y < height; y++)
            {
                for (var x = 0; x < width; x++)
                {
                    blockedGradient[BlockedLayout.Index(physical, y, x, height, width)] += plainGradient[(c * height + y) * width + x];
                }
            }
        }
    }

    /// <summary>
    /// Gradient of <see cref="ReferenceKernels.AdaptiveAvgPool2d"/>: each output's gradient, divided by its window's size,
    /// is added to every input cell of the window (cells of overlapping windows get both shares, outputs row-major).
    /// </summary>
    public static void AdaptiveAvgPool2d(ReadOnlySpan<float> outputGradient, Span<float> inputGradient, int physicalChannels, int inHeight, int inWidth, int outHeight, int outWidth)
    {
        if (inputGradient.IsEmpty)
        {
            return;
        }

        for (var c = 0; c < physicalChannels; c++)
        {
            for (var oy = 0; oy < outHeight; oy++)
            {
                var (y0, y1) = ReferenceKernels.AdaptiveWindow(oy, inHeight, outHeight);
                for (var ox = 0; ox < outWidth; ox++)
                {
                    var (x0, x1) = ReferenceKernels.AdaptiveWindow(ox, inWidth, outWidth);
                    var share = outputGradient[BlockedLayout.Index(c, oy, ox, outHeight, outWidth)] / ((y1 - y0) * (x1 - x0));
                    for (var y = y0; y < y1; y++)
                    {
                        for (var x = x0; x < x1; x++)
                        {
                            inputGradient[BlockedLayout.Index(c, y, x, inHeight, inWidth)] += share;
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// Backward of <see cref="ReferenceKernels.ResidualAdd"/> for one image: the output gradient (masked where the ReLU
    /// clipped <paramref name="output"/> to 0) is added to the input's gradient, and times <paramref name="scale"/> to the
    /// branches' gradient, each at its own layout.
    /// </summary>
    public static void ResidualAdd(ReadOnlySpan<float> output, ReadOnlySpan<float> outputGradient, ReadOnlySpan<int> inputMap, Span<float> inputGradient,
        ReadOnlySpan<int> branchesMap, Span<float> branchesGradient, int channels, int pixels, float scale, bool relu)
    {
        for (var c = 0; c < channels; c++)
        {
            var x = inputMap.IsEmpty ? c : inputMap[c];
            var b = branchesMap.IsEmpty ? c : branchesMap[c];
            for (var p = 0; p < pixels; p++)
            {
                var at = BlockedLayout.Index(x, 0, p, 1, pixels);
                var gradient = relu && !(output[at] > 0f) ? 0f : outputGradient[at];
                inputGradient[at] += gradient;
                branchesGradient[BlockedLayout.Index(b, 0, p, 1, pixels)] += scale * gradient;
            }
        }
    }
}
