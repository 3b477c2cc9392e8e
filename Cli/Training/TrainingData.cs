using System.Globalization;
using System.Numerics.Tensors;
using System.Security.Cryptography;
using System.Text;
using InceptionGen.Data;
using InceptionGen.Distributed;
using InceptionGen.Images;
using Spectre.Console;

namespace InceptionGen.Cli;

/// <summary>
/// What the trainer trains on: Fashion-MNIST's tensors (<see cref="FashionMnistTrainingData"/>) or an image folder
/// decoded on background threads (<see cref="ImageFolderTrainingData"/>). Batches are a function of the epoch's order,
/// the batch index, the global step and the data seed, so a resumed run sees the same images.
/// </summary>
internal interface ITrainingData : IDisposable
{
    /// <summary>Floats of one image (the network's input).</summary>
    int ImageLength { get; }

    IReadOnlyList<string> ClassNames { get; }

    /// <summary>Training images (after --subset and the validation split).</summary>
    int TrainCount { get; }

    int ValidationCount { get; }

    /// <summary>The lines of run.txt that describe the data (each ends with a newline).</summary>
    string RunLines { get; }

    /// <summary>Lines that every process of a data-parallel run must agree on (hashes of the data).</summary>
    string AgreementLines { get; }

    /// <summary>What the final evaluation reads: "test" or "validation".</summary>
    string FinalSetName { get; }

    /// <summary>Fills batch <paramref name="index"/> of <paramref name="order"/> (augmented from the step's random stream if asked).</summary>
    void FillBatch(int[] order, int index, long step, ulong dataSeed, float[] images, int[] labels);

    /// <summary>Accuracy on the validation images.</summary>
    double ValidationAccuracy(INetwork net, float[] images, float[] logits);

    /// <summary>Accuracy on the final set (<paramref name="limit"/> images at most), filling <paramref name="confusion"/>; null if there is none.</summary>
    (double Accuracy, int Count)? FinalAccuracy(INetwork net, int? limit, float[] images, float[] logits, int[,] confusion);

    /// <summary>Said at the end of a run: skipped files, decoding throughput.</summary>
    void Report(IAnsiConsole console, double trainingSeconds, long trainedImages);

    /// <summary>
    /// Accuracy over <paramref name="count"/> images that <paramref name="fill"/> copies in, a batch at a time (it
    /// returns the labels, −1 for an image to leave out); fills <paramref name="confusion"/> [true, predicted] if given.
    /// </summary>
    static double Accuracy(INetwork net, int count, Action<int, int, float[], int[]> fill, float[] images, float[] logits, int[] labels, int[,]? confusion)
    {
        long correct = 0, counted = 0;
        var classes = net.OutputLength;
        for (var offset = 0; offset < count; offset += net.MaxBatch)
        {
            var batch = Math.Min(net.MaxBatch, count - offset);
            fill(offset, batch, images, labels);
            net.Forward(images.AsSpan(0, batch * net.InputLength), logits.AsSpan(0, batch * classes), batch);
            for (var i = 0; i < batch; i++)
            {
                var label = labels[i];
                if (label < 0)
                {
                    continue;
                }

                var predicted = TensorPrimitives.IndexOfMax(logits.AsSpan(i * classes, classes));
                correct += predicted == label ? 1 : 0;
                counted++;
                if (confusion is not null)
                {
                    confusion[label, predicted]++;
                }
            }
        }

        return counted == 0 ? 0 : (double)correct / counted;
    }
}

/// <summary>
/// Fashion-MNIST from its IDX files: the last <c>validation</c> training images held out; with <c>augment</c>, random 28x28
/// crops of the 2-pixel padded image and flips; with <see cref="Erase"/>, random erasing.
/// </summary>
internal sealed class FashionMnistTrainingData(FashionMnistData data, int trainCount, int validation, bool augment) : ITrainingData
{
    /// <summary>
    /// Random erasing (Zhong et al., 2017): the probability that an image gets one rectangle of 2–40% of its area, aspect
    /// ratio 0.3–3.3 (log-uniform), set to 0, the training set's mean after standardization (torchvision's
    /// <c>RandomErasing</c> with its default value, after normalizing).
    /// </summary>
    public float Erase { get; init; }

    public int ImageLength => FashionMnist.ImageSize;

    public IReadOnlyList<string> ClassNames => FashionMnist.ClassNames;

    public int TrainCount => trainCount;

    public int ValidationCount => validation;

    public string RunLines => string.Create(CultureInfo.InvariantCulture, $"train_images={trainCount}\nvalidation={validation}\n");

    public string AgreementLines => $"train_images_sha256={RunAgreement.Hash<float>(data.Train.Images)}\ntrain_labels_sha256={RunAgreement.Hash<int>(data.Train.Labels)}\n";

    public string FinalSetName => "test";

    public void FillBatch(int[] order, int index, long step, ulong dataSeed, float[] images, int[] labels)
    {
        var batch = labels.Length;
        var background = (float)((0 - data.Mean) / data.Std);
        for (var i = 0; i < batch; i++)
        {
            var source = order[index * batch + i];
            labels[i] = data.Train.Labels[source];
            var image = data.Train.Image(source);
            var target = images.AsSpan(i * FashionMnist.ImageSize, FashionMnist.ImageSize);
            var random = Shuffle.Mix(Shuffle.Mix(dataSeed, (ulong)step + 0x100000000UL), (ulong)i);
            CopyOrAugment(image, target, random, background);
            if (Erase > 0)
            {
                // A stream of its own, so that the crops and flips stay those of a run without erasing.
                var erasing = new SplitMix64(Shuffle.Mix(random, 0xE1A5_E000_0000_0001UL));
                if (erasing.NextDouble() < Erase)
                {
                    EraseRectangle(target, ref erasing);
                }
            }
        }
    }

    /// <summary>Erases one random rectangle of <paramref name="image"/> (a 28x28 map), or none if 10 draws find none that fits (as torchvision).</summary>
    public static void EraseRectangle(Span<float> image, ref SplitMix64 random)
    {
        const int side = FashionMnist.Side;
        for (var attempt = 0; attempt < 10; attempt++)
        {
            var area = (0.02 + 0.38 * random.NextDouble()) * side * side;
            var aspect = Math.Exp(Math.Log(0.3) + (Math.Log(1 / 0.3) - Math.Log(0.3)) * random.NextDouble());
            var height = (int)Math.Round(Math.Sqrt(area * aspect));
            var width = (int)Math.Round(Math.Sqrt(area / aspect));
            if (height is < 1 or > side || width is < 1 or > side)
            {
                continue;
            }

            var top = (int)(random.NextDouble() * (side - height + 1));
            var left = (int)(random.NextDouble() * (side - width + 1));
            for (var y = top; y < top + height; y++)
            {
                image.Slice(y * side + left, width).Clear();
            }

            return;
        }
    }

    /// <summary>The image as it is, or (with augmentation) its random crop and flip drawn from <paramref name="random"/>.</summary>
    private void CopyOrAugment(ReadOnlySpan<float> image, Span<float> target, ulong random, float background)
    {
        const int side = FashionMnist.Side, pad = 2;
        if (!augment)
        {
            image.CopyTo(target);
            return;
        }

        var dx = (int)(random % 5) - pad;
        var dy = (int)((random >> 8) % 5) - pad;
        var flip = ((random >> 16) & 1) != 0;
        for (var y = 0; y < side; y++)
        {
            var sy = y + dy;
            for (var x = 0; x < side; x++)
            {
                var sx = (flip ? side - 1 - x : x) + dx;
                target[y * side + x] = sy is >= 0 and < side && sx is >= 0 and < side ? image[sy * side + sx] : background;
            }
        }
    }

    public double ValidationAccuracy(INetwork net, float[] images, float[] logits)
        => FashionTrainer.Accuracy(net, data.Train, FashionMnist.TrainCount - validation, validation, images, logits, null);

    public (double Accuracy, int Count)? FinalAccuracy(INetwork net, int? limit, float[] images, float[] logits, int[,] confusion)
    {
        var count = Math.Min(limit ?? data.Test.Count, data.Test.Count);
        return (FashionTrainer.Accuracy(net, data.Test, 0, count, images, logits, confusion), count);
    }

    public void Report(IAnsiConsole console, double trainingSeconds, long trainedImages)
    {
    }

    public void Dispose()
    {
    }
}

/// <summary>
/// An image folder (torchvision's ImageFolder layout): the training images decoded, cropped and flipped on background
/// threads ahead of the training step; validation and final evaluation with the center crop. A file that cannot be
/// decoded is one warning, its place in a training batch taken by the next image of the epoch's order, and counted.
/// </summary>
internal sealed class ImageFolderTrainingData : ITrainingData
{
    private readonly IReadOnlyList<ImageSample> _train;
    private readonly IReadOnlyList<ImageSample> _validation;
    private readonly ImageBatchProducer _trainProducer;
    private readonly ImageBatchProducer _evalProducer;
    private readonly bool _augment;
    private readonly string _validationText;
    private readonly int[] _evalLabels;
    private int[]? _order;
    private int _nextIndex = -1;

    public ImageFolderTrainingData(ImageFolder folder, IReadOnlyList<ImageSample> train, IReadOnlyList<ImageSample> validation, string validationText,
        ImageTransform transform, int batch, bool augment, int decodeThreads, TextWriter warnings)
    {
        Folder = folder;
        _train = train;
        _validation = validation;
        _augment = augment;
        _validationText = validationText;
        Transform = transform;
        // One warning per file, whichever set it is in; the producers share the writer.
        var skipped = new HashSet<string>(StringComparer.Ordinal);
        void Warn(string path, string reason)
        {
            lock (skipped)
            {
                if (skipped.Add(path))
                {
                    warnings.WriteLine($"warning: skipped '{path}': {reason}");
                }
            }
        }

        Skipped = skipped;
        _trainProducer = new ImageBatchProducer(train, transform, batch, decodeThreads) { Skipped = Warn };
        _evalProducer = new ImageBatchProducer(validation, transform, batch, decodeThreads) { Skipped = Warn };
        _evalLabels = new int[batch];
    }

    public ImageFolder Folder { get; }

    public ImageTransform Transform { get; }

    /// <summary>The files skipped so far (training and validation).</summary>
    public IReadOnlyCollection<string> Skipped { get; }

    public int ImageLength => Transform.Length;

    public IReadOnlyList<string> ClassNames => Folder.Classes;

    public int TrainCount => _train.Count;

    public int ValidationCount => _validation.Count;

    public string RunLines => string.Create(CultureInfo.InvariantCulture,
        $"data={Folder.Root}\nclasses={string.Join(',', Folder.Classes)}\ntrain_images={TrainCount}\nvalidation={_validationText}\nvalidation_images={ValidationCount}\ninput={Transform.Channels}x{Transform.Height}x{Transform.Width}\nnormalization={Transform.Normalization}\ncrop_fraction={Transform.CropFraction:R}\nmin_scale={Transform.MinScale:R}\n");

    public string AgreementLines
    {
        get
        {
            var listing = string.Join('\n', _train.Select(s => $"{s.Label} {Path.GetRelativePath(Folder.Root, s.Path)}"));
            return $"train_files_sha256={Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(listing)))}\n";
        }
    }

    public string FinalSetName => "validation";

    public void FillBatch(int[] order, int index, long step, ulong dataSeed, float[] images, int[] labels)
    {
        // The producer decodes ahead along the epoch's order; a jump (a new epoch, a resume) restarts it there.
        if (!ReferenceEquals(order, _order) || index != _nextIndex)
        {
            _trainProducer.Start(new BatchPlan(order, index, order.Length / labels.Length, step, _augment ? dataSeed : null, Substitute: true));
            _order = order;
        }

        _trainProducer.Next(images, labels);
        _nextIndex = index + 1;
    }

    public double ValidationAccuracy(INetwork net, float[] images, float[] logits) => Evaluate(net, images, logits, null);

    public (double Accuracy, int Count)? FinalAccuracy(INetwork net, int? limit, float[] images, float[] logits, int[,] confusion)
        => ValidationCount == 0 ? null : (Evaluate(net, images, logits, confusion), ValidationCount - SkippedIn(_validation));

    private int SkippedIn(IReadOnlyList<ImageSample> samples) => samples.Count(s => Skipped.Contains(s.Path));

    private double Evaluate(INetwork net, float[] images, float[] logits, int[,]? confusion)
    {
        var count = _validation.Count;
        _evalProducer.Start(new BatchPlan([.. Enumerable.Range(0, count)], 0, (count + net.MaxBatch - 1) / net.MaxBatch));
        return ITrainingData.Accuracy(net, count, (_, _, batchImages, batchLabels) => _evalProducer.Next(batchImages, batchLabels), images, logits, _evalLabels, confusion);
    }

    public void Report(IAnsiConsole console, double trainingSeconds, long trainedImages)
    {
        var stats = _trainProducer.Statistics;
        if (Skipped.Count > 0)
        {
            console.WriteLine($"skipped {Skipped.Count} file(s) that could not be decoded (each named in a warning above)");
        }

        if (stats.Images > 0)
        {
            var decodeRate = stats.ImagesPerSecondPerThread;
            var stepRate = trainingSeconds > stats.WaitSeconds ? trainedImages / (trainingSeconds - stats.WaitSeconds) : 0;
            console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"decoding: {stats.Images} images at {decodeRate:F0} images/s per decode thread; training steps: {stepRate:F0} images/s; the steps waited {stats.WaitSeconds:F1} s for images"));
        }
    }

    public void Dispose()
    {
        _trainProducer.Dispose();
        _evalProducer.Dispose();
    }
}
