using System.Text;
using InceptionGen.Cli;
using InceptionGen.CommandLine;
using InceptionGen.Data;
using InceptionGen.Interop;
using InceptionGen.Tests.Interop;
using Xunit;
using static InceptionGen.Tests.Cli.CliHarness;

namespace InceptionGen.Tests.Cli;

/// <summary>Issue 17, "CLI and files": a training run's folder, checkpoint and metrics cannot disagree, be shared, or be lost.</summary>
public sealed class TrainingRunFolderTests
{
    private static readonly Lazy<FashionMnistData> s_data = new(() => FashionMnist.Load(FashionMnist.FindDataFolder()));

    /// <summary>Two batches of 32 an epoch, one thread: a few seconds an epoch even on a loaded machine.</summary>
    private static TrainOptions Tiny(string output, int epochs = 2) =>
        new() { Epochs = epochs, Batch = 32, Subset = 64, Validation = 0, Augment = false, Threads = 1, Seed = 7, TestImages = 50, Output = output };

    private static TrainResult Train(TrainOptions options, StringWriter? log = null, Action<int>? epochCompleted = null, CancellationTokenSource? cancellation = null, Action<long>? checkpointWriting = null)
    {
        var trainer = new FashionTrainer(options, s_data.Value, TrainCommand.CreateConsole(log ?? new StringWriter(), interactive: false), interactive: false)
        {
            EpochCompleted = epochCompleted,
            CheckpointWriting = checkpointWriting,
        };
        return trainer.Run((cancellation ?? new CancellationTokenSource()).Token);
    }

    /// <summary>Trains <paramref name="options"/> and stops after epoch 1, as Ctrl+C there would.</summary>
    private static TrainResult TrainOneEpoch(TrainOptions options, StringWriter? log = null)
    {
        using var cancellation = new CancellationTokenSource();
        var result = Train(options, log, _ => cancellation.Cancel(), cancellation);
        Assert.False(result.Completed);
        return result;
    }

    private static string Checkpoint(string folder) => Path.Combine(folder, FashionTrainer.CheckpointFile);

    private static string Metrics(string folder) => Path.Combine(folder, FashionTrainer.MetricsFile);

    private static void AssertSameRows(IReadOnlyList<EpochMetrics> expected, IReadOnlyList<EpochMetrics> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i], actual[i] with { Seconds = expected[i].Seconds });
        }
    }

    [Fact]
    public void Item3_and_15_metrics_lost_or_damaged_after_the_checkpoint_are_rebuilt_from_it()
    {
        using var directory = new TempDirectory();
        var straight = Train(Tiny(directory.File("straight")));
        var folder = directory.File("run");
        TrainOneEpoch(Tiny(folder));
        var notes = InceptionGen.Interop.Checkpoint.ReadNotes(Checkpoint(folder));
        Assert.Equal(File.ReadAllText(Metrics(folder)), notes["metrics"]);

        // A kill between the checkpoint's rename and the metrics write leaves metrics.csv one row short.
        File.WriteAllText(Metrics(folder), EpochMetrics.CsvHeader + "\n");
        var log = new StringWriter();
        var resumed = Train(Tiny(folder) with { Resume = true }, log);
        Assert.True(resumed.Completed, log.ToString());
        Assert.Contains("did not match the checkpoint", log.ToString());
        AssertSameRows(straight.Epochs, resumed.Epochs);
        Assert.Equal(3, File.ReadAllLines(Metrics(folder)).Length);

        // A damaged metrics.csv (item 15) is neither a crash nor silently dropped: it is rebuilt, with a note.
        var other = directory.File("damaged");
        TrainOneEpoch(Tiny(other));
        File.WriteAllText(Metrics(other), "epoch,train_loss\n1,garbage\n\u0000\u0001");
        log = new StringWriter();
        resumed = Train(Tiny(other) with { Resume = true }, log);
        Assert.True(resumed.Completed, log.ToString());
        Assert.Contains("rewritten from the checkpoint's 1 row", log.ToString());
        AssertSameRows(straight.Epochs, EpochMetrics.ParseCsv(File.ReadAllText(Metrics(other)), "metrics.csv"));
    }

    [Fact]
    public void Item4_a_new_run_in_a_folder_holding_another_is_refused_without_force()
    {
        using var directory = new TempDirectory();
        var folder = directory.File("run");
        TrainOneEpoch(Tiny(folder));
        var before = Directory.GetFiles(folder).ToDictionary(path => path, File.ReadAllBytes);

        var refusal = Assert.Throws<UsageException>(() => Train(Tiny(folder) with { Seed = 8 }));
        Assert.Contains("holds another run (checkpoint.safetensors, run.txt, metrics.csv); pass --resume to continue it, --force to start over", refusal.Message);
        Assert.All(before, pair => Assert.Equal(pair.Value, File.ReadAllBytes(pair.Key)));
        AssertOneErrorLine("pass one of them", ["train", "fashion-mnist", "--resume", "--force", "--output", folder]);

        File.WriteAllBytes(Path.Combine(folder, FashionTrainer.ModelFile), [1, 2, 3]); // as if the old run had finished
        var forced = Train(Tiny(folder) with { Seed = 8, Force = true }, epochCompleted: _ => Assert.False(File.Exists(Path.Combine(folder, FashionTrainer.ModelFile)), "the old run's model.safetensors is still there"));
        Assert.True(forced.Completed);
        Assert.NotEqual(3, new FileInfo(Path.Combine(folder, FashionTrainer.ModelFile)).Length);
        Assert.Contains("seed=8", File.ReadAllText(Path.Combine(folder, FashionTrainer.RunFile)));
    }

    [Fact]
    public void Item5_the_options_live_in_the_checkpoint_so_a_resume_without_run_txt_still_refuses_others()
    {
        using var directory = new TempDirectory();
        var folder = directory.File("run");
        TrainOneEpoch(Tiny(folder));
        var runText = File.ReadAllText(Path.Combine(folder, FashionTrainer.RunFile));
        Assert.Equal(runText, InceptionGen.Interop.Checkpoint.ReadNotes(Checkpoint(folder))["options"]);
        File.Delete(Path.Combine(folder, FashionTrainer.RunFile));

        var refusal = Assert.Throws<UsageException>(() => Train(Tiny(folder) with { Resume = true, Batch = 16 }));
        Assert.Contains("--resume needs the options of the run", refusal.Message);
        Assert.Contains("batch=32", refusal.Message);
        Assert.Contains("batch 16", refusal.Message);

        Assert.True(Train(Tiny(folder) with { Resume = true }).Completed);
        Assert.Equal(runText, File.ReadAllText(Path.Combine(folder, FashionTrainer.RunFile)));
    }

    [Fact]
    public void Item6_a_locked_folder_refuses_a_second_run()
    {
        using var directory = new TempDirectory();
        var folder = directory.File("run");
        using (RunFolder.Open(folder, resume: false, force: false, TrainCommand.CreateConsole(new StringWriter(), false)))
        {
            var refusal = Assert.Throws<UsageException>(() => RunFolder.Open(folder, resume: false, force: true, TrainCommand.CreateConsole(new StringWriter(), false)));
            Assert.Equal($"'{folder}' is in use by another training run (it holds the lock on '{Path.Combine(folder, RunFolder.LockFile)}'); wait for it to end, or choose another --output", refusal.Message);
        }

        // Released with the run: the folder opens again.
        RunFolder.Open(folder, resume: false, force: false, TrainCommand.CreateConsole(new StringWriter(), false)).Dispose();
    }

    [Fact]
    public void Item7_temporary_files_left_by_a_kill_are_removed()
    {
        using var directory = new TempDirectory();
        var folder = directory.File("run");
        TrainOneEpoch(Tiny(folder));
        string[] leftovers =
        [
            Checkpoint(folder) + AtomicFile.TemporaryMarker + "0123456789abcdef",
            Metrics(folder) + AtomicFile.TemporaryMarker + "fedcba9876543210",
            Path.Combine(folder, TrainingPlot.FileName) + AtomicFile.TemporaryMarker + "00ff.png",
        ];
        foreach (var leftover in leftovers)
        {
            File.WriteAllBytes(leftover, new byte[1000]);
        }

        var unrelated = Path.Combine(folder, "notes.tmp-keep");
        File.WriteAllText(unrelated, "mine");
        var log = new StringWriter();
        Assert.True(Train(Tiny(folder) with { Resume = true }, log).Completed);

        Assert.Contains("removed 3 temporary files", log.ToString());
        Assert.All(leftovers, leftover => Assert.False(File.Exists(leftover), leftover));
        Assert.True(File.Exists(unrelated));
    }

    [Fact]
    public void Item14_train_io_errors_are_one_line_and_a_full_disk_loses_no_epoch()
    {
        using var directory = new TempDirectory();
        File.WriteAllBytes(directory.File("a-file"), []);
        AssertOneErrorLine("is a regular file, not a folder", ["train", "fashion-mnist", "--output", directory.File("a-file")]);
        var readOnly = ReadOnlyFolder(directory.Path);
        AssertOneErrorLine($"cannot write in the output folder '{readOnly}'", ["train", "fashion-mnist", "--subset", "64", "--batch", "32", "--validation", "0", "--output", readOnly]);

        // The disk fills while epoch 2's checkpoint is written: one line, and epoch 1's checkpoint and metrics stand.
        var straight = Train(Tiny(directory.File("straight")));
        var folder = directory.File("run");
        var failure = Assert.Throws<IOException>(() => Train(Tiny(folder), checkpointWriting: step =>
        {
            if (step == 4)
            {
                throw new IOException("No space left on device");
            }
        }));
        Assert.DoesNotContain('\n', failure.Message);
        Assert.Contains("cannot write the checkpoint at step 4 (No space left on device)", failure.Message);
        Assert.Contains("still holds the last checkpoint", failure.Message);
        var notes = InceptionGen.Interop.Checkpoint.ReadNotes(Checkpoint(folder));
        Assert.Single(EpochMetrics.ParseCsv(notes["metrics"], "checkpoint"));
        Assert.Equal(notes["metrics"], File.ReadAllText(Metrics(folder)));
        Assert.Empty(Directory.GetFiles(folder, "*" + AtomicFile.TemporaryMarker + "*"));

        // Resumed, it repeats epoch 2 and ends where the uninterrupted run did, bit for bit.
        var resumed = Train(Tiny(folder) with { Resume = true });
        Assert.True(resumed.Completed);
        Assert.True(straight.Parameters.AsSpan().SequenceEqual(resumed.Parameters), "resumed weights differ from the uninterrupted run's");
        AssertSameRows(straight.Epochs, resumed.Epochs);
    }

    [Fact]
    public void Item10_and_11_a_damaged_or_unreadable_checkpoint_is_one_line_on_resume()
    {
        using var directory = new TempDirectory();
        var folder = directory.File("run");
        TrainOneEpoch(Tiny(folder));
        var bytes = File.ReadAllBytes(Checkpoint(folder));
        var header = Encoding.Latin1.GetString(bytes, 8, 4096);
        bytes[8 + header.IndexOf("inceptiongen-checkpoint", StringComparison.Ordinal)] = 0xC3; // a lone lead byte: invalid UTF-8
        File.WriteAllBytes(Checkpoint(folder), bytes);
        string[] resume = ["train", "fashion-mnist", "--resume", "--epochs", "2", "--batch", "32", "--subset", "64", "--validation", "0", "--no-augment", "--seed", "7", "--output", folder];
        AssertOneErrorLine("its header is not valid UTF-8", resume);

        File.Delete(Checkpoint(folder));
        MakeUnreadable(Checkpoint(folder));
        AssertOneErrorLine("denied", resume);
    }

    [Fact]
    public void Item20_resume_in_a_missing_folder_refuses_without_creating_it()
    {
        using var directory = new TempDirectory();
        var missing = directory.File("never");
        AssertOneErrorLine($"--resume: there is no folder '{missing}' to resume from", ["train", "fashion-mnist", "--resume", "--output", missing]);
        Assert.False(Directory.Exists(missing));
        Assert.Throws<UsageException>(() => Train(Tiny(missing) with { Resume = true }));
        Assert.False(Directory.Exists(missing));
    }
}
