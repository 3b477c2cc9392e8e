using System.Globalization;
using InceptionGen.Cli;
using InceptionGen.Data;
using InceptionGen.Definitions;
using InceptionGen.Images;
using InceptionGen.Interop;
using InceptionGen.Training;
using Xunit;

namespace InceptionGen.Tests.Images;

/// <summary><c>train --network N --data DIR</c>, fine-tuning and <c>classify</c> on Fashion-MNIST written as PNG and JPEG files (issue 19).</summary>
public sealed class ImageTrainingTests
{
    private static readonly Lazy<FashionMnistData> s_data = new(() => FashionMnist.Load(FashionMnist.FindDataFolder()));
    private static readonly string s_mean = FashionMnist.TrainMean.ToString("R", CultureInfo.InvariantCulture);
    private static readonly string s_std = FashionMnist.TrainStd.ToString("R", CultureInfo.InvariantCulture);

    private static string NewFolder()
    {
        var folder = Path.Combine(Path.GetTempPath(), "inceptiongen-imagetrain-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        return folder;
    }

    private static (int Code, string Output, string Error) Cli(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = InceptionGen.Cli.CommandLine.Run(args, output, error);
        return (code, output.ToString().Replace("\u00a0", " "), error.ToString());
    }

    [Fact]
    public void Training_on_the_image_folder_reaches_the_npy_paths_accuracy_skips_the_corrupt_files_and_classify_agrees()
    {
        var run = NewFolder();
        var npy = NewFolder();
        try
        {
            var (code, output, error) = Cli("train", "--network", "FashionInception", "--data", FashionImageFolder.Train, "--val", FashionImageFolder.Validation,
                "--epochs", "2", "--batch", "32", "--optimizer", "adam", "--no-augment", "--mean", s_mean, "--std", s_std, "--crop-fraction", "1",
                "--threads", "2", "--seed", "3", "--output", run);
            Assert.True(code == 0, output + error);

            // Each corrupt file: one warning naming it; the count at the end.
            foreach (var corrupt in FashionImageFolder.CorruptFiles)
            {
                Assert.Single(error.Split('\n'), line => line.Contains(corrupt, StringComparison.Ordinal) && line.StartsWith("warning: skipped", StringComparison.Ordinal));
            }

            Assert.Contains("skipped 3 file(s)", output);
            Assert.Contains("decoding: ", output);
            var line = output.Split('\n').Single(l => l.StartsWith("validation accuracy ", StringComparison.Ordinal));
            Assert.Contains($"({FashionImageFolder.ValidationCount} images)", line);
            var accuracy = double.Parse(line.Split(' ')[2].TrimEnd('%'), CultureInfo.InvariantCulture) / 100;

            // The .npy path on the same images (the first 1,200 training images, the first 400 test images), same options.
            var options = new TrainOptions { Epochs = 2, Batch = 32, Optimizer = "adam", Subset = FashionImageFolder.TrainCount, Validation = 0, Augment = false, Threads = 2, Seed = 3, Output = npy, TestImages = FashionImageFolder.ValidationCount };
            var reference = new FashionTrainer(options, s_data.Value, TrainCommand.CreateConsole(new StringWriter(), false), false).Run(CancellationToken.None);
            Assert.True(accuracy >= 0.55 && Math.Abs(accuracy - reference.TestAccuracy!.Value) <= 0.06,
                $"image folder {accuracy:P2}, .npy {reference.TestAccuracy:P2}\n{output}");

            // classify with the saved weights: the class names come from the file; top-1 agrees with the evaluation.
            var weights = Path.Combine(run, FashionTrainer.ModelFile);
            var csv = Path.Combine(run, "classes.csv");
            var classified = Cli("classify", "--weights", weights, FashionImageFolder.Validation, "--top", "3", "--csv", csv);
            Assert.True(classified.Code == 0, classified.Output + classified.Error);
            var rows = File.ReadAllLines(csv);
            Assert.Equal("file,class1,probability1,class2,probability2,class3,probability3,error", rows[0]);
            Assert.Equal(FashionImageFolder.ValidationCount, rows.Length - 1);
            var right = rows.Skip(1).Count(row => row.Split(',') is var f && Path.GetFileName(Path.GetDirectoryName(f[0])) == f[1]);
            Assert.Equal(accuracy, (double)right / FashionImageFolder.ValidationCount, 4);
            Assert.All(rows.Skip(1), row =>
            {
                var f = row.Split(',');
                var p = new[] { f[2], f[4], f[6] }.Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
                Assert.True(p[0] >= p[1] && p[1] >= p[2] && p[0] <= 1 && p.Sum() > 0, row);
            });
            var first = Directory.GetFiles(Path.Combine(FashionImageFolder.Validation, FashionImageFolder.ClassFolder(9))).Order(StringComparer.Ordinal).First();
            var single = Cli("classify", "--weights", weights, first, FashionImageFolder.CorruptFiles[1]);
            Assert.Equal(0, single.Code);
            Assert.Matches($"^{System.Text.RegularExpressions.Regex.Escape(first)}: [0-9]-[A-Za-z -]+ [0-9.]+ ?%, ", single.Output);
            Assert.Contains($"warning: skipped '{FashionImageFolder.CorruptFiles[1]}'", single.Error);

            // The library API gives the same answer.
            var classifier = ImageClassifier.Load(new FashionInception(4, 0), weights);
            Assert.Equal(rows.First(r => r.StartsWith(first, StringComparison.Ordinal)).Split(',')[1], classifier.Classify(first).Top[0].Name);
        }
        finally
        {
            Directory.Delete(run, recursive: true);
            Directory.Delete(npy, recursive: true);
        }
    }

    private static ImageFolderTrainingData Data(bool augment, int batch = 32)
    {
        var folder = ImageFolder.Open(FashionImageFolder.Train);
        var (train, held) = folder.Split(0.1, 5);
        var transform = new ImageTransform(1, 28, 28, new ImageNormalization(1f / 255, [0.286f, 0, 0], [0.353f, 1, 1])) { MinScale = 0.6f };
        return new ImageFolderTrainingData(folder, train, held, "split 0.1", transform, batch, augment, decodeThreads: 2, TextWriter.Null);
    }

    private static TrainResult Train(TrainOptions options, Action<long>? stepCompleted = null, CancellationTokenSource? cancellation = null, StringWriter? log = null)
    {
        using var data = Data(options.Augment);
        var trainer = new FashionTrainer(options, data, TrainCommand.TrainableNetwork("FashionInception"), TrainCommand.CreateConsole(log ?? new StringWriter(), false), false) { StepCompleted = stepCompleted };
        return trainer.Run((cancellation ?? new CancellationTokenSource()).Token);
    }

    [Fact]
    public void Stopping_in_the_middle_of_an_epoch_and_resuming_gives_bit_identical_weights()
    {
        var straight = NewFolder();
        var interrupted = NewFolder();
        try
        {
            var options = new TrainOptions { Network = "FashionInception", Epochs = 2, Batch = 32, Optimizer = "adam", Augment = true, Threads = 2, Seed = 7 };
            var full = Train(options with { Output = straight });
            Assert.True(full.Completed);

            using var cancellation = new CancellationTokenSource();
            var first = Train(options with { Output = interrupted }, step =>
            {
                if (step == 45)
                {
                    cancellation.Cancel();
                }
            }, cancellation);
            Assert.False(first.Completed);

            var log = new StringWriter();
            var resumed = Train(options with { Output = interrupted, Resume = true }, log: log);
            Assert.True(resumed.Completed, log.ToString());
            Assert.True(full.Parameters.AsSpan().SequenceEqual(resumed.Parameters), "resumed weights differ from the uninterrupted run's");
            Assert.Equal(full.TestAccuracy, resumed.TestAccuracy);
            Assert.Contains("data=" + Path.GetFullPath(FashionImageFolder.Train), File.ReadAllText(Path.Combine(interrupted, FashionTrainer.RunFile)));
        }
        finally
        {
            Directory.Delete(straight, recursive: true);
            Directory.Delete(interrupted, recursive: true);
        }
    }

    [Fact]
    public void Fine_tuning_with_a_frozen_trunk_changes_only_the_unfrozen_parameters_and_replaces_the_classifiers()
    {
        var folder = NewFolder();
        try
        {
            var init = Path.Combine(folder, "init.safetensors");
            Assert.Equal(0, Cli("init", "--network", "FashionInception", "--seed", "42", "--output", init).Code);
            var start = new FashionInception(1, 0);
            SafeTensors.Load(start.Parameters, init);
            var fresh = new FashionInception(1, 1); // the run's seed: what a replaced classifier starts from

            var result = Train(new TrainOptions { Network = "FashionInception", Epochs = 1, Batch = 32, Augment = true, Threads = 2, Seed = 1, Optimizer = "adam", Output = Path.Combine(folder, "run"), Init = init, ReplaceClassifier = true, Freeze = "Inception3b" });
            Assert.True(result.Completed);

            var frozen = FineTuning.TensorsUpTo(start, "Inception3b");
            var classifiers = FineTuning.ClassifierTensors(start);
            Assert.Contains("Conv1.Weights", frozen);
            Assert.Contains("Inception3b.Branch1.Weights", frozen);
            Assert.DoesNotContain("Inception4a.Branch1.Weights", frozen);
            Assert.Equal(["Classifier.Bias", "Classifier.Weights"], classifiers.Where(n => n.StartsWith("Classifier", StringComparison.Ordinal)).Order());
            Assert.Contains(classifiers, n => n.StartsWith("Aux.", StringComparison.Ordinal));
            foreach (var tensor in start.Parameters.Tensors)
            {
                var before = start.Parameters.ReadOnlySpan.Slice(tensor.Offset, tensor.Length);
                var after = result.Parameters.AsSpan(tensor.Offset, tensor.Length);
                if (frozen.Contains(tensor.Name) && !classifiers.Contains(tensor.Name))
                {
                    Assert.True(before.SequenceEqual(after), $"{tensor.Name} is frozen but changed");
                }
                else if (frozen.Contains(tensor.Name))
                {
                    // A frozen replaced classifier (the auxiliary head before Inception3b) keeps its fresh initialization.
                    Assert.True(fresh.Parameters.ReadOnlySpan.Slice(tensor.Offset, tensor.Length).SequenceEqual(after), $"{tensor.Name} is not the fresh initialization");
                }
                else if (tensor.Role == ParameterRole.Weight)
                {
                    Assert.False(before.SequenceEqual(after), $"{tensor.Name} is not frozen but did not change");
                }
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Bad_requests_are_one_clear_error_line()
    {
        var folder = NewFolder();
        try
        {
            // Three classes for a network declared with ten.
            foreach (var label in new[] { 0, 1, 2 })
            {
                var target = Path.Combine(folder, "three", FashionImageFolder.ClassFolder(label));
                Directory.CreateDirectory(target);
                foreach (var file in Directory.GetFiles(Path.Combine(FashionImageFolder.Validation, FashionImageFolder.ClassFolder(label))))
                {
                    File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
                }
            }

            var three = Cli("train", "--network", "FashionInception", "--data", Path.Combine(folder, "three"), "--output", Path.Combine(folder, "a"), "--batch", "8");
            Assert.Equal(2, three.Code);
            Assert.Contains("FashionInception has 10 outputs", three.Error);
            Assert.Contains("the data has 3 classes", three.Error);

            var freeze = Cli("train", "--network", "FashionInception", "--data", FashionImageFolder.Validation, "--freeze", "Nope", "--output", Path.Combine(folder, "b"));
            Assert.Equal(2, freeze.Code);
            Assert.Contains("no layer named 'Nope'", freeze.Error);

            var replace = Cli("train", "--network", "FashionInception", "--data", FashionImageFolder.Validation, "--replace-classifier", "--output", Path.Combine(folder, "c"));
            Assert.Contains("pass --init W too", replace.Error);

            var mixed = Cli("train", "fashion-mnist", "--val-split", "0.2");
            Assert.Contains("--val-split is an option of train --network", mixed.Error);

            var map = Cli("train", "--network", "NaiveInceptionModule", "--data", FashionImageFolder.Validation, "--output", Path.Combine(folder, "d"));
            Assert.Contains("NaiveInceptionModule's input is 256x28x28; an image input has 1 (grey) or 3 (RGB) channels", map.Error);

            var noNames = Path.Combine(folder, "plain.safetensors");
            Assert.Equal(0, Cli("init", "--network", "FashionInception", "--output", noNames).Code);
            var classify = Cli("classify", "--weights", noNames, FashionImageFolder.Validation);
            Assert.Equal(2, classify.Code);
            Assert.Contains("records no class names", classify.Error);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
