using InceptionGen.Cli;
using InceptionGen.Data;
using InceptionGen.Definitions;
using InceptionGen.Interop;
using Xunit;

namespace InceptionGen.Tests.Cli;

/// <summary>
/// Issue 18's options of <c>train fashion-mnist</c>: <c>--network FashionBNInception</c>, random erasing, label smoothing,
/// the weights' moving average, test-time flip averaging (repeated by <c>evaluate</c> and <c>run</c>), the curves' ticks
/// and the throughput profile.
/// </summary>
public sealed class FashionRecipeTests
{
    private static readonly Lazy<FashionMnistData> s_data = new(() => FashionMnist.Load(FashionMnist.FindDataFolder()));

    private static (int ExitCode, string Output, string Error) Cli(params string[] args)
    {
        var (output, error) = (new StringWriter(), new StringWriter());
        var code = InceptionGen.Cli.CommandLine.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public void The_whole_recipe_trains_FashionBNInception_and_evaluate_and_run_repeat_its_average_and_flip()
    {
        var folder = Path.Combine(Path.GetTempPath(), "inceptiongen-recipe-" + Guid.NewGuid().ToString("N"));
        try
        {
            var log = new StringWriter();
            var options = new TrainOptions
            {
                Network = "FashionBNInception", Epochs = 2, Batch = 32, Subset = 640, Validation = 200, Augment = true, Erase = 0.5f,
                LabelSmoothing = 0.1f, Ema = 0.9f, FlipAverage = true, Threads = 2, Seed = 3, TestImages = 200, Output = folder,
            };
            var trainer = new FashionTrainer(options, s_data.Value, TrainCommand.CreateConsole(log, interactive: false), interactive: false);
            var result = trainer.Run(CancellationToken.None);

            Assert.True(result.Completed, log.ToString());
            Assert.All(result.Epochs, m => Assert.NotNull(m.ValidationAccuracy));
            var run = File.ReadAllText(Path.Combine(folder, FashionTrainer.RunFile));
            foreach (var line in new[] { "network=FashionBNInception", "erase=0.5", "label_smoothing=0.1", "ema=0.9", "tta=flip" })
            {
                Assert.Contains(line + "\n", run, StringComparison.Ordinal);
            }

            Assert.Contains("test accuracy", log.ToString(), StringComparison.Ordinal);
            Assert.Contains("the weights' moving average, flip-averaged, 200 images", log.ToString(), StringComparison.Ordinal);

            // The model saved is the moving average (the checkpoint's weight_average block), not the training weights.
            var modelPath = Path.Combine(folder, FashionTrainer.ModelFile);
            var model = new FashionBNInception(8, 1);
            SafeTensors.Load(model.Parameters, modelPath);
            var checkpoint = SafeTensorsFile.Read(Path.Combine(folder, FashionTrainer.CheckpointFile));
            Assert.Equal(checkpoint.Floats(checkpoint.Tensors["optimizer.weight_average"]).ToArray(), model.Parameters.ReadOnlySpan.ToArray());
            Assert.False(model.Parameters.ReadOnlySpan.SequenceEqual(result.Parameters), "the saved model is the training weights, not their average");
            var metadata = SafeTensors.ReadMetadata(modelPath);
            Assert.Equal("FashionBNInception", metadata["network"]);
            Assert.Equal("flip", metadata[FlipAveragedNetwork.MetadataKey]);

            // run gives the mean of each image's and its mirror image's logits, as the training run evaluated.
            const int count = 5;
            var images = s_data.Value.Test.Images.AsSpan(0, count * FashionMnist.ImageSize).ToArray();
            var inputPath = Path.Combine(folder, "x.npy");
            var outputPath = Path.Combine(folder, "y.npy");
            Npy.Write(inputPath, images, [count, 1, 28, 28]);
            var (code, output, error) = Cli("run", "--weights", modelPath, "--input", inputPath, "--output", outputPath, "--threads", "1");
            Assert.True(code == 0, error);
            Assert.Contains("FashionBNInception (flip-averaged)", output, StringComparison.Ordinal);
            var logits = Npy.Read(outputPath).ToFloat32();
            var plain = new float[count * 10];
            var mirrored = new float[count * 10];
            var flipped = new float[images.Length];
            model.Forward(images, plain, count);
            FlipAveragedNetwork.Flip(images, flipped, count, 1, 28, 28);
            model.Forward(flipped, mirrored, count);
            for (var i = 0; i < logits.Length; i++)
            {
                Assert.Equal(0.5f * (plain[i] + mirrored[i]), logits[i], 5);
            }

            Assert.False(plain.AsSpan().SequenceEqual(logits), "run did not average the flip");
            Assert.Equal(images[27], flipped[0]);

            // The profile: the steps, not the input preparation, take the time.
            var throughput = result.Throughput!;
            Assert.Equal(2 * 640, throughput.Images);
            Assert.True(throughput.StepImagesPerSecond >= throughput.EpochImagesPerSecond, throughput.ToText());
            Assert.True(throughput.InputShare < 0.05, throughput.ToText());
            Assert.Contains("throughput: training steps alone ", log.ToString(), StringComparison.Ordinal);
            Assert.True(File.Exists(Path.Combine(folder, TrainingPlot.FileName)));
        }
        finally
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }

    [Fact]
    public void Evaluate_reads_the_network_and_the_flip_average_from_the_weights()
    {
        var folder = Path.Combine(Path.GetTempPath(), "inceptiongen-recipe-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            var net = new FashionBNInception(1, 5);
            var plainPath = Path.Combine(folder, "plain.safetensors");
            var flipPath = Path.Combine(folder, "flip.safetensors");
            SafeTensors.Save(net, plainPath);
            SafeTensors.Save(net, flipPath, new Dictionary<string, string> { [FlipAveragedNetwork.MetadataKey] = FlipAveragedNetwork.MetadataValue });

            var (code, flipOutput, error) = Cli("evaluate", "--weights", flipPath);
            Assert.True(code == 0, error);
            Assert.Contains("flip-averaged as trained, 10000 images", flipOutput, StringComparison.Ordinal);

            // Weights without the metadata are evaluated as they are (the whole test set once more: the plain line).
            (code, var plainOutput, error) = Cli("evaluate", "--weights", plainPath);
            Assert.True(code == 0, error);
            Assert.Contains("(10000 images)", plainOutput, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Random_erasing_sets_one_rectangle_to_the_mean_and_leaves_the_crops_and_flips_as_they_were()
    {
        var data = s_data.Value;
        int[] order = [.. Enumerable.Range(0, 64)];
        var plain = new float[64 * FashionMnist.ImageSize];
        var erased = new float[64 * FashionMnist.ImageSize];
        var half = new float[64 * FashionMnist.ImageSize];
        var labels = new int[64];
        new FashionMnistTrainingData(data, 1000, 0, augment: true).FillBatch(order, 0, 17, 99, plain, labels);
        new FashionMnistTrainingData(data, 1000, 0, augment: true) { Erase = 1f }.FillBatch(order, 0, 17, 99, erased, labels);
        new FashionMnistTrainingData(data, 1000, 0, augment: true) { Erase = 0.5f }.FillBatch(order, 0, 17, 99, half, labels);

        int Rectangles(float[] batch)
        {
            var found = 0;
            for (var i = 0; i < 64; i++)
            {
                var changed = Enumerable.Range(0, FashionMnist.ImageSize).Where(p => batch[i * FashionMnist.ImageSize + p] != plain[i * FashionMnist.ImageSize + p]).ToArray();
                if (changed.Length == 0)
                {
                    continue;
                }

                // Every changed pixel is 0 and lies in one rectangle of 1-45% of the image (2-40% before rounding).
                Assert.All(changed, p => Assert.Equal(0f, batch[i * FashionMnist.ImageSize + p]));
                var (top, bottom) = (changed.Min(p => p / 28), changed.Max(p => p / 28));
                var (left, right) = (changed.Min(p => p % 28), changed.Max(p => p % 28));
                var area = (bottom - top + 1) * (right - left + 1);
                Assert.InRange(area, 0.01 * 784, 0.45 * 784);
                Assert.True(changed.Length <= area);
                found++;
            }

            return found;
        }

        // A pixel already 0 inside the rectangle does not show as changed, so nearly every image of the erase-always batch shows one.
        Assert.InRange(Rectangles(erased), 56, 64);
        Assert.InRange(Rectangles(half), 18, 46);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(10)]
    [InlineData(11)]
    [InlineData(18)]
    [InlineData(45)]
    [InlineData(300)]
    public void The_epoch_axis_has_whole_epoch_ticks_from_0_past_the_last_epoch(int lastEpoch)
    {
        var (positions, labels) = TrainingPlot.EpochTicks(lastEpoch);

        Assert.Equal(0, positions[0]);
        Assert.True(positions[^1] >= lastEpoch && positions.Length <= 12 && positions.Length >= 2, string.Join(",", positions));
        Assert.All(positions, p => Assert.Equal(Math.Round(p), p));
        Assert.Single(positions.Zip(positions.Skip(1), (a, b) => b - a).Distinct());
        Assert.Equal(positions.Select(p => ((int)p).ToString(System.Globalization.CultureInfo.InvariantCulture)), labels);
    }

    [Fact]
    public void The_learning_rate_curve_follows_the_schedule_along_the_steps()
    {
        var schedule = new InceptionGen.Training.CosineSchedule(0.1f, 1000, warmupSteps: 50);
        var points = FashionTrainer.LearningRates(schedule, 1000, batchesPerEpoch: 100);

        Assert.InRange(points.Count, 300, 402);
        Assert.Equal(0, points[0].Epoch);
        Assert.Equal(10, points[^1].Epoch);
        Assert.Equal(0.1, points.Max(p => p.Rate), 5);
        Assert.True(points[^1].Rate < 1e-3);
    }

    [Theory]
    [InlineData("--erase", "1.5", "--erase takes a probability in [0, 1]")]
    [InlineData("--label-smoothing", "1", "--label-smoothing takes a number in [0, 1)")]
    [InlineData("--ema", "1", "--ema takes a decay in (0, 1)")]
    [InlineData("--tta", "rotate", "--tta takes none, flip")]
    [InlineData("--network", "GoogLeNet", "GoogLeNet's input is 3x224x224")]
    public void Bad_recipe_options_are_one_error_line(string option, string value, string message)
    {
        var folder = Path.Combine(Path.GetTempPath(), "inceptiongen-recipe-" + Guid.NewGuid().ToString("N"));
        try
        {
            var (code, _, error) = Cli("train", "fashion-mnist", option, value, "--output", folder);

            Assert.Equal(2, code);
            Assert.Contains(message, error, StringComparison.Ordinal);
            Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        }
        finally
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }
}
