using InceptionGen.Data;
using InceptionGen.Images;
using Xunit;

namespace InceptionGen.Tests.Images;

/// <summary>Decoding, transforms, the image folder and the background batch producer (issue 19).</summary>
public sealed class ImageDataTests
{
    private static readonly ImageNormalization s_fashion = new(1f / 255, [(float)FashionMnist.TrainMean, 0, 0], [(float)FashionMnist.TrainStd, 1, 1]);

    private static byte[] FirstImage() => FashionImageFolder.Raw(train: true).Pixels.AsSpan(0, FashionMnist.ImageSize).ToArray();

    [Fact]
    public void A_png_decodes_to_its_exact_pixels_and_a_jpeg_to_nearly_them()
    {
        var pixels = FirstImage();
        var png = ImageDecoder.Decode(TestImageFiles.Png(pixels, 28, 28), channels: 1);
        Assert.Equal((28, 28, 1), (png.Width, png.Height, png.Channels));
        Assert.Equal(pixels, png.Pixels);

        var jpeg = ImageDecoder.Decode(TestImageFiles.Jpeg(pixels, 28, 28), channels: 1);
        Assert.Equal((28, 28), (jpeg.Width, jpeg.Height));
        var worst = pixels.Zip(jpeg.Pixels, (a, b) => Math.Abs(a - b)).Max();
        var mean = pixels.Zip(jpeg.Pixels, (a, b) => Math.Abs(a - b)).Average();
        Assert.True(worst <= 24 && mean <= 3, $"JPEG error: largest {worst}, mean {mean:F2}");

        // RGB from grey: three equal channels.
        var rgb = ImageDecoder.Decode(TestImageFiles.Png(pixels, 28, 28), channels: 3);
        Assert.Equal(3, rgb.Channels);
        Assert.All(Enumerable.Range(0, pixels.Length), i => Assert.Equal(pixels[i], rgb.Pixels[(3 * i) + 1]));
    }

    [Theory]
    [InlineData(new byte[0], "empty")]
    [InlineData(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8, 9 }, "decodable")]
    [InlineData(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0 }, "decodable")]
    public void A_file_that_is_not_an_image_is_an_InvalidDataException(byte[] bytes, string expected)
        => Assert.Contains(expected, Assert.Throws<InvalidDataException>(() => ImageDecoder.Decode(bytes)).Message);

    [Fact]
    public void The_center_transform_at_the_image_size_is_the_normalized_pixels_and_halving_averages_2x2_blocks()
    {
        var pixels = FirstImage();
        var image = new DecodedImage(28, 28, 1, pixels);
        var transform = new ImageTransform(1, 28, 28, s_fashion) { CropFraction = 1 };
        var output = new float[transform.Length];
        transform.ApplyCenter(image, output);
        for (var i = 0; i < pixels.Length; i++)
        {
            Assert.Equal(((pixels[i] / 255f) - (float)FashionMnist.TrainMean) / (float)FashionMnist.TrainStd, output[i], 1e-5f);
        }

        var half = new ImageTransform(1, 14, 14, ImageNormalization.UnitRange) { CropFraction = 1 };
        var small = new float[half.Length];
        half.ApplyCenter(image, small);
        for (var y = 0; y < 14; y++)
        {
            for (var x = 0; x < 14; x++)
            {
                var expected = (pixels[(2 * y * 28) + (2 * x)] + pixels[(2 * y * 28) + (2 * x) + 1] + pixels[((2 * y + 1) * 28) + (2 * x)] + pixels[((2 * y + 1) * 28) + (2 * x) + 1]) / 4f / 255f;
                Assert.Equal(expected, small[(y * 14) + x], 1e-5f);
            }
        }
    }

    [Fact]
    public void Caffe_normalization_takes_bgr_minus_the_mean_and_imagenet_rgb_over_the_std()
    {
        // One red pixel: R 255, G 0, B 10.
        var image = new DecodedImage(1, 1, 3, [255, 0, 10]);
        var caffe = new float[3];
        new ImageTransform(3, 1, 1, ImageNormalization.Caffe).ApplyCenter(image, caffe);
        Assert.Equal([10 - 104f, 0 - 117f, 255 - 123f], caffe);
        var imagenet = new float[3];
        new ImageTransform(3, 1, 1, ImageNormalization.ImageNet).ApplyCenter(image, imagenet);
        Assert.Equal((1 - 0.485f) / 0.229f, imagenet[0], 5);
        Assert.Equal((0 - 0.456f) / 0.224f, imagenet[1], 5);
        Assert.Equal(((10 / 255f) - 0.406f) / 0.225f, imagenet[2], 5);
        Assert.Equal(ImageNormalization.Caffe.ToString(), ImageNormalization.Parse(ImageNormalization.Caffe.ToString()).ToString());
        Assert.True(ImageNormalization.Parse(ImageNormalization.Caffe.ToString()).Bgr);
        Assert.Equal(ImageNormalization.ImageNet.Mean, ImageNormalization.Parse(ImageNormalization.ImageNet.ToString()).Mean);
    }

    [Fact]
    public void A_random_crop_is_a_function_of_its_seed_and_a_flip_mirrors()
    {
        var pixels = FirstImage();
        var image = new DecodedImage(28, 28, 1, pixels);
        var transform = new ImageTransform(1, 28, 28, ImageNormalization.UnitRange) { MinScale = 0.5f };
        float[] Crop(ulong seed, ImageTransform t)
        {
            var output = new float[t.Length];
            t.ApplyRandom(image, seed, output);
            return output;
        }

        Assert.Equal(Crop(11, transform), Crop(11, transform));
        Assert.NotEqual(Crop(11, transform), Crop(12, transform));

        // At scale 1 only a ratio near 1 fits (else the fallback, the whole image too): the whole image, mirrored or not.
        var whole = transform with { MinScale = 1, MaxScale = 1, CropFraction = 1 };
        var flipped = Enumerable.Range(0, 64).Select(seed => Crop((ulong)seed, whole)).ToList();
        var plain = new float[whole.Length];
        whole.ApplyCenter(image, plain);
        Assert.Contains(flipped, crop => crop.SequenceEqual(plain) || crop.SequenceEqual(Mirror(plain)));
        Assert.Contains(flipped, crop => crop.SequenceEqual(Mirror(plain)));
        Assert.All(flipped.Concat([Crop(11, transform)]), crop => Assert.All(crop, v => Assert.InRange(v, 0f, 1f)));
    }

    private static float[] Mirror(float[] image)
    {
        var result = new float[image.Length];
        for (var y = 0; y < 28; y++)
        {
            for (var x = 0; x < 28; x++)
            {
                result[(y * 28) + x] = image[(y * 28) + 27 - x];
            }
        }

        return result;
    }

    [Fact]
    public void An_image_folder_lists_classes_sorted_by_name_and_its_images_and_splits_deterministically()
    {
        var folder = ImageFolder.Open(FashionImageFolder.Train);
        Assert.Equal(Enumerable.Range(0, 10).Select(FashionImageFolder.ClassFolder), folder.Classes);
        Assert.Equal(FashionImageFolder.TrainCount + FashionImageFolder.CorruptFiles.Count, folder.Count);
        Assert.DoesNotContain(folder.Samples, s => s.Path.EndsWith(".txt", StringComparison.Ordinal) || Path.GetFileName(s.Path).StartsWith('.'));
        var labels = FashionImageFolder.Raw(train: true).Labels;
        Assert.All(folder.Samples.Where(s => !Path.GetFileName(s.Path).StartsWith("zz", StringComparison.Ordinal)),
            s => Assert.Equal(labels[int.Parse(Path.GetFileNameWithoutExtension(s.Path))], s.Label));

        var (train, held) = folder.Split(0.25, seed: 9);
        Assert.Equal(Math.Round(folder.Count * 0.25), held.Count);
        Assert.Equal(folder.Count, train.Concat(held).Select(s => s.Path).Distinct().Count());
        Assert.Equal(held, folder.Split(0.25, seed: 9).Held);
        Assert.NotEqual(held, folder.Split(0.25, seed: 10).Held);
    }

    [Fact]
    public void The_producer_gives_the_synchronous_batches_and_skips_each_corrupt_file_once_with_a_warning()
    {
        var folder = ImageFolder.Open(FashionImageFolder.Train);
        var transform = new ImageTransform(1, 28, 28, s_fashion) { CropFraction = 1 };
        var warnings = new List<string>();
        using var producer = new ImageBatchProducer(folder.Samples, transform, batchSize: 50, threads: 2, depth: 3) { Skipped = (path, _) => { lock (warnings) { warnings.Add(path); } } };
        var order = Enumerable.Range(0, folder.Count).ToArray();
        var batches = folder.Count / 50;
        var images = new float[50 * transform.Length];
        var labels = new int[50];
        for (var epoch = 0; epoch < 2; epoch++)
        {
            producer.Start(new BatchPlan(order, 0, batches, Substitute: true));
            for (var b = 0; b < batches; b++)
            {
                Assert.Equal(50, producer.Next(images, labels));
                for (var i = 0; i < 50; i++)
                {
                    // A corrupt file's place goes to the next image in the order.
                    var index = order[(b * 50) + i];
                    while (FashionImageFolder.CorruptFiles.Contains(folder.Samples[index].Path))
                    {
                        index++;
                    }

                    var expected = new float[transform.Length];
                    Assert.True(ImageBatchProducer.TryLoad(folder.Samples[index].Path, transform, expected, out _));
                    Assert.Equal(folder.Samples[index].Label, labels[i]);
                    Assert.True(expected.AsSpan().SequenceEqual(images.AsSpan(i * transform.Length, transform.Length)), $"batch {b}, image {i}");
                }
            }
        }

        Assert.Equal(FashionImageFolder.CorruptFiles.Order(), warnings.Order());
        Assert.Equal(3, producer.SkippedCount);
        Assert.True(producer.Statistics.Images >= 2 * (folder.Count - 3) - 100);

        // Evaluation: no substitution, the corrupt file's label is -1.
        var corrupt = folder.Samples.ToList().FindIndex(s => s.Path == FashionImageFolder.CorruptFiles[0]);
        producer.Start(new BatchPlan([corrupt, 0], 0, 1));
        Assert.Equal(2, producer.Next(images, labels));
        Assert.Equal([-1, folder.Samples[0].Label], labels[..2]);
    }

    [Fact]
    public void Restarting_the_producer_mid_plan_and_disposing_it_while_it_works_does_not_hang()
    {
        var folder = ImageFolder.Open(FashionImageFolder.Validation);
        var transform = new ImageTransform(3, 32, 32, ImageNormalization.ImageNet);
        var producer = new ImageBatchProducer(folder.Samples, transform, batchSize: 8, threads: 2);
        var order = Enumerable.Range(0, folder.Count).ToArray();
        var images = new float[8 * transform.Length];
        var labels = new int[8];
        producer.Start(new BatchPlan(order, 0, folder.Count / 8, AugmentSeed: 3, Substitute: true));
        producer.Next(images, labels);
        var first = images.ToArray();
        producer.Start(new BatchPlan(order, 5, folder.Count / 8, FirstStep: 5, AugmentSeed: 3, Substitute: true));
        producer.Next(images, labels);
        producer.Start(new BatchPlan(order, 0, folder.Count / 8, AugmentSeed: 3, Substitute: true));
        producer.Next(images, labels);
        Assert.Equal(first, images);
        producer.Dispose();
    }
}
