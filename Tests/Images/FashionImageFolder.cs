using InceptionGen.Data;

namespace InceptionGen.Tests.Images;

/// <summary>
/// Fashion-MNIST written out as an image folder at test time, once per test process: <see cref="Train"/> holds the
/// first <see cref="TrainCount"/> training images (even indices as PNG, odd as JPEG) in torchvision's layout, one
/// folder per class named <c>N-name</c> so that the sorted classes keep Fashion-MNIST's label order, plus
/// <see cref="CorruptFiles"/> undecodable files; <see cref="Validation"/> holds the first <see cref="ValidationCount"/>
/// test images as PNG.
/// </summary>
internal static class FashionImageFolder
{
    public const int TrainCount = 1200;
    public const int ValidationCount = 400;

    private static readonly Lazy<(string Root, string[] Corrupt)> s_folder = new(Write);

    public static string Root => s_folder.Value.Root;

    public static string Train => Path.Combine(Root, "train");

    public static string Validation => Path.Combine(Root, "val");

    /// <summary>The undecodable files in <see cref="Train"/>: empty, text, a PNG cut short.</summary>
    public static IReadOnlyList<string> CorruptFiles => s_folder.Value.Corrupt;

    /// <summary>The folder name of class <paramref name="label"/> ('/' is not allowed in a folder name).</summary>
    public static string ClassFolder(int label) => $"{label}-{FashionMnist.ClassNames[label].Replace('/', '-')}";

    /// <summary>Raw pixels (0..255) and labels of the first images of a Fashion-MNIST file pair.</summary>
    public static (byte[] Pixels, byte[] Labels) Raw(bool train)
    {
        var folder = FashionMnist.FindDataFolder();
        var images = IdxFile.ReadImages(Path.Combine(folder, train ? FashionMnist.TrainImagesFile : FashionMnist.TestImagesFile));
        var labels = IdxFile.ReadLabels(Path.Combine(folder, train ? FashionMnist.TrainLabelsFile : FashionMnist.TestLabelsFile));
        return (images.Pixels, labels);
    }

    private static (string, string[]) Write()
    {
        var root = Path.Combine(Path.GetTempPath(), "inceptiongen-images-" + Guid.NewGuid().ToString("N"));
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Directory.Delete(root, recursive: true);
            }
            catch (IOException)
            {
            }
        };
        const int size = FashionMnist.ImageSize, side = FashionMnist.Side;
        var (trainPixels, trainLabels) = Raw(train: true);
        for (var i = 0; i < TrainCount; i++)
        {
            var folder = Path.Combine(root, "train", ClassFolder(trainLabels[i]));
            Directory.CreateDirectory(folder);
            var pixels = trainPixels.AsSpan(i * size, size);
            File.WriteAllBytes(Path.Combine(folder, $"{i:D5}{(i % 2 == 0 ? ".png" : ".jpg")}"), i % 2 == 0 ? TestImageFiles.Png(pixels, side, side) : TestImageFiles.Jpeg(pixels, side, side));
        }

        var (testPixels, testLabels) = Raw(train: false);
        for (var i = 0; i < ValidationCount; i++)
        {
            var folder = Path.Combine(root, "val", ClassFolder(testLabels[i]));
            Directory.CreateDirectory(folder);
            File.WriteAllBytes(Path.Combine(folder, $"{i:D5}.png"), TestImageFiles.Png(testPixels.AsSpan(i * size, size), side, side));
        }

        var png = TestImageFiles.Png(trainPixels.AsSpan(0, size), side, side);
        string[] corrupt =
        [
            Path.Combine(root, "train", ClassFolder(0), "zz-empty.jpg"),
            Path.Combine(root, "train", ClassFolder(3), "zz-text.png"),
            Path.Combine(root, "train", ClassFolder(7), "zz-cut.png"),
        ];
        File.WriteAllBytes(corrupt[0], []);
        File.WriteAllText(corrupt[1], "this is not an image\n");
        File.WriteAllBytes(corrupt[2], png.AsSpan(0, 40).ToArray());
        // Not images: ignored by the listing, never decoded.
        File.WriteAllText(Path.Combine(root, "train", ClassFolder(1), "notes.txt"), "ignored\n");
        File.WriteAllBytes(Path.Combine(root, "train", ClassFolder(1), ".hidden.png"), png);
        return (root, corrupt);
    }
}
