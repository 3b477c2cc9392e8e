using System.Buffers.Binary;
using System.IO.Compression;
using InceptionGen.Data;
using Xunit;

namespace InceptionGen.Tests.Data;

/// <summary>The real Fashion-MNIST files in data/fashion-mnist, loaded once for the class.</summary>
public sealed class FashionMnistFixture
{
    public FashionMnistFixture()
    {
        Folder = FashionMnist.FindDataFolder();
        Data = FashionMnist.Load(Folder);
    }

    public string Folder { get; }

    public FashionMnistData Data { get; }
}

public class FashionMnistRealDataTests(FashionMnistFixture fixture) : IClassFixture<FashionMnistFixture>
{
    // Computed once with python3 from the committed files, independently of this code:
    //   d = gzip.open('data/fashion-mnist/train-images-idx3-ubyte.gz').read()[16:]; sum(d)   -> 3431114169
    //   (same for t10k-images)                                                                -> 573469082
    //   sum(d[:784]) (the first training image)                                                -> 76247
    //   labels: list(gzip.open(...labels...).read()[8:18])
    private const long TrainPixelSum = 3_431_114_169;
    private const long TestPixelSum = 573_469_082;
    private const long FirstTrainImageSum = 76_247;
    private static readonly int[] FirstTrainLabels = [9, 0, 0, 3, 0, 2, 7, 2, 5, 5];
    private static readonly int[] FirstTestLabels = [9, 2, 1, 1, 6, 1, 4, 6, 5, 7];

    private string Path(string file) => System.IO.Path.Combine(fixture.Folder, file);

    [Fact]
    public void Image_files_have_the_published_counts_and_28x28()
    {
        var (count, rows, columns, pixels) = IdxFile.ReadImages(Path(FashionMnist.TrainImagesFile));
        Assert.Equal((60_000, 28, 28, 60_000 * 784), (count, rows, columns, pixels.Length));
        (count, rows, columns, pixels) = IdxFile.ReadImages(Path(FashionMnist.TestImagesFile));
        Assert.Equal((10_000, 28, 28, 10_000 * 784), (count, rows, columns, pixels.Length));
    }

    [Fact]
    public void Pixel_sums_match_the_values_computed_with_python()
    {
        var train = IdxFile.ReadImages(Path(FashionMnist.TrainImagesFile)).Pixels;
        var test = IdxFile.ReadImages(Path(FashionMnist.TestImagesFile)).Pixels;
        Assert.Equal(TrainPixelSum, Sum(train));
        Assert.Equal(TestPixelSum, Sum(test));
        Assert.Equal(FirstTrainImageSum, Sum(train.AsSpan(0, 784)));
    }

    [Fact]
    public void Labels_are_0_to_9_with_6000_per_class_in_training_and_1000_in_test()
    {
        var train = IdxFile.ReadLabels(Path(FashionMnist.TrainLabelsFile));
        var test = IdxFile.ReadLabels(Path(FashionMnist.TestLabelsFile));
        Assert.Equal(60_000, train.Length);
        Assert.Equal(10_000, test.Length);
        Assert.Equal(Enumerable.Repeat(6_000, 10), Histogram(train));
        Assert.Equal(Enumerable.Repeat(1_000, 10), Histogram(test));
        Assert.Equal(FirstTrainLabels, train.Take(10).Select(b => (int)b));
        Assert.Equal(FirstTestLabels, test.Take(10).Select(b => (int)b));
    }

    [Fact]
    public void Load_standardizes_with_the_training_sets_mean_and_std()
    {
        var data = fixture.Data;
        Assert.Equal(60_000, data.Train.Count);
        Assert.Equal(10_000, data.Test.Count);
        Assert.Equal(60_000 * 784, data.Train.Images.Length);
        Assert.Equal(10_000 * 784, data.Test.Images.Length);
        Assert.Equal(FirstTrainLabels, data.Train.Labels.Take(10));
        Assert.Equal(FirstTestLabels, data.Test.Labels.Take(10));

        // The statistics it computed are the documented ones (which are TrainPixelSum / 255 / 47,040,000 and python's).
        Assert.Equal(FashionMnist.TrainMean, data.Mean, 1e-12);
        Assert.Equal(FashionMnist.TrainStd, data.Std, 1e-12);
        Assert.Equal(TrainPixelSum / 255.0 / 47_040_000, data.Mean, 1e-12);

        // Standardized training images have mean 0 and std 1; the test set (its own statistics differ) does not exactly.
        var (trainMean, trainStd) = MeanStd(data.Train.Images);
        Assert.Equal(0.0, trainMean, 1e-5);
        Assert.Equal(1.0, trainStd, 1e-5);
        var (testMean, _) = MeanStd(data.Test.Images);
        Assert.Equal((TestPixelSum / 255.0 / 7_840_000 - FashionMnist.TrainMean) / FashionMnist.TrainStd, testMean, 1e-5);

        // Pixel 0 maps to -mean/std, 255 to (1-mean)/std; every value is one of those 256 levels in between.
        var zero = (float)(-data.Mean / data.Std);
        var full = (float)((1 - data.Mean) / data.Std);
        Assert.Equal(zero, data.Train.Images.Min());
        Assert.Equal(full, data.Train.Images.Max());
        Assert.Equal(784, data.Train.Image(1).Length);
        Assert.Equal(data.Train.Images[784 + 300], data.Train.Image(1)[300]);
    }

    [Fact]
    public void Class_names_are_Zalandos_in_label_order()
    {
        Assert.Equal(
            new[] { "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot" },
            FashionMnist.ClassNames);
    }

    [Fact]
    public void Data_folder_is_found_from_the_repository_root_and_can_be_overridden()
    {
        Assert.True(File.Exists(System.IO.Path.Combine(fixture.Folder, "..", "..", "InceptionGen.sln")));
        Assert.Equal("fashion-mnist", new DirectoryInfo(fixture.Folder).Name);
        var other = Directory.CreateTempSubdirectory("idx-override-");
        try
        {
            Assert.Equal(other.FullName, FashionMnist.FindDataFolder(other.FullName));
            var missing = System.IO.Path.Combine(other.FullName, "nope");
            var e = Assert.Throws<DirectoryNotFoundException>(() => FashionMnist.FindDataFolder(missing));
            Assert.Contains(missing, e.Message);
        }
        finally
        {
            other.Delete(true);
        }
    }

    private static long Sum(ReadOnlySpan<byte> bytes)
    {
        long sum = 0;
        foreach (var b in bytes)
        {
            sum += b;
        }

        return sum;
    }

    private static int[] Histogram(byte[] labels)
    {
        var counts = new int[10];
        foreach (var l in labels)
        {
            counts[l]++; // a label above 9 throws here
        }

        return counts;
    }

    private static (double Mean, double Std) MeanStd(float[] values)
    {
        double sum = 0, squares = 0;
        foreach (var v in values)
        {
            sum += v;
            squares += (double)v * v;
        }

        var mean = sum / values.Length;
        return (mean, Math.Sqrt(squares / values.Length - mean * mean));
    }
}

/// <summary>Broken files written into a temporary folder: each must throw InvalidDataException naming the file and the fault.</summary>
public sealed class IdxCorruptionTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("idx-tests-");

    public void Dispose() => _dir.Delete(true);

    /// <summary>A well-formed IDX file of unsigned bytes: magic, dimensions, then the product of them in bytes.</summary>
    private static byte[] Idx(int magic, uint[] dimensions, int? payloadLength = null, byte seed = 1)
    {
        long length = 1;
        foreach (var d in dimensions)
        {
            length *= d;
        }

        var bytes = new byte[4 + 4 * dimensions.Length + (payloadLength ?? (int)length)];
        BinaryPrimitives.WriteInt32BigEndian(bytes, magic);
        for (var i = 0; i < dimensions.Length; i++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(4 + 4 * i), dimensions[i]);
        }

        for (var i = 4 + 4 * dimensions.Length; i < bytes.Length; i++)
        {
            bytes[i] = (byte)(i * 7 + seed);
        }

        return bytes;
    }

    private static byte[] Images(int count, int rows = 3, int columns = 2) =>
        Idx(IdxFile.ImagesMagic, [(uint)count, (uint)rows, (uint)columns]);

    private static byte[] Labels(int count) =>
        Idx(IdxFile.LabelsMagic, [(uint)count]).Select((b, i) => i < 8 ? b : (byte)(i % 10)).ToArray();

    private static byte[] Gzip(byte[] bytes)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true))
        {
            gzip.Write(bytes);
        }

        return output.ToArray();
    }

    private string Write(string name, byte[] bytes)
    {
        var path = Path.Combine(_dir.FullName, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static void AssertInvalid(Action read, string path, params string[] phrases)
    {
        var e = Assert.Throws<InvalidDataException>(read);
        Assert.Contains(path, e.Message);
        foreach (var phrase in phrases)
        {
            Assert.Contains(phrase, e.Message);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Well_formed_small_files_read_back_exactly(bool gzip)
    {
        var images = Images(4);
        var labels = Labels(4);
        var imagesPath = Write("images", gzip ? Gzip(images) : images);
        var labelsPath = Write("labels", gzip ? Gzip(labels) : labels);
        var (count, rows, columns, pixels) = IdxFile.ReadImages(imagesPath);
        Assert.Equal((4, 3, 2), (count, rows, columns));
        Assert.Equal(images[16..], pixels);
        Assert.Equal(labels[8..], IdxFile.ReadLabels(labelsPath));
    }

    [Theory]
    [InlineData(0, "magic number")]
    [InlineData(1, "magic number")]
    [InlineData(3, "magic number")]
    [InlineData(4, "dimension")]
    [InlineData(10, "dimension")]
    [InlineData(15, "dimension")]
    [InlineData(16, "need 24 byte(s) of data after the 16-byte header, found only 0")]
    [InlineData(28, "found only 12")]
    [InlineData(39, "found only 23")]
    public void Truncated_image_files_are_rejected(int length, string detail)
    {
        var full = Images(4);
        var plain = Write("plain", full[..length]);
        AssertInvalid(() => IdxFile.ReadImages(plain), plain, "truncated", detail);
        var gzip = Write("gzip", Gzip(full[..length]));
        AssertInvalid(() => IdxFile.ReadImages(gzip), gzip, "truncated", "gzip", detail);
    }

    [Theory]
    [InlineData(0, "magic number")]
    [InlineData(5, "dimension")]
    [InlineData(8, "found only 0")]
    [InlineData(12, "found only 4")]
    public void Truncated_label_files_are_rejected(int length, string detail)
    {
        var plain = Write("labels", Labels(5)[..length]);
        AssertInvalid(() => IdxFile.ReadLabels(plain), plain, "truncated", detail);
    }

    [Fact]
    public void A_truncated_gzip_stream_is_rejected_wherever_it_is_cut()
    {
        // Data that doesn't compress well, so the cut lands inside the deflate data at each fraction.
        var random = new Random(42);
        var images = Images(40, 28, 28);
        random.NextBytes(images.AsSpan(16));
        var compressed = Gzip(images);
        var lengths = new[] { 0.01, 0.25, 0.5, 0.9, 0.99 }.Select(f => (int)(compressed.Length * f))
            .Concat([compressed.Length - 8, compressed.Length - 4, compressed.Length - 1]); // inside the CRC/size trailer
        foreach (var length in lengths)
        {
            var path = Write($"cut-{length}", compressed[..length]);
            var e = Assert.Throws<InvalidDataException>(() => IdxFile.ReadImages(path));
            Assert.Contains(path, e.Message);
            Assert.True(e.Message.Contains("truncated") || e.Message.Contains("corrupt gzip"), e.Message);
        }

        Assert.Equal(images[16..], IdxFile.ReadImages(Write("whole", compressed)).Pixels);
    }

    [Theory]
    [InlineData(8)] // the CRC-32
    [InlineData(4)] // the size, little-endian
    public void A_gzip_trailer_that_does_not_match_the_data_is_rejected(int fromEnd)
    {
        var compressed = Gzip(Labels(100));
        compressed[^fromEnd]++;
        var path = Write("labels.gz", compressed);
        AssertInvalid(() => IdxFile.ReadLabels(path), path, "corrupt gzip data");
    }

    [Theory]
    [InlineData(0x00000801, "a label file?")]
    [InlineData(0x00000903, "element type 0x09")]
    [InlineData(0x03080000, "not an IDX file")]
    [InlineData(0x12345678, "not an IDX file")]
    public void Wrong_magic_for_images_is_rejected(int magic, string detail)
    {
        var bytes = Images(2);
        BinaryPrimitives.WriteInt32BigEndian(bytes, magic);
        var path = Write("images", bytes);
        AssertInvalid(() => IdxFile.ReadImages(path), path, "wrong magic number", $"0x{magic:X8}", "expected 0x00000803", detail);
        var gzip = Write("images.gz", Gzip(bytes));
        AssertInvalid(() => IdxFile.ReadImages(gzip), gzip, "wrong magic number", "gzip", detail);
    }

    [Fact]
    public void An_image_file_read_as_labels_is_rejected()
    {
        var path = Write("images", Images(2));
        AssertInvalid(() => IdxFile.ReadLabels(path), path, "wrong magic number", "0x00000803", "expected 0x00000801", "an image file?");
    }

    [Theory]
    [InlineData(0x00000802, 2)]
    [InlineData(0x00000804, 4)]
    public void Wrong_dimension_count_is_rejected(int magic, int dimensions)
    {
        var path = Write("images", Idx(magic, Enumerable.Repeat(2u, dimensions).ToArray()));
        AssertInvalid(() => IdxFile.ReadImages(path), path, "wrong magic number", $"has {dimensions} dimension(s)", "has 3");
    }

    [Theory]
    [InlineData(0u, 28u, "rows is 0")]
    [InlineData(28u, 0u, "columns is 0")]
    [InlineData(0x80000000u, 28u, "rows is 2147483648")]
    [InlineData(0xFFFFFFFFu, 28u, "rows is 4294967295")]
    public void Impossible_dimensions_are_rejected(uint rows, uint columns, string detail)
    {
        var path = Write("images", Idx(IdxFile.ImagesMagic, [1, rows, columns], payloadLength: 0));
        AssertInvalid(() => IdxFile.ReadImages(path), path, "wrong dimensions", detail);
    }

    [Fact]
    public void Dimensions_too_large_for_an_array_are_rejected()
    {
        var path = Write("images", Idx(IdxFile.ImagesMagic, [60_000, 60_000, 28], payloadLength: 0));
        AssertInvalid(() => IdxFile.ReadImages(path), path, "wrong dimensions", "60000 x 60000");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(100)]
    [InlineData(100_000)]
    public void Trailing_bytes_are_rejected(int extra)
    {
        var bytes = Images(4).Concat(new byte[extra]).ToArray();
        var plain = Write("plain", bytes);
        AssertInvalid(() => IdxFile.ReadImages(plain), plain, "trailing bytes", $"{extra} byte(s) after the 24 byte(s)");
        var gzip = Write("gzip", Gzip(bytes));
        AssertInvalid(() => IdxFile.ReadImages(gzip), gzip, "trailing bytes", "gzip", $"{extra} byte(s)");
        var labels = Write("labels", Labels(3).Concat(new byte[extra]).ToArray());
        AssertInvalid(() => IdxFile.ReadLabels(labels), labels, "trailing bytes", $"{extra} byte(s) after the 3 byte(s)");
    }

    [Fact]
    public void Gzip_garbage_is_rejected()
    {
        var random = new Random(7);
        var garbage = new byte[1000];
        random.NextBytes(garbage);
        garbage[0] = 0x1f;
        garbage[1] = 0x8b;
        var path = Write("garbage.gz", garbage);
        AssertInvalid(() => IdxFile.ReadImages(path), path, "gzip");

        // A valid gzip header (deflate, no flags) followed by bytes that are not deflate data.
        var header = new byte[] { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3 };
        var body = new byte[1000];
        random.NextBytes(body);
        body[0] = 0xFF; // block type 3, which deflate reserves as invalid
        var withHeader = Write("header-garbage.gz", header.Concat(body).ToArray());
        AssertInvalid(() => IdxFile.ReadLabels(withHeader), withHeader, "gzip");
    }

    [Fact]
    public void An_empty_file_is_rejected()
    {
        var path = Write("empty", []);
        AssertInvalid(() => IdxFile.ReadLabels(path), path, "truncated", "0 byte(s)");
    }

    private string WriteSet(int trainImages, int trainLabels, int testImages, int testLabels, int side = 28, bool gzip = true)
    {
        var folder = Directory.CreateDirectory(Path.Combine(_dir.FullName, $"set-{Guid.NewGuid():N}")).FullName;
        void Put(string name, byte[] bytes) => File.WriteAllBytes(Path.Combine(folder, name), gzip ? Gzip(bytes) : bytes);
        Put(FashionMnist.TrainImagesFile, Images(trainImages, side, side));
        Put(FashionMnist.TrainLabelsFile, Labels(trainLabels));
        Put(FashionMnist.TestImagesFile, Images(testImages, side, side));
        Put(FashionMnist.TestLabelsFile, Labels(testLabels));
        return folder;
    }

    [Fact]
    public void Load_rejects_a_label_count_that_does_not_match_the_images()
    {
        var folder = WriteSet(5, 4, 3, 3);
        AssertInvalid(() => FashionMnist.Load(folder), FashionMnist.TrainImagesFile, "has 5 images but", FashionMnist.TrainLabelsFile, "has 4 labels");
        folder = WriteSet(60_000, 60_000, 10_000, 9_999, gzip: false);
        AssertInvalid(() => FashionMnist.Load(folder), FashionMnist.TestImagesFile, "has 10000 images but", "has 9999 labels");
    }

    [Fact]
    public void Load_rejects_sets_of_the_wrong_size_or_shape()
    {
        var folder = WriteSet(5, 5, 3, 3);
        AssertInvalid(() => FashionMnist.Load(folder), FashionMnist.TrainImagesFile, "5 images", "has 60000");
        folder = WriteSet(60_000, 60_000, 10_000, 10_000, side: 1, gzip: false);
        AssertInvalid(() => FashionMnist.Load(folder), FashionMnist.TrainImagesFile, "1x1", "28x28");
    }

    [Fact]
    public void Load_rejects_labels_outside_0_to_9()
    {
        var folder = WriteSet(60_000, 60_000, 10_000, 10_000, gzip: false);
        var path = Path.Combine(folder, FashionMnist.TrainLabelsFile);
        var labels = Labels(60_000);
        labels[8 + 1234] = 10;
        File.WriteAllBytes(path, labels);
        AssertInvalid(() => FashionMnist.Load(folder), path, "label 10 at index 1234", "0-9");
    }

    [Fact]
    public void Load_reads_a_well_formed_set_and_standardizes_it()
    {
        var folder = WriteSet(60_000, 60_000, 10_000, 10_000, gzip: false);
        var data = FashionMnist.Load(folder);
        Assert.Equal((60_000, 10_000), (data.Train.Count, data.Test.Count));
        var pixels = Images(60_000, 28, 28).AsSpan(16);
        double sum = 0;
        foreach (var p in pixels)
        {
            sum += p;
        }

        Assert.Equal(sum / pixels.Length / 255.0, data.Mean, 1e-12);
        Assert.Equal((float)((pixels[5] / 255.0 - data.Mean) / data.Std), data.Train.Images[5]);
        Assert.Equal(Labels(10_000)[8..].Select(b => (int)b), data.Test.Labels);
    }
}
