namespace InceptionGen.Kernels;

/// <summary>
/// Plain scalar kernels on the NCHW16c layout, one image per call. They are the oracle that every
/// vectorized kernel is tested against, and the fallback when nothing faster applies.
/// A <c>channelMap</c> gives the physical channel of each logical input channel (empty means identity);
/// it is only non-empty after an Inception concat whose branch widths are not multiples of 16.
/// </summary>
public static class ReferenceKernels
{
    /// <summary>Copies one NCHW image into the blocked layout, zeroing the padding channels.</summary>
    public static void PlainToBlocked(ReadOnlySpan<float> input, Span<float> output, int channels, int height, int width)
        => PlainToBlocked(input, output, channels, height, width, padding: 0);

    /// <summary>
    /// As <see cref="PlainToBlocked(ReadOnlySpan{float}, Span{float}, int, int, int)"/>, into a map with a zero border of
    /// <paramref name="padding"/> pixels (height + 2·padding by width + 2·padding per block), as a zero-padding op writes it.
    /// </summary>
    public static void PlainToBlocked(ReadOnlySpan<float> input, Span<float> output, int channels, int height, int width, int padding)
        => PlainToBlocked(input, output, channels, height, width, padding, padding);

    /// <summary>As the square overload, with <paramref name="paddingHeight"/> rows above and below and <paramref name="paddingWidth"/> columns left and right.</summary>
    public static void PlainToBlocked(ReadOnlySpan<float> input, Span<float> output, int channels, int height, int width, int paddingHeight, int paddingWidth)
    {
        var paddedHeight = height + 2 * paddingHeight;
        var paddedWidth = width + 2 * paddingWidth;
        output[..BlockedLayout.Length(channels, paddedHeight, paddedWidth)].Clear();
        for (var c = 0; c < channels; c++)
        {
            for (var y = 0; y < height; y++)
            {
                for (var x = 0; x < width; x++)
                {
                    output[BlockedLayout.Index(c, y + paddingHeight, x + paddingWidth, paddedHeight, paddedWidth)] = input[(c * height + y) * width + x];
                }
            }
        }
    }

    /// <summary>Copies one blocked image into NCHW order (logical channels only): flatten, or the network's output.</summary>
    public static void BlockedToPlain(ReadOnlySpan<float> input, ReadOnlySpan<int> channelMap, Span<float> output, int channels, int height, int width)
        => BlockedToPlain(input, channelMap, output, channels, height, width, padding: 0);

    /// <summary>
    /// As <see cref="BlockedToPlain(ReadOnlySpan{float}, ReadOnlySpan{int}, Span{float}, int, int, int)"/>, from the interior
    /// of a map with a zero border of <paramref name="padding"/> pixels (the input's gradient when the input layout wrote
    /// the first convolution's padded map).
    /// </summary>
    public static void BlockedToPlain(ReadOnlySpan<float> input, ReadOnlySpan<int> channelMap, Span<float> output, int channels, int height, int width, int padding)
        => BlockedToPlain(input, channelMap, output, channels, height, width, padding, padding);

    /// <summary>As the square overload, with <paramref name="paddingHeight"/> rows above and below and <paramref name="paddingWidth"/> columns left and right.</summary>
    public static void BlockedToPlain(ReadOnlySpan<float> input, ReadOnlySpan<int> channelMap, Span<float> output, int channels, int height, int width, int paddingHeight, int paddingWidth)
    {
        var paddedHeight = height + 2 * paddingHeight;
        var paddedWidth = width + 2 * paddingWidth;
        for (var c = 0; c < channels; c++)
        {
            var physical = BlockedLayout.Physical(channelMap, c);
            for (var y = 0; y < height; y++)
            {
                for (var x = 0; x < width; x++)
                {
                    output[(c * height + y) * width + x] = input[BlockedLayout.Index(physical, y + paddingHeight, x + paddingWidth, paddedHeight, paddedWidth)];
                }
            }
        }
    }

    /// <summary>
    /// Direct convolution. Weights are OIHW over logical channels. Writes all
    /// <c>Blocks(OutChannels)</c> blocks of <paramref name="output"/>, padding channels as zero.
    /// </summary>
    public static void Conv2d(ReadOnlySpan<float> input, ReadOnlySpan<int> channelMap, Span<float> output,
        ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, in ConvGeometry g)
    {
        output[..BlockedLayout.Length(g.OutChannels, g.OutHeight, g.OutWidth)].Clear();
        for (var o = 0; o < g.OutChannels; o++)
        {
            var initial = bias.IsEmpty ? 0f : bias[o];
            for (var oy = 0; oy < g.OutHeight; oy++)
            {
                for (var ox = 0; ox < g.OutWidth; ox++)
                {
                    var sum = initial;
                    for (var i = 0; i < g.InChannels; i++)
                    {
                        var physical = BlockedLayout.Physical(channelMap, i);
                        for (var ky = 0; ky < g.KernelHeight; ky++)
                        {
                            var iy = oy * g.StrideHeight - g.PaddingHeight + ky;
                            if ((uint)iy >= (uint)g.InHeight)
                            {
                                continue;
                            }

                            for (var kx = 0; kx < g.KernelWidth; kx++)
                            {
                                var ix = ox * g.StrideWidth - g.PaddingWidth + kx;
                                if ((uint)ix >= (uint)g.InWidth)
                                {
                                    continue;
                                }

                                sum += weights[((o * g.InChannels + i) * g.KernelHeight + ky) * g.KernelWidth + kx]
                                     * input[BlockedLayout.Index(physical, iy, ix, g.InHeight, g.InWidth)];
                            }
                        }
                    }

                    output[BlockedLayout.Index(o, oy, ox, g.OutHeight, g.OutWidth)] = g.Relu ? MathF.Max(sum, 0f) : sum;
                }
            }
        }
    }

    /// <summary>Copies one image into the interior of a map with a zero border of <paramref name="padding"/> pixels on every side.</summary>
    public static void Pad(ReadOnlySpan<float> input, Span<float> output, int physicalChannels, int height, int width, int padding)
        => Pad(input, output, physicalChannels, height, width, padding, padding);

    /// <summary>As the square overload, with <paramref name="paddingHeight"/> rows above and below and <paramref name="paddingWidth"/> columns left and right.</summary>
    public static void Pad(ReadOnlySpan<float> input, Span<float> output, int physicalChannels, int height, int width, int paddingHeight, int paddingWidth)
    {
        var paddedHeight = height + 2 * paddingHeight;
        var paddedWidth = width + 2 * paddingWidth;
        output[..(physicalChannels * paddedHeight * paddedWidth)].Clear();
        for (var c = 0; c < physicalChannels; c++)
        {
            for (var y = 0; y < height; y++)
            {
                for (var x = 0; x < width; x++)
                {
                    output[BlockedLayout.Index(c, y + paddingHeight, x + paddingWidth, paddedHeight, paddedWidth)] = input[BlockedLayout.Index(c, y, x, height, width)];
                }
            }
        }
    }

    /// <summary>Max pooling over every physical channel; padded cells never win.</summary>
    public static void MaxPool2d(ReadOnlySpan<float> input, Span<float> output, in PoolGeometry g)
    {
        for (var c = 0; c < g.Channels; c++)
        {
            for (var oy = 0; oy < g.OutHeight; oy++)
            {
                for (var ox = 0; ox < g.OutWidth; ox++)
                {
                    var (y0, y1) = Window(oy, g.StrideHeight, g.PaddingHeight, g.KernelHeight, g.InHeight);
                    var (x0, x1) = Window(ox, g.StrideWidth, g.PaddingWidth, g.KernelWidth, g.InWidth);
                    var max = float.NegativeInfinity;
                    for (var y = y0; y < y1; y++)
                    {
                        for (var x = x0; x < x1; x++)
                        {
                            max = MathF.Max(max, input[BlockedLayout.Index(c, y, x, g.InHeight, g.InWidth)]);
                        }
                    }

                    output[BlockedLayout.Index(c, oy, ox, g.OutHeight, g.OutWidth)] = max;
                }
            }
        }
    }

    /// <summary>Average pooling as Caffe computes it: the divisor is the window clipped to the padded input, so padding counts as zeros.</summary>
    public static void AvgPool2d(ReadOnlySpan<float> input, Span<float> output, in PoolGeometry g)
    {
        for (var c = 0; c < g.Channels; c++)
        {
            for (var oy = 0; oy < g.OutHeight; oy++)
            {
                for (var ox = 0; ox < g.OutWidth; ox++)
                {
                    var divisor = AverageDivisor(oy, ox, g);
                    var (y0, y1) = Window(oy, g.StrideHeight, g.PaddingHeight, g.KernelHeight, g.InHeight);
                    var (x0, x1) = Window(ox, g.StrideWidth, g.PaddingWidth, g.KernelWidth, g.InWidth);
                    var sum = 0f;
                    for (var y = y0; y < y1; y++)
                    {
                        for (var x = x0; x < x1; x++)
                        {
                            sum += input[BlockedLayout.Index(c, y, x, g.InHeight, g.InWidth)];
                        }
                    }

                    output[BlockedLayout.Index(c, oy, ox, g.OutHeight, g.OutWidth)] = sum / divisor;
                }
            }
        }
    }

    /// <summary>Caffe's average-pool divisor: the window clipped to the input plus padding (not to the input itself).</summary>
    public static int AverageDivisor(int oy, int ox, in PoolGeometry g)
    {
        var yStart = oy * g.StrideHeight - g.PaddingHeight;
        var xStart = ox * g.StrideWidth - g.PaddingWidth;
        var yEnd = Math.Min(yStart + g.KernelHeight, g.InHeight + g.PaddingHeight);
        var xEnd = Math.Min(xStart + g.KernelWidth, g.InWidth + g.PaddingWidth);
        return (yEnd - yStart) * (xEnd - xStart);
    }

    /// <summary>Mean of each physical channel over the map; the output is Channels × 1 × 1, which in the blocked layout is a plain vector.</summary>
    public static void GlobalAveragePool(ReadOnlySpan<float> input, Span<float> output, int channels, int height, int width)
    {
        var scale = 1f / (height * width);
        for (var c = 0; c < channels; c++)
        {
            var sum = 0f;
            for (var y = 0; y < height; y++)
            {
                for (var x = 0; x < width; x++)
                {
                    sum += input[BlockedLayout.Index(c, y, x, height, width)];
                }
            }

            output[c] = sum * scale;
        }
    }

    /// <summary>
    /// Caffe's across-channel LRN: <c>y = x · (k + α/n · Σ x²)^(-β)</c>, the sum over the n channels
    /// centred on each channel (clipped at the ends). Output has the same shape and channel map as the input.
    /// </summary>
    public static void LocalResponseNorm(ReadOnlySpan<float> input, ReadOnlySpan<int> channelMap, Span<float> output,
        int channels, int height, int width, int size, float alpha, float beta, float k)
    {
        // Clear every physical channel the map spans, so the concat gaps are zero too, not just the last block's padding.
        output[..(BlockedLayout.PhysicalChannels(channelMap, channels) * height * width)].Clear();
        var half = (size - 1) / 2;
        var scale = alpha / size;
        for (var c = 0; c < channels; c++)
        {
            var physical = BlockedLayout.Physical(channelMap, c);
            for (var y = 0; y < height; y++)
            {
                for (var x = 0; x < width; x++)
                {
                    var sum = 0f;
                    for (var n = Math.Max(0, c - half); n <= Math.Min(channels - 1, c + half); n++)
                    {
                        var value = input[BlockedLayout.Index(BlockedLayout.Physical(channelMap, n), y, x, height, width)];
                        sum += value * value;
                    }

                    var index = BlockedLayout.Index(physical, y, x, height, width);
                    output[index] = input[index] * MathF.Pow(k + scale * sum, -beta);
                }
            }
        }
    }

    /// <summary>
    /// Fully connected layer: <c>y = W x + b</c> with W as [out, in]. The input is a plain vector, or a
    /// C×1×1 blocked map read through <paramref name="channelMap"/>.
    /// </summary>
    public static void Linear(ReadOnlySpan<float> input, ReadOnlySpan<int> channelMap, Span<float> output,
        ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, int inFeatures, int outFeatures, bool relu)
    {
        for (var o = 0; o < outFeatures; o++)
        {
            var sum = bias.IsEmpty ? 0f : bias[o];
            for (var i = 0; i < inFeatures; i++)
            {
                sum += weights[o * inFeatures + i] * input[BlockedLayout.Physical(channelMap, i)];
            }

            output[o] = relu ? MathF.Max(sum, 0f) : sum;
        }
    }

    /// <summary>Input rows [start, end) that a pooling window at output <paramref name="o"/> covers, clipped to the input.</summary>
    public static (int Start, int End) Window(int o, int stride, int padding, int kernel, int size)
    {
        var start = o * stride - padding;
        return (Math.Max(start, 0), Math.Min(start + kernel, size));
    }

    /// <summary>
    /// PyTorch's adaptive average-pool window: output <paramref name="o"/> of <paramref name="outSize"/> covers input
    /// [floor(o·in/out), ceil((o+1)·in/out)), so windows tile the input and may differ in size or overlap.
    /// </summary>
    public static (int Start, int End) AdaptiveWindow(int o, int inSize, int outSize)
        => ((int)((long)o * inSize / outSize), (int)(((long)(o + 1) * inSize + outSize - 1) / outSize));

    /// <summary>PyTorch's <c>AdaptiveAvgPool2d</c> over every physical channel: each output cell is the mean of its window (<see cref="AdaptiveWindow"/>), summed row by row.</summary>
    public static void AdaptiveAvgPool2d(ReadOnlySpan<float> input, Span<float> output, int channels, int inHeight, int inWidth, int outHeight, int outWidth)
    {
        for (var c = 0; c < channels; c++)
        {
            for (var oy = 0; oy < outHeight; oy++)
            {
                var (y0, y1) = AdaptiveWindow(oy, inHeight, outHeight);
                for (var ox = 0; ox < outWidth; ox++)
                {
                    var (x0, x1) = AdaptiveWindow(ox, inWidth, outWidth);
                    var sum = 0f;
                    for (var y = y0; y < y1; y++)
                    {
                        for (var x = x0; x < x1; x++)
                        {
                            sum += input[BlockedLayout.Index(c, y, x, inHeight, inWidth)];
                        }
                    }

                    output[BlockedLayout.Index(c, oy, ox, outHeight, outWidth)] = sum / ((y1 - y0) * (x1 - x0));
                }
            }
        }
    }

    /// <summary>
    /// A residual module's sum for one image: <c>output = input + scale · branches</c> per logical channel, then ReLU when
    /// <paramref name="relu"/>, on NCHW16c maps of <paramref name="pixels"/> pixels. Each map reads its logical channel c at
    /// physical channel <c>map[c]</c> (an empty map: c); the output has the input's layout, gap channels zero.
    /// </summary>
    public static void ResidualAdd(ReadOnlySpan<float> input, ReadOnlySpan<int> inputMap, ReadOnlySpan<float> branches, ReadOnlySpan<int> branchesMap,
        Span<float> output, int channels, int pixels, float scale, bool relu)
    {
        output.Clear();
        for (var c = 0; c < channels; c++)
        {
            var x = inputMap.IsEmpty ? c : inputMap[c];
            var b = branchesMap.IsEmpty ? c : branchesMap[c];
            for (var p = 0; p < pixels; p++)
            {
                var sum = input[BlockedLayout.Index(x, 0, p, 1, pixels)] + scale * branches[BlockedLayout.Index(b, 0, p, 1, pixels)];
                output[BlockedLayout.Index(x, 0, p, 1, pixels)] = relu ? MathF.Max(sum, 0f) : sum;
            }
        }
    }
}
