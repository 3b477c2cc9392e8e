using System.Globalization;
using System.Numerics.Tensors;
using System.Text;
using System.Text.Json;
using InceptionGen.Interop;

namespace InceptionGen.Images;

/// <summary>
/// What a weights file trained on an image folder records in its metadata, so that classifying needs nothing else:
/// the class names in label order, the normalization and the evaluation crop.
/// </summary>
public sealed record ImageMetadata(IReadOnlyList<string> Classes, ImageNormalization Normalization, float CropFraction)
{
    public const string ClassesKey = "inceptiongen.classes";
    public const string NormalizationKey = "inceptiongen.normalization";
    public const string CropFractionKey = "inceptiongen.crop_fraction";

    /// <summary>The metadata entries (the classes as a JSON array of strings).</summary>
    public IReadOnlyDictionary<string, string> ToDictionary()
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            foreach (var name in Classes)
            {
                writer.WriteStringValue(name);
            }

            writer.WriteEndArray();
        }

        return new Dictionary<string, string>
        {
            [ClassesKey] = Encoding.UTF8.GetString(buffer.ToArray()),
            [NormalizationKey] = Normalization.ToString(),
            [CropFractionKey] = CropFraction.ToString("R", CultureInfo.InvariantCulture),
        };
    }

    /// <summary>Reads the entries back; null when the file has no class names (weights not trained on an image folder).</summary>
    /// <exception cref="InvalidDataException">The entries are there but malformed.</exception>
    public static ImageMetadata? From(IReadOnlyDictionary<string, string> metadata)
    {
        if (!metadata.TryGetValue(ClassesKey, out var classesJson))
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(classesJson);
            var classes = document.RootElement.EnumerateArray().Select(e => e.GetString() ?? throw new InvalidDataException("a class name is null")).ToArray();
            var normalization = metadata.TryGetValue(NormalizationKey, out var text) ? ImageNormalization.Parse(text) : ImageNormalization.ImageNet;
            var crop = metadata.TryGetValue(CropFractionKey, out var cropText) ? float.Parse(cropText, NumberStyles.Float, CultureInfo.InvariantCulture) : 0.875f;
            return new ImageMetadata(classes, normalization, crop);
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException)
        {
            throw new InvalidDataException($"the weights' image metadata is malformed: {e.Message}", e);
        }
    }
}

/// <summary>One class and its softmax probability.</summary>
public readonly record struct ClassScore(int Label, string Name, float Probability);

/// <summary>The top classes of one image, or why it could not be classified (<see cref="Error"/>, no classes).</summary>
public sealed record Classification(string Path, IReadOnlyList<ClassScore> Top, string? Error = null);

/// <summary>
/// Classifies image files with a network: decode, the evaluation transform, <see cref="INetwork.Forward"/> in batches of
/// up to <see cref="INetwork.MaxBatch"/>, softmax, top k.
/// </summary>
public sealed class ImageClassifier
{
    private readonly INetwork _network;
    private readonly float[] _input;
    private readonly float[] _output;

    public ImageClassifier(INetwork network, ImageTransform transform, IReadOnlyList<string> classes)
    {
        if (classes.Count != network.OutputLength)
        {
            throw new ArgumentException($"{network.Summary.NetworkName} has {network.OutputLength} outputs, but {classes.Count} class names were given");
        }

        _network = network;
        Transform = transform;
        Classes = classes;
        _input = new float[network.MaxBatch * network.InputLength];
        _output = new float[network.MaxBatch * network.OutputLength];
    }

    /// <summary>Loads weights trained on an image folder into <paramref name="network"/>, with the classes and transform recorded in them.</summary>
    /// <exception cref="InvalidDataException">The file records no class names.</exception>
    /// <exception cref="SafeTensorsException">Its tensors do not fit the network.</exception>
    public static ImageClassifier Load(INetwork network, string weightsPath)
    {
        var metadata = ImageMetadata.From(SafeTensors.ReadMetadata(weightsPath))
            ?? throw new InvalidDataException($"'{weightsPath}' records no class names (weights trained with 'train --data' have them)");
        SafeTensors.Load(network.Parameters, weightsPath);
        return new ImageClassifier(network, ImageTransform.For(network, metadata.Normalization) with { CropFraction = metadata.CropFraction }, metadata.Classes);
    }

    public ImageTransform Transform { get; }

    public IReadOnlyList<string> Classes { get; }

    /// <summary>The top <paramref name="top"/> classes of one file.</summary>
    public Classification Classify(string path, int top = 5) => Classify([path], top)[0];

    /// <summary>The top <paramref name="top"/> classes of each file, in order; a file that cannot be decoded gets an <see cref="Classification.Error"/>.</summary>
    public IReadOnlyList<Classification> Classify(IReadOnlyList<string> paths, int top = 5)
    {
        top = Math.Clamp(top, 1, Classes.Count);
        var results = new Classification[paths.Count];
        var length = _network.InputLength;
        var classes = _network.OutputLength;
        for (var start = 0; start < paths.Count; start += _network.MaxBatch)
        {
            var count = Math.Min(_network.MaxBatch, paths.Count - start);
            var errors = new string?[count];
            Parallel.For(0, count, i =>
            {
                ImageBatchProducer.TryLoad(paths[start + i], Transform, _input.AsSpan(i * length, length), out errors[i]);
            });
            _network.Forward(_input.AsSpan(0, count * length), _output.AsSpan(0, count * classes), count);
            for (var i = 0; i < count; i++)
            {
                if (errors[i] is { } error)
                {
                    results[start + i] = new Classification(paths[start + i], [], error);
                    continue;
                }

                var probabilities = _output.AsSpan(i * classes, classes);
                TensorPrimitives.SoftMax(probabilities, probabilities);
                var ranked = new ClassScore[classes];
                for (var c = 0; c < classes; c++)
                {
                    ranked[c] = new ClassScore(c, Classes[c], probabilities[c]);
                }

                // Highest probability first; ties by label, so the order is stable.
                Array.Sort(ranked, (a, b) => a.Probability != b.Probability ? b.Probability.CompareTo(a.Probability) : a.Label.CompareTo(b.Label));
                results[start + i] = new Classification(paths[start + i], ranked[..top]);
            }
        }

        return results;
    }
}
