namespace InceptionGen.Images;

/// <summary>One image of a folder: its file and its class index.</summary>
public readonly record struct ImageSample(string Path, int Label);

/// <summary>
/// A labelled image folder in torchvision's <c>ImageFolder</c> layout, <c>root/&lt;class&gt;/&lt;image&gt;</c>: each
/// sub-folder is a class, the classes sorted by name (ordinal, as Python's <c>sorted</c>) and numbered from 0; the
/// images are the files with an <see cref="ImageDecoder.Extensions"/> extension, anywhere under their class folder,
/// sorted by path. Nothing is decoded here.
/// </summary>
public sealed class ImageFolder
{
    private ImageFolder(string root, IReadOnlyList<string> classes, IReadOnlyList<ImageSample> samples)
    {
        Root = root;
        Classes = classes;
        Samples = samples;
    }

    public string Root { get; }

    /// <summary>The class names, in label order.</summary>
    public IReadOnlyList<string> Classes { get; }

    public IReadOnlyList<ImageSample> Samples { get; }

    public int Count => Samples.Count;

    /// <summary>Lists the folder.</summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="InvalidDataException">It has no class folder, or a class folder has no image.</exception>
    public static ImageFolder Open(string root)
    {
        if (!Directory.Exists(root))
        {
            throw new DirectoryNotFoundException($"image folder '{root}' does not exist");
        }

        var classes = Directory.GetDirectories(root)
            .Select(Path.GetFileName)
            .Where(name => !string.IsNullOrEmpty(name) && name[0] != '.')
            .Order(StringComparer.Ordinal)
            .ToArray();
        if (classes.Length == 0)
        {
            throw new InvalidDataException($"'{root}' has no class folders; an image folder is root/<class>/<image> (torchvision's ImageFolder layout)");
        }

        var samples = new List<ImageSample>();
        for (var label = 0; label < classes.Length; label++)
        {
            var files = Directory.EnumerateFiles(Path.Combine(root, classes[label]!), "*", SearchOption.AllDirectories)
                .Where(IsImage)
                .Order(StringComparer.Ordinal)
                .ToArray();
            if (files.Length == 0)
            {
                throw new InvalidDataException($"class folder '{Path.Combine(root, classes[label]!)}' holds no image ({string.Join(", ", ImageDecoder.Extensions)})");
            }

            samples.AddRange(files.Select(file => new ImageSample(file, label)));
        }

        return new ImageFolder(Path.GetFullPath(root), classes!, samples);
    }

    /// <summary>True for a file name with one of <see cref="ImageDecoder.Extensions"/> (hidden files excluded).</summary>
    public static bool IsImage(string path)
    {
        var name = Path.GetFileName(path);
        return name.Length > 0 && name[0] != '.' && ImageDecoder.Extensions.Contains(Path.GetExtension(name).ToLowerInvariant());
    }

    /// <summary>
    /// Splits the samples in two, deterministically from <paramref name="seed"/>: a shuffled <paramref name="fraction"/>
    /// of them (rounded, at least one if the fraction is positive) is the second part (validation).
    /// </summary>
    public (IReadOnlyList<ImageSample> Train, IReadOnlyList<ImageSample> Held) Split(double fraction, ulong seed)
    {
        if (!(fraction >= 0 && fraction < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "a fraction in [0, 1)");
        }

        var held = fraction == 0 ? 0 : Math.Clamp((int)Math.Round(Count * fraction), 1, Count - 1);
        var order = Shuffle.Permutation(Count, seed);
        var heldSet = order.Take(held).Order().Select(i => Samples[i]).ToArray();
        var trainSet = order.Skip(held).Order().Select(i => Samples[i]).ToArray();
        return (trainSet, heldSet);
    }
}

/// <summary>Deterministic shuffles (SplitMix64 over a seed and a counter; Fisher-Yates).</summary>
public static class Shuffle
{
    /// <summary>SplitMix64's finalizer over a seed and a counter: a stateless random stream.</summary>
    public static ulong Mix(ulong seed, ulong counter)
    {
        var z = seed + (0x9E3779B97F4A7C15UL * (counter + 1));
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>A permutation of 0..count-1 drawn from <paramref name="seed"/>.</summary>
    public static int[] Permutation(int count, ulong seed)
    {
        var order = new int[count];
        for (var i = 0; i < count; i++)
        {
            order[i] = i;
        }

        var state = seed;
        for (var i = count - 1; i > 0; i--)
        {
            state = Mix(state, (ulong)i);
            var j = (int)(state % (ulong)(i + 1));
            (order[i], order[j]) = (order[j], order[i]);
        }

        return order;
    }
}
