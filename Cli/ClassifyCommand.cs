using System.Globalization;
using System.Text;
using InceptionGen.CommandLine;
using InceptionGen.Images;
using InceptionGen.Interop;
using InceptionGen.Threading;

namespace InceptionGen.Cli;

/// <summary><c>classify --weights W image.jpg [more files or folders]</c>: the top classes of image files, by the class names saved with the weights.</summary>
internal static class ClassifyCommand
{
    public static readonly string[] OptionNames = ["weights", "network", "top", "csv", "threads"];

    public static int Run(Arguments arguments, TextWriter output, TextWriter error)
    {
        var weights = arguments.Text("weights") ?? throw new UsageException("classify needs --weights W.safetensors (weights from 'train --network N --data DIR')");
        if (arguments.Positional.Count == 0)
        {
            throw new UsageException("classify needs image files or folders: classify --weights W image.jpg [more files or folders]");
        }

        FileChecks.RequireInput(weights, "weights");
        var csv = arguments.Text("csv");
        var files = Files(arguments.Positional);
        if (csv is not null)
        {
            FileChecks.RequireOutput(csv, "csv", [(weights, "--weights"), .. files.Select(f => (f, "an image"))]);
        }

        var top = arguments.Int("top", 5, 1, 100_000);
        var threads = arguments.Int("threads", Environment.ProcessorCount, 1, 1024);
        var (name, entry) = InferenceCommands.NetworkOf(weights, arguments.Text("network"));
        var metadata = InferenceCommands.Guard(weights, () => ImageMetadata.From(SafeTensors.ReadMetadata(weights)))
            ?? throw new UsageException($"'{weights}' records no class names; weights trained with 'train --network N --data DIR' have them");
        using var pool = new WorkerPool(threads);
        var network = entry.Create(Math.Clamp(files.Count, 1, InferenceCommands.MaxBatch), 0, pool);
        if (metadata.Classes.Count != network.OutputLength)
        {
            throw new UsageException($"'{weights}' names {metadata.Classes.Count} classes, but {name} has {network.OutputLength} outputs");
        }

        InferenceCommands.Guard(weights, () => SafeTensors.Load(network.Parameters, weights));
        FileChecks.WarnIfNotFinite(error, $"the weights '{weights}'", network.Parameters.ReadOnlySpan);
        ImageClassifier classifier;
        try
        {
            classifier = new ImageClassifier(network, ImageTransform.For(network, metadata.Normalization) with { CropFraction = metadata.CropFraction }, metadata.Classes);
        }
        catch (ArgumentException e)
        {
            throw new UsageException($"{name}: {e.Message}");
        }

        var results = classifier.Classify(files, top);
        var failed = 0;
        foreach (var result in results)
        {
            if (result.Error is { } reason)
            {
                failed++;
                error.WriteLine($"warning: skipped '{result.Path}': {reason}");
                continue;
            }

            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{result.Path}: {string.Join(", ", result.Top.Select(s => $"{s.Name} {s.Probability:P2}"))}"));
        }

        if (csv is not null)
        {
            InferenceCommands.WriteOrExplain(csv, () => AtomicFile.Write(csv, stream => stream.Write(Encoding.UTF8.GetBytes(Csv(results, top)))));
        }

        if (failed > 0)
        {
            error.WriteLine($"{failed} of {files.Count} file(s) could not be decoded");
        }

        return 0;
    }

    /// <summary>One row per file: its path, then class and probability for each rank, then the error (empty when classified).</summary>
    public static string Csv(IReadOnlyList<Classification> results, int top)
    {
        var text = new StringBuilder("file");
        for (var rank = 1; rank <= top; rank++)
        {
            text.Append(CultureInfo.InvariantCulture, $",class{rank},probability{rank}");
        }

        text.Append(",error\n");
        foreach (var result in results)
        {
            text.Append(Quote(result.Path));
            for (var rank = 0; rank < top; rank++)
            {
                text.Append(rank < result.Top.Count ? string.Create(CultureInfo.InvariantCulture, $",{Quote(result.Top[rank].Name)},{result.Top[rank].Probability:R}") : ",,");
            }

            text.Append(',').Append(Quote(result.Error ?? "")).Append('\n');
        }

        return text.ToString();
    }

    private static string Quote(string field) => field.AsSpan().IndexOfAny(",\"\n\r") >= 0 ? "\"" + field.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : field;

    /// <summary>The files named, and the image files under each folder named (sorted by path).</summary>
    private static List<string> Files(IEnumerable<string> paths)
    {
        var files = new List<string>();
        foreach (var path in paths)
        {
            if (Directory.Exists(path))
            {
                var found = Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories).Where(ImageFolder.IsImage).Order(StringComparer.Ordinal).ToList();
                if (found.Count == 0)
                {
                    throw new UsageException($"folder '{path}' holds no image ({string.Join(", ", ImageDecoder.Extensions)})");
                }

                files.AddRange(found);
            }
            else
            {
                FileChecks.RequireInput(path, "image");
                files.Add(path);
            }
        }

        return files;
    }
}
