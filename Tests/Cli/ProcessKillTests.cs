using System.Diagnostics;
using InceptionGen.Cli;
using InceptionGen.Data;
using Xunit;

namespace InceptionGen.Tests.Cli;

/// <summary>
/// A real <c>inceptiongen train</c> process killed (SIGKILL: no handler runs, nothing is flushed) once its first checkpoint
/// is on disk, then resumed: the final weights equal an uninterrupted run's bit for bit. The other resume tests cancel
/// cooperatively, in-process.
/// </summary>
public sealed class ProcessKillTests(ITestOutputHelper output)
{
    [Fact]
    public void A_killed_training_process_resumes_to_the_uninterrupted_weights()
    {
        var data = FashionMnist.FindDataFolder();
        var straight = NewFolder();
        var killed = NewFolder();
        try
        {
            // Two epochs of 8 steps: the kill lands in epoch 2 (each step takes milliseconds; the poll, 10 ms).
            var options = new TrainOptions { Epochs = 2, Batch = 32, Subset = 256, Validation = 0, Threads = 2, Seed = 5, TestImages = 200 };
            var loaded = FashionMnist.Load(data);
            var full = new FashionTrainer(options with { Output = straight }, loaded, TrainCommand.CreateConsole(new StringWriter(), interactive: false), interactive: false)
                .Run(CancellationToken.None);
            Assert.True(full.Completed);

            var checkpoint = Path.Combine(killed, FashionTrainer.CheckpointFile);
            var errors = new System.Text.StringBuilder();
            using (var process = StartCli(errors, "train", "fashion-mnist", "--epochs", "2", "--batch", "32", "--subset", "256", "--validation", "0",
                       "--threads", "2", "--seed", "5", "--data", data, "--output", killed))
            {
                var clock = Stopwatch.StartNew();
                while (!File.Exists(checkpoint))
                {
                    if (process.HasExited)
                    {
                        process.WaitForExit();
                        Assert.Fail($"the training process ended (exit code {process.ExitCode}) before its first checkpoint:\n{errors}");
                    }

                    Assert.True(clock.Elapsed < TimeSpan.FromMinutes(5), "no checkpoint after 5 minutes");
                    Thread.Sleep(10);
                }

                Assert.False(process.HasExited, "the process finished both epochs before it could be killed");
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
                output.WriteLine($"killed after {clock.Elapsed.TotalSeconds:F1} s; left in the folder: {string.Join(", ", Directory.GetFiles(killed).Select(Path.GetFileName))}");
            }

            Assert.False(File.Exists(Path.Combine(killed, FashionTrainer.ModelFile)), "the killed run wrote its final model");
            var log = new StringWriter();
            var resumed = new FashionTrainer(options with { Output = killed, Resume = true }, loaded, TrainCommand.CreateConsole(log, interactive: false), interactive: false)
                .Run(CancellationToken.None);

            Assert.True(resumed.Completed, log.ToString());
            Assert.Equal(2, resumed.Epochs.Count);
            Assert.True(full.Parameters.AsSpan().SequenceEqual(resumed.Parameters), "the resumed weights differ from the uninterrupted run's");
        }
        finally
        {
            Directory.Delete(straight, recursive: true);
            Directory.Delete(killed, recursive: true);
        }
    }

    /// <summary>The command line built beside the tests (inceptiongen.dll), run by the same dotnet host.</summary>
    private static Process StartCli(System.Text.StringBuilder errors, params string[] args)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "inceptiongen.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start)!;
        // Drain both pipes so the process never blocks on a full one.
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, line) =>
        {
            lock (errors)
            {
                errors.AppendLine(line.Data);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static string NewFolder()
    {
        var folder = Path.Combine(Path.GetTempPath(), "inceptiongen-kill-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        return folder;
    }
}
