using System.Buffers.Binary;
using System.IO.Compression;

namespace InceptionGen.Data;

/// <summary>
/// Reads IDX files (the format of MNIST and Fashion-MNIST), plain or gzip-compressed; gzip is recognized by its
/// magic bytes 1f 8b, not by the file name. Only unsigned-byte elements are read: images are magic 0x00000803
/// (count, rows, columns), labels 0x00000801 (count); all header integers are big-endian. The payload must be exactly
/// the product of the dimensions, no more and no less. Anything else throws <see cref="InvalidDataException"/> with
/// the file's path and what is wrong. For gzip files, GZipStream checks the trailer's CRC-32 and size when they are
/// there; a file cut inside the trailer just ends, so the size field is also read from the file's last 4 bytes.
/// </summary>
public static class IdxFile
{
    /// <summary>Magic number of an IDX file of unsigned bytes with three dimensions (images).</summary>
    public const int ImagesMagic = 0x00000803;

    /// <summary>Magic number of an IDX file of unsigned bytes with one dimension (labels).</summary>
    public const int LabelsMagic = 0x00000801;

    /// <summary>
    /// Reads an image file: <paramref name="path"/> holds <c>Count</c> images of <c>Rows</c> x <c>Columns</c>
    /// bytes, row-major, one after another in <c>Pixels</c> (one array of <c>Count * Rows * Columns</c> bytes).
    /// </summary>
    public static (int Count, int Rows, int Columns, byte[] Pixels) ReadImages(string path)
    {
        var (dimensions, payload) = Read(path, 3, "image");
        return (dimensions[0], dimensions[1], dimensions[2], payload);
    }

    /// <summary>Reads a label file: one byte per item.</summary>
    public static byte[] ReadLabels(string path) => Read(path, 1, "label").Payload;

    private static (int[] Dimensions, byte[] Payload) Read(string path, int rank, string kind)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        Span<byte> gzipMagic = stackalloc byte[2];
        var sniffed = file.ReadAtLeast(gzipMagic, 2, throwOnEndOfStream: false);
        var isGzip = sniffed == 2 && gzipMagic[0] == 0x1f && gzipMagic[1] == 0x8b;
        file.Position = 0;
        using var stream = isGzip ? new GZipStream(file, CompressionMode.Decompress) : (Stream)file;
        var what = isGzip ? $"gzip-compressed IDX {kind} file" : $"IDX {kind} file";
        var expectedMagic = rank == 3 ? ImagesMagic : LabelsMagic;

        Span<byte> header = stackalloc byte[4 + 4 * rank];
        var got = ReadFully(stream, header[..4], path, isGzip);
        if (got < 4)
        {
            throw Invalid(path, $"truncated {what}: {got} byte(s) where the 4-byte magic number 0x{expectedMagic:X8} should be");
        }

        var magic = BinaryPrimitives.ReadInt32BigEndian(header);
        if (magic != expectedMagic)
        {
            throw Invalid(path, DescribeWrongMagic(magic, expectedMagic, rank, kind, what));
        }

        got = ReadFully(stream, header[4..], path, isGzip);
        if (got < 4 * rank)
        {
            throw Invalid(path, $"truncated {what}: the header needs {rank} big-endian 4-byte dimension(s) after the magic number, found only {got} byte(s) of them");
        }

        var names = rank == 3 ? new[] { "count", "rows", "columns" } : new[] { "count" };
        var dimensions = new int[rank];
        long length = 1;
        for (var d = 0; d < rank; d++)
        {
            var value = BinaryPrimitives.ReadUInt32BigEndian(header[(4 + 4 * d)..]);
            var minimum = d == 0 ? 0u : 1u;
            if (value < minimum || value > int.MaxValue)
            {
                throw Invalid(path, $"wrong dimensions in {what}: {names[d]} is {value} (0x{value:X8}), it must be between {minimum} and {int.MaxValue}");
            }

            dimensions[d] = (int)value;
            length *= value;
            if (length > Array.MaxLength)
            {
                var raw = new uint[rank];
                for (var r = 0; r < rank; r++)
                {
                    raw[r] = BinaryPrimitives.ReadUInt32BigEndian(header[(4 + 4 * r)..]);
                }

                throw Invalid(path, $"wrong dimensions in {what}: {string.Join(" x ", raw)} is more than the {Array.MaxLength} bytes an array can hold");
            }
        }

        var shape = string.Join(" x ", dimensions);
        var payload = GC.AllocateUninitializedArray<byte>((int)length);
        got = ReadFully(stream, payload, path, isGzip);
        if (got < length)
        {
            throw Invalid(path, $"truncated {what}: the header's dimensions {shape} need {length} byte(s) of data after the {header.Length}-byte header, found only {got}");
        }

        var trailing = CountRest(stream, path, isGzip);
        if (trailing > 0)
        {
            throw Invalid(path, $"trailing bytes in {what}: {trailing} byte(s) after the {length} byte(s) of data that the header's dimensions {shape} call for");
        }

        if (isGzip)
        {
            // GZipStream checks the 8-byte trailer (CRC-32, size) when it is there, but a file cut inside the trailer
            // just ends and reads as whole. The last 4 bytes of the file must be the decompressed size mod 2^32 (of
            // the last member: a file of several concatenated gzip members is rejected here too; IDX files are not).
            Span<byte> size = stackalloc byte[4];
            var total = (uint)(header.Length + length);
            if (file.Length < 18 || RandomAccess.Read(file.SafeFileHandle, size, file.Length - 4) != 4
                || BinaryPrimitives.ReadUInt32LittleEndian(size) != total)
            {
                throw Invalid(path, $"truncated {what}: the gzip trailer does not hold the decompressed size {total} (the file is cut short, or is several gzip members)");
            }
        }

        return (dimensions, payload);
    }

    private static string DescribeWrongMagic(int magic, int expected, int rank, string kind, string what)
    {
        var text = $"wrong magic number in {what}: 0x{magic:X8}, expected 0x{expected:X8} (unsigned bytes, {rank} dimension(s))";
        if ((magic & unchecked((int)0xFFFF0000)) != 0)
        {
            return text + "; the first two bytes of an IDX file are zero, so this is not an IDX file (or it is little-endian)";
        }

        var type = (magic >> 8) & 0xFF;
        if (type != 0x08)
        {
            return text + $"; element type 0x{type:X2} is not 0x08 (unsigned byte)";
        }

        var count = magic & 0xFF;
        var other = count switch { 1 => " (a label file?)", 3 => " (an image file?)", _ => "" };
        return text + $"; the file has {count} dimension(s){other}, an IDX {kind} file has {rank}";
    }

    private static int ReadFully(Stream stream, Span<byte> buffer, string path, bool isGzip)
    {
        var total = 0;
        try
        {
            while (total < buffer.Length)
            {
                var n = stream.Read(buffer[total..]);
                if (n == 0)
                {
                    break;
                }

                total += n;
            }
        }
        catch (InvalidDataException e) when (isGzip)
        {
            throw Invalid(path, $"corrupt gzip data: {e.Message}", e);
        }

        return total;
    }

    private static long CountRest(Stream stream, string path, bool isGzip)
    {
        var buffer = new byte[1 << 14];
        long total = 0;
        try
        {
            int n;
            while ((n = stream.Read(buffer)) > 0)
            {
                total += n;
            }
        }
        catch (InvalidDataException e) when (isGzip)
        {
            throw Invalid(path, $"corrupt gzip data after the IDX payload: {e.Message}", e);
        }

        return total;
    }

    private static InvalidDataException Invalid(string path, string message, Exception? inner = null) =>
        new($"{path}: {message}", inner);
}

/// <summary>One Fashion-MNIST split: <see cref="Count"/> standardized 28x28 single-channel images and their labels.</summary>
public sealed class FashionMnistSet
{
    internal FashionMnistSet(float[] images, int[] labels)
    {
        Images = images;
        Labels = labels;
    }

    /// <summary>The number of images (and labels).</summary>
    public int Count => Labels.Length;

    /// <summary>All images in one array, <see cref="FashionMnist.ImageSize"/> floats each, row-major (N x 1 x 28 x 28).</summary>
    public float[] Images { get; }

    /// <summary>Labels 0 to 9, indices into <see cref="FashionMnist.ClassNames"/>.</summary>
    public int[] Labels { get; }

    /// <summary>Image <paramref name="index"/>, 784 floats.</summary>
    public Span<float> Image(int index) => Images.AsSpan(index * FashionMnist.ImageSize, FashionMnist.ImageSize);
}

/// <summary>The training and test sets, and the statistics the images were standardized with.</summary>
/// <param name="Mean">Mean of the training pixels scaled to [0,1] (0.2860406 for the real data).</param>
/// <param name="Std">Population standard deviation of the same (0.3530242 for the real data).</param>
public sealed record FashionMnistData(FashionMnistSet Train, FashionMnistSet Test, double Mean, double Std);

/// <summary>
/// Fashion-MNIST (Zalando Research, MIT licence; the files are in the repository under <c>data/fashion-mnist</c>).
/// <see cref="Load"/> scales each pixel to [0,1] (p / 255) and then standardizes it with the training set's mean and
/// standard deviation, both computed exactly from the training bytes at load: for the real data, mean 0.2860406 and
/// std 0.3530242 (<see cref="TrainMean"/>, <see cref="TrainStd"/>), so a 0 pixel becomes -0.8103 and a 255 pixel
/// 2.0224. The test set uses the training set's statistics.
/// </summary>
public static class FashionMnist
{
    /// <summary>Image height and width.</summary>
    public const int Side = 28;

    /// <summary>Floats per image.</summary>
    public const int ImageSize = Side * Side;

    public const int TrainCount = 60_000;
    public const int TestCount = 10_000;

    /// <summary>Mean of all 47,040,000 training pixels scaled to [0,1] (3,431,114,169 / 255 / 47,040,000).</summary>
    public const double TrainMean = 0.2860405969887955;

    /// <summary>Population standard deviation of the same pixels.</summary>
    public const double TrainStd = 0.3530242445149226;

    /// <summary>The environment variable that, when set, names the data folder instead of the repository's.</summary>
    public const string FolderVariable = "INCEPTIONGEN_FASHION_MNIST";

    /// <summary>Class names by label.</summary>
    public static IReadOnlyList<string> ClassNames { get; } =
    [
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ];

    public const string TrainImagesFile = "train-images-idx3-ubyte.gz";
    public const string TrainLabelsFile = "train-labels-idx1-ubyte.gz";
    public const string TestImagesFile = "t10k-images-idx3-ubyte.gz";
    public const string TestLabelsFile = "t10k-labels-idx1-ubyte.gz";

    /// <summary>
    /// The data folder: <paramref name="overridePath"/> if given, else the <see cref="FolderVariable"/> environment
    /// variable if set, else <c>data/fashion-mnist</c> in the repository, found by walking up from
    /// <see cref="AppContext.BaseDirectory"/> (then from the current directory) to the folder holding
    /// <c>InceptionGen.sln</c>. Throws <see cref="DirectoryNotFoundException"/> saying where it looked.
    /// </summary>
    public static string FindDataFolder(string? overridePath = null)
    {
        var given = overridePath ?? Environment.GetEnvironmentVariable(FolderVariable);
        if (!string.IsNullOrEmpty(given))
        {
            return Directory.Exists(given)
                ? Path.GetFullPath(given)
                : throw new DirectoryNotFoundException($"Fashion-MNIST folder '{given}' does not exist");
        }

        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "InceptionGen.sln")))
                {
                    var folder = Path.Combine(dir.FullName, "data", "fashion-mnist");
                    if (Directory.Exists(folder))
                    {
                        return folder;
                    }
                }
            }
        }

        throw new DirectoryNotFoundException(
            $"no InceptionGen.sln with data/fashion-mnist above '{AppContext.BaseDirectory}' or '{Environment.CurrentDirectory}'; " +
            $"pass the folder or set {FolderVariable}");
    }

    /// <summary>
    /// Loads both sets from <paramref name="folder"/> (the four files named by the <c>*File</c> constants, gzip or
    /// plain), checking 60,000 training and 10,000 test items, 28x28 images, as many labels as images, labels 0-9.
    /// </summary>
    public static FashionMnistData Load(string folder)
    {
        var (trainPixels, trainLabels) = ReadSet(folder, TrainImagesFile, TrainLabelsFile, TrainCount);
        var (testPixels, testLabels) = ReadSet(folder, TestImagesFile, TestLabelsFile, TestCount);

        long sum = 0, sumOfSquares = 0;
        foreach (var p in trainPixels)
        {
            sum += p;
            sumOfSquares += p * p;
        }

        double n = trainPixels.Length;
        var mean = sum / n / 255.0;
        var std = Math.Sqrt(Math.Max(0.0, sumOfSquares / n / (255.0 * 255.0) - mean * mean));
        if (!(std > 0))
        {
            throw new InvalidDataException($"{Path.Combine(folder, TrainImagesFile)}: every training pixel is the same, nothing to standardize with");
        }

        Span<float> table = stackalloc float[256];
        for (var v = 0; v < 256; v++)
        {
            table[v] = (float)((v / 255.0 - mean) / std);
        }

        return new FashionMnistData(
            new FashionMnistSet(Standardize(trainPixels, table), trainLabels),
            new FashionMnistSet(Standardize(testPixels, table), testLabels),
            mean,
            std);
    }

    private static float[] Standardize(byte[] pixels, ReadOnlySpan<float> table)
    {
        var result = GC.AllocateUninitializedArray<float>(pixels.Length);
        for (var i = 0; i < pixels.Length; i++)
        {
            result[i] = table[pixels[i]];
        }

        return result;
    }

    private static (byte[] Pixels, int[] Labels) ReadSet(string folder, string imagesFile, string labelsFile, int expected)
    {
        var imagesPath = Path.Combine(folder, imagesFile);
        var labelsPath = Path.Combine(folder, labelsFile);
        var (count, rows, columns, pixels) = IdxFile.ReadImages(imagesPath);
        var labelBytes = IdxFile.ReadLabels(labelsPath);
        if (labelBytes.Length != count)
        {
            throw new InvalidDataException($"{imagesPath} has {count} images but {labelsPath} has {labelBytes.Length} labels; they must match");
        }

        if (count != expected)
        {
            throw new InvalidDataException($"{imagesPath}: {count} images, Fashion-MNIST has {expected} in this set");
        }

        if (rows != Side || columns != Side)
        {
            throw new InvalidDataException($"{imagesPath}: images are {rows}x{columns}, Fashion-MNIST's are {Side}x{Side}");
        }

        var labels = new int[count];
        for (var i = 0; i < count; i++)
        {
            if (labelBytes[i] >= ClassNames.Count)
            {
                throw new InvalidDataException($"{labelsPath}: label {labelBytes[i]} at index {i} is not a class (0-{ClassNames.Count - 1})");
            }

            labels[i] = labelBytes[i];
        }

        return (pixels, labels);
    }
}
