using System.Globalization;

namespace InceptionGen.Images;

/// <summary>
/// How pixels become network inputs: <c>value = (pixel × <see cref="Scale"/> − Mean[c]) / Std[c]</c>, pixel in
/// 0..255, c the network's input channel: RGB order, or BGR when <see cref="Bgr"/> (Caffe's models, whose means are
/// listed in BGR order). A one-channel (grey) network uses <c>Mean[0]</c> and <c>Std[0]</c>.
/// </summary>
public sealed record ImageNormalization(float Scale, IReadOnlyList<float> Mean, IReadOnlyList<float> Std, bool Bgr = false)
{
    /// <summary>torchvision's ImageNet statistics: pixels in 0..1, RGB.</summary>
    public static ImageNormalization ImageNet { get; } = new(1f / 255, [0.485f, 0.456f, 0.406f], [0.229f, 0.224f, 0.225f]);

    /// <summary>Caffe's (BVLC GoogLeNet's) mean subtraction: pixels in 0..255, BGR, mean (104, 117, 123), no scaling.</summary>
    public static ImageNormalization Caffe { get; } = new(1f, [104f, 117f, 123f], [1f, 1f, 1f], Bgr: true);

    /// <summary>Pixels in 0..1, nothing subtracted.</summary>
    public static ImageNormalization UnitRange { get; } = new(1f / 255, [0f, 0f, 0f], [1f, 1f, 1f]);

    /// <summary>A preset by name: <c>imagenet</c>, <c>caffe</c> or <c>unit</c>; null for another name.</summary>
    public static ImageNormalization? Preset(string name) => name.ToLowerInvariant() switch
    {
        "imagenet" => ImageNet,
        "caffe" => Caffe,
        "unit" => UnitRange,
        _ => null,
    };

    /// <summary>One line that <see cref="Parse"/> reads back (kept in a weights file's metadata).</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"scale={Scale:R};mean={string.Join(',', Mean.Select(v => v.ToString("R", CultureInfo.InvariantCulture)))};std={string.Join(',', Std.Select(v => v.ToString("R", CultureInfo.InvariantCulture)))};order={(Bgr ? "bgr" : "rgb")}");

    /// <summary>Reads <see cref="ToString"/>'s line.</summary>
    /// <exception cref="FormatException">The text is not such a line.</exception>
    public static ImageNormalization Parse(string text)
    {
        var fields = text.Split(';').Select(f => f.Split('=', 2)).ToDictionary(f => f[0], f => f.Length == 2 ? f[1] : throw new FormatException($"'{text}' is not a normalization"));
        static float[] Numbers(string list) => [.. list.Split(',').Select(v => float.Parse(v, NumberStyles.Float, CultureInfo.InvariantCulture))];
        try
        {
            return new ImageNormalization(float.Parse(fields["scale"], NumberStyles.Float, CultureInfo.InvariantCulture), Numbers(fields["mean"]), Numbers(fields["std"]), fields["order"] == "bgr").Checked();
        }
        catch (Exception e) when (e is KeyNotFoundException or ArgumentException or OverflowException)
        {
            throw new FormatException($"'{text}' is not a normalization: {e.Message}", e);
        }
    }

    /// <summary>This normalization if its values are usable (three of each, finite, std non-zero).</summary>
    /// <exception cref="ArgumentException">They are not.</exception>
    public ImageNormalization Checked()
    {
        if (Mean.Count != 3 || Std.Count != 3)
        {
            throw new ArgumentException("a normalization has three means and three standard deviations (one per RGB channel)");
        }

        if (!float.IsFinite(Scale) || Scale <= 0 || Mean.Any(v => !float.IsFinite(v)) || Std.Any(v => !float.IsFinite(v) || v == 0))
        {
            throw new ArgumentException("a normalization's scale, means and standard deviations are finite, the scale and standard deviations non-zero");
        }

        return this;
    }
}

/// <summary>
/// Turns a decoded image into one network input (NCHW floats, <see cref="Channels"/> × <see cref="Height"/> ×
/// <see cref="Width"/>): a crop of the image resized to the input (bilinear, averaged over a grid of samples when
/// shrinking, so large photos do not alias), optionally mirrored, then normalized.
/// <list type="bullet">
/// <item>Evaluation (<see cref="ApplyCenter"/>): the centered crop of the input's aspect ratio that covers
/// <see cref="CropFraction"/> of the shorter side: torchvision's <c>Resize(round(224 / 0.875))</c> then
/// <c>CenterCrop(224)</c> for the default 0.875; 1 takes the whole image.</item>
/// <item>Training (<see cref="ApplyRandom"/>): torchvision's <c>RandomResizedCrop</c> (area fraction in
/// [<see cref="MinScale"/>, <see cref="MaxScale"/>], aspect ratio in [3/4, 4/3] on a log scale, ten tries, then the
/// center crop) and a horizontal flip with probability 1/2, all drawn from one 64-bit random value, so a sample's
/// augmentation is a function of the seed the caller passes.</item>
/// </list>
/// </summary>
public sealed record ImageTransform
{
    public ImageTransform(int channels, int height, int width, ImageNormalization normalization)
    {
        if (channels is not (1 or 3))
        {
            throw new ArgumentException($"an image input has 1 (grey) or 3 (RGB) channels, not {channels}", nameof(channels));
        }

        if (height < 1 || width < 1)
        {
            throw new ArgumentException($"an image input is at least 1x1, not {height}x{width}");
        }

        Channels = channels;
        Height = height;
        Width = width;
        Normalization = normalization.Checked();
    }

    /// <summary>A transform for a network's NCHW input shape (C 1 or 3).</summary>
    /// <exception cref="ArgumentException">The network's input is not an image.</exception>
    public static ImageTransform For(INetwork network, ImageNormalization normalization)
    {
        var shape = network.Summary.InputShape;
        return new ImageTransform(shape.Channels, shape.Height, shape.Width, normalization);
    }

    public int Channels { get; }
    public int Height { get; }
    public int Width { get; }
    public ImageNormalization Normalization { get; }

    /// <summary>Floats of one transformed image.</summary>
    public int Length => Channels * Height * Width;

    /// <summary>Evaluation: the centered crop's share of the shorter side (0.875: torchvision's 256 → 224).</summary>
    public float CropFraction { get; init; } = 0.875f;

    /// <summary>Training: the smallest and largest share of the image's area a random crop covers.</summary>
    public float MinScale { get; init; } = 0.08f;

    public float MaxScale { get; init; } = 1f;

    /// <summary>Training: mirror left-right with probability 1/2.</summary>
    public bool Flip { get; init; } = true;

    /// <summary>The evaluation transform of <paramref name="image"/> into <paramref name="destination"/> (<see cref="Length"/> floats).</summary>
    public void ApplyCenter(DecodedImage image, Span<float> destination)
    {
        var (x, y, w, h) = CenterCrop(image.Width, image.Height, CropFraction);
        Resample(image, x, y, w, h, flip: false, destination);
    }

    /// <summary>The training transform: a random resized crop and flip drawn from <paramref name="random"/>.</summary>
    public void ApplyRandom(DecodedImage image, ulong random, Span<float> destination)
    {
        var stream = new SplitMix64(random);
        var (x, y, w, h) = RandomCrop(image.Width, image.Height, ref stream);
        var flip = Flip && (stream.Next() & 1) != 0;
        Resample(image, x, y, w, h, flip, destination);
    }

    /// <summary>The centered crop with the input's aspect ratio covering <paramref name="fraction"/> of the image.</summary>
    private (double X, double Y, double W, double H) CenterCrop(int width, int height, double fraction)
    {
        var aspect = (double)Width / Height;
        double w = width, h = width / aspect;
        if (h > height)
        {
            h = height;
            w = height * aspect;
        }

        w *= fraction;
        h *= fraction;
        return ((width - w) / 2, (height - h) / 2, w, h);
    }

    private (double X, double Y, double W, double H) RandomCrop(int width, int height, ref SplitMix64 random)
    {
        var area = (double)width * height;
        double logLow = Math.Log(3.0 / 4), logHigh = Math.Log(4.0 / 3);
        for (var attempt = 0; attempt < 10; attempt++)
        {
            var target = area * (MinScale + (MaxScale - MinScale) * random.NextDouble());
            var aspect = Math.Exp(logLow + (logHigh - logLow) * random.NextDouble());
            var w = Math.Round(Math.Sqrt(target * aspect));
            var h = Math.Round(Math.Sqrt(target / aspect));
            if (w > 0 && h > 0 && w <= width && h <= height)
            {
                var x = Math.Floor(random.NextDouble() * (width - w + 1));
                var y = Math.Floor(random.NextDouble() * (height - h + 1));
                return (x, y, w, h);
            }
        }

        return CenterCrop(width, height, 1);
    }

    /// <summary>Resizes the crop (x, y, w, h) of the image into the input, normalizing as it goes.</summary>
    private void Resample(DecodedImage image, double cropX, double cropY, double cropW, double cropH, bool flip, Span<float> destination)
    {
        if (destination.Length < Length)
        {
            throw new ArgumentException($"the destination holds {destination.Length} floats; one image needs {Length}", nameof(destination));
        }

        var pixels = image.Pixels;
        int sourceChannels = image.Channels, sourceWidth = image.Width, sourceHeight = image.Height;
        double stepX = cropW / Width, stepY = cropH / Height;
        // Shrinking by f averages a ceil(f) x ceil(f) grid of bilinear samples per output pixel (a box filter).
        int tapsX = Math.Clamp((int)Math.Ceiling(stepX - 1e-9), 1, 8), tapsY = Math.Clamp((int)Math.Ceiling(stepY - 1e-9), 1, 8);
        var taps = tapsX * tapsY;
        var plane = Height * Width;
        var norm = Normalization;
        Span<float> sums = stackalloc float[3];
        for (var oy = 0; oy < Height; oy++)
        {
            for (var ox = 0; ox < Width; ox++)
            {
                sums.Clear();
                for (var ty = 0; ty < tapsY; ty++)
                {
                    var sy = Math.Clamp(cropY + (oy + (ty + 0.5) / tapsY) * stepY - 0.5, 0, sourceHeight - 1);
                    var y0 = (int)sy;
                    var y1 = Math.Min(y0 + 1, sourceHeight - 1);
                    var fy = (float)(sy - y0);
                    for (var tx = 0; tx < tapsX; tx++)
                    {
                        var sx = Math.Clamp(cropX + (ox + (tx + 0.5) / tapsX) * stepX - 0.5, 0, sourceWidth - 1);
                        var x0 = (int)sx;
                        var x1 = Math.Min(x0 + 1, sourceWidth - 1);
                        var fx = (float)(sx - x0);
                        int i00 = (y0 * sourceWidth + x0) * sourceChannels, i01 = (y0 * sourceWidth + x1) * sourceChannels;
                        int i10 = (y1 * sourceWidth + x0) * sourceChannels, i11 = (y1 * sourceWidth + x1) * sourceChannels;
                        for (var c = 0; c < sourceChannels; c++)
                        {
                            var top = pixels[i00 + c] + (pixels[i01 + c] - pixels[i00 + c]) * fx;
                            var bottom = pixels[i10 + c] + (pixels[i11 + c] - pixels[i10 + c]) * fx;
                            sums[c] += top + (bottom - top) * fy;
                        }
                    }
                }

                var target = (oy * Width) + (flip ? Width - 1 - ox : ox);
                for (var c = 0; c < Channels; c++)
                {
                    var source = Channels == 1 ? 0 : norm.Bgr ? 2 - c : c;
                    var value = sums[source] / taps;
                    destination[(c * plane) + target] = ((value * norm.Scale) - norm.Mean[c]) / norm.Std[c];
                }
            }
        }
    }
}
