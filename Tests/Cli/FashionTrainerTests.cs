using InceptionGen.Cli;
using InceptionGen.CommandLine;
using InceptionGen.Data;
using InceptionGen.Definitions;
using InceptionGen.Interop;
using Xunit;

namespace InceptionGen.Tests.Cli;

public sealed class FashionTrainerTests
{
    private static readonly Lazy<FashionMnistData> s_data = new(() => FashionMnist.Load(FashionMnist.FindDataFolder()));

    private static string NewFolder()
    {
        var folder = Path.Combine(Path.GetTempPath(), "inceptiongen-train-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        return folder;
    }

    private static TrainResult Train(TrainOptions options, StringWriter log, Action<int>? epochCompleted = null, CancellationTokenSource? cancellation = null, Action<long>? stepCompleted = null)
    {
        var trainer = new FashionTrainer(options, s_data.Value, TrainCommand.CreateConsole(log, interactive: false), interactive: false) { EpochCompleted = epochCompleted, StepCompleted = stepCompleted };
        return trainer.Run((cancellation ?? new CancellationTokenSource()).Token);
    }

    [Fact]
    public void A_short_run_on_2000_images_reaches_60_percent_test_accuracy()
    {
        var folder = NewFolder();
        try
        {
            var log = new StringWriter();
            var result = Train(new TrainOptions { Epochs = 2, Batch = 32, Optimizer = "adam", Subset = 2000, Validation = 500, Augment = false, Threads = 2, Seed = 3, Output = folder }, log);

            Assert.True(result.Completed, log.ToString());
            Assert.True(result.TestAccuracy >= 0.60, $"test accuracy {result.TestAccuracy:P2}\n{log}");
            Assert.Equal(2, result.Epochs.Count);
            Assert.All(result.Epochs, m => Assert.NotNull(m.ValidationAccuracy));
            Assert.True(File.Exists(Path.Combine(folder, FashionTrainer.ModelFile)));
            Assert.True(File.Exists(Path.Combine(folder, FashionTrainer.CheckpointFile)));
            Assert.Equal(3, File.ReadAllLines(Path.Combine(folder, FashionTrainer.MetricsFile)).Length);
            var png = File.ReadAllBytes(Path.Combine(folder, TrainingPlot.FileName));
            Assert.True(png.Length > 10_000 && png.AsSpan(0, 8).SequenceEqual(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }), "curves.png is not a PNG with content");
            Assert.All(result.Epochs, m => Assert.InRange(m.TrainAccuracy, 0.05, 1.0));
            Assert.Contains("Ankle boot", log.ToString());
            var confusion = result.Confusion!;
            Assert.Equal(10_000, confusion.Cast<int>().Sum());

            // evaluate reads the saved weights back and gets the same accuracy.
            var output = new StringWriter();
            var error = new StringWriter();
            Assert.Equal(0, InceptionGen.Cli.CommandLine.Run(["evaluate", "--weights", Path.Combine(folder, FashionTrainer.ModelFile)], output, error));
            Assert.Contains($"test accuracy {result.TestAccuracy:P2}", output.ToString().Replace("\u00a0", " "));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Resuming_after_epoch_1_gives_bit_identical_weights()
    {
        var straight = NewFolder();
        var interrupted = NewFolder();
        try
        {
            var options = new TrainOptions { Epochs = 2, Batch = 32, Subset = 320, Validation = 0, Augment = true, Threads = 2, Seed = 5, TestImages = 200 };
            var full = Train(options with { Output = straight }, new StringWriter());
            Assert.True(full.Completed);

            using var cancellation = new CancellationTokenSource();
            var log = new StringWriter();
            var first = Train(options with { Output = interrupted }, log, epoch => cancellation.Cancel(), cancellation);
            Assert.False(first.Completed);
            Assert.Single(first.Epochs);

            var mismatch = Assert.Throws<UsageException>(() => Train(options with { Output = interrupted, Resume = true, Batch = 64 }, log));
            Assert.Contains("batch=32", mismatch.Message);

            var resumed = Train(options with { Output = interrupted, Resume = true }, log);
            Assert.True(resumed.Completed, log.ToString());
            Assert.Equal(2, resumed.Epochs.Count);
            Assert.Equal(full.Epochs[0], resumed.Epochs[0] with { Seconds = full.Epochs[0].Seconds });
            Assert.True(full.Parameters.AsSpan().SequenceEqual(resumed.Parameters), "resumed weights differ from the uninterrupted run's");
            Assert.Equal(full.TestAccuracy, resumed.TestAccuracy);
        }
        finally
        {
            Directory.Delete(straight, recursive: true);
            Directory.Delete(interrupted, recursive: true);
        }
    }

    [Fact]
    public void Stopping_in_the_middle_of_an_epoch_and_resuming_gives_bit_identical_weights()
    {
        var straight = NewFolder();
        var interrupted = NewFolder();
        try
        {
            // 10 batches an epoch; stop after step 13, three batches into epoch 2.
            var options = new TrainOptions { Epochs = 2, Batch = 32, Subset = 320, Validation = 0, Augment = true, Threads = 1, Seed = 9, Optimizer = "adamw", TestImages = 200 };
            var full = Train(options with { Output = straight }, new StringWriter());
            Assert.True(full.Completed);

            using var cancellation = new CancellationTokenSource();
            var log = new StringWriter();
            var first = Train(options with { Output = interrupted }, log, cancellation: cancellation, stepCompleted: step =>
            {
                if (step == 13)
                {
                    cancellation.Cancel();
                }
            });
            Assert.False(first.Completed);
            Assert.Contains("stopped at step 13 of 20", log.ToString());

            var resumed = Train(options with { Output = interrupted, Resume = true }, log);
            Assert.True(resumed.Completed, log.ToString());
            Assert.True(full.Parameters.AsSpan().SequenceEqual(resumed.Parameters), "resumed weights differ from the uninterrupted run's");

            // Issue 17, item 9: the interrupted epoch's row covers all of its batches, as the uninterrupted run's does.
            Assert.Equal(2, resumed.Epochs.Count);
            for (var epoch = 0; epoch < 2; epoch++)
            {
                Assert.Equal(full.Epochs[epoch], resumed.Epochs[epoch] with { Seconds = full.Epochs[epoch].Seconds });
            }
        }
        finally
        {
            Directory.Delete(straight, recursive: true);
            Directory.Delete(interrupted, recursive: true);
        }
    }

    [Fact]
    public void A_diverging_run_stops_with_one_line_and_keeps_the_last_good_checkpoint()
    {
        var folder = NewFolder();
        try
        {
            var options = new TrainOptions { Epochs = 1, Batch = 32, Subset = 256, Validation = 100, Threads = 2, Seed = 5, Output = folder, TestImages = 100 };
            Assert.True(Train(options, new StringWriter()).Completed);
            var checkpoint = File.ReadAllBytes(Path.Combine(folder, FashionTrainer.CheckpointFile));

            // A new run in the same folder with a learning rate of 1e6: the weights turn inf/NaN within a few steps.
            var error = Assert.Throws<UsageException>(() => Train(options with { Epochs = 3, LearningRate = 1e6f, Force = true }, new StringWriter()));
            Assert.Contains("training diverged at epoch 1", error.Message);
            Assert.Contains("still holds the last good epoch", error.Message);
            Assert.Contains("smaller --lr", error.Message);
            Assert.DoesNotContain('\n', error.Message);
            Assert.Equal(checkpoint, File.ReadAllBytes(Path.Combine(folder, FashionTrainer.CheckpointFile)));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Bad_input_is_one_line_on_stderr_and_exit_code_2()
    {
        var folder = NewFolder();
        try
        {
            var wrong = Path.Combine(folder, "wrong.safetensors");
            SafeTensors.Save(new NaiveInceptionModule(1, 1).Parameters, wrong);
            string[][] cases =
            [
                ["train", "fashion-mnist", "--bogus"],
                ["train", "fashion-mnist", "--data", Path.Combine(folder, "missing")],
                ["train", "fashion-mnist", "--optimizer", "rmsprop"],
                ["train", "mnist"],
                ["evaluate", "--weights", Path.Combine(folder, "missing.safetensors")],
                ["evaluate", "--weights", wrong],
            ];
            foreach (var args in cases)
            {
                var output = new StringWriter();
                var error = new StringWriter();
                Assert.Equal(2, InceptionGen.Cli.CommandLine.Run(args, output, error));
                var lines = error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
                Assert.Single(lines);
                Assert.StartsWith("error: ", lines[0]);
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
