using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.RegularExpressions;
using InceptionGen.Cli;
using InceptionGen.Data;
using InceptionGen.Interop;
using InceptionGen.Tests.Interop;
using Xunit;

namespace InceptionGen.Tests.Cli;

/// <summary>
/// Issue 17, item 8 and "a resume after a real process kill": the built command line runs as a child process on a
/// tiny dataset, is stopped by SIGTERM or SIGKILL, and the run is resumed. No time limits are asserted beyond
/// generous timeouts (a loaded 2-core machine trains this at a few seconds an epoch).
/// </summary>
public sealed partial class KillTests
{
    private static readonly TimeSpan s_patience = TimeSpan.FromMinutes(4);
    private static readonly Lazy<FashionMnistData> s_data = new(() => FashionMnist.Load(FashionMnist.FindDataFolder()));

    // Two batches an epoch and more epochs than any test waits for; --no-augment and one thread keep it cheap.
    private static readonly string[] s_trainArguments = ["train", "fashion-mnist", "--epochs", "500", "--batch", "32", "--subset", "64", "--validation", "0", "--no-augment", "--threads", "1", "--seed", "3"];

    private static TrainOptions Options(string output) =>
        new() { Epochs = 500, Batch = 32, Subset = 64, Validation = 0, Augment = false, Threads = 1, Seed = 3, Output = output };

    [GeneratedRegex(@"^\s+(\d+)\s+\d")]
    private static partial Regex EpochRow();

    /// <summary>The CLI as a child process, its output lines collected as they come.</summary>
    private sealed class Child : IDisposable
    {
        private readonly BlockingCollection<string> _lines = [];
        private readonly ConcurrentQueue<string> _all = new();

        public Child(params string[] args)
        {
            var folder = CommandLineFolder();
            var dll = Path.Combine(folder, "inceptiongen.dll");
            var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var arg in (string[])["exec", "--runtimeconfig", Path.Combine(folder, "inceptiongen.runtimeconfig.json"), dll, .. args, "--data", FashionMnist.FindDataFolder()])
            {
                start.ArgumentList.Add(arg);
            }

            Process = Process.Start(start)!;
            Process.OutputDataReceived += (_, e) => Add(e.Data);
            Process.ErrorDataReceived += (_, e) => Add(e.Data);
            Process.BeginOutputReadLine();
            Process.BeginErrorReadLine();
        }

        public Process Process { get; }

        /// <summary>The built command line: beside the tests (a referenced program's runtimeconfig is copied), else in Cli/bin.</summary>
        private static string CommandLineFolder()
        {
            var here = AppContext.BaseDirectory;
            if (File.Exists(Path.Combine(here, "inceptiongen.runtimeconfig.json")))
            {
                return here;
            }

            var configuration = here.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
            for (var folder = new DirectoryInfo(here); folder is not null; folder = folder.Parent)
            {
                var candidate = Path.Combine(folder.FullName, "Cli", "bin", configuration, "net10.0");
                if (File.Exists(Path.Combine(candidate, "inceptiongen.runtimeconfig.json")))
                {
                    return candidate;
                }
            }

            Assert.Fail($"no built command line (inceptiongen.runtimeconfig.json) beside {here} or in Cli/bin/{configuration}");
            return "";
        }

        public string Log => string.Join("\n", _all);

        /// <summary>Waits for the row of epoch <paramref name="epoch"/> (its checkpoint is written by then).</summary>
        public void WaitForEpoch(int epoch)
        {
            var deadline = DateTime.UtcNow + s_patience;
            while (DateTime.UtcNow < deadline)
            {
                if (_lines.TryTake(out var line, TimeSpan.FromSeconds(1)) && EpochRow().Match(line) is { Success: true } match && int.Parse(match.Groups[1].Value) >= epoch)
                {
                    return;
                }

                Assert.False(Process.HasExited, $"the run ended early:\n{Log}");
            }

            Assert.Fail($"no row for epoch {epoch} within {s_patience}:\n{Log}");
        }

        public void Signal(string signal)
        {
            using var kill = Process.Start(new ProcessStartInfo("kill", ["-" + signal, Process.Id.ToString()]) { UseShellExecute = false })!;
            kill.WaitForExit();
            Assert.True(Process.WaitForExit(s_patience), $"still running {s_patience} after SIG{signal}:\n{Log}");
            Process.WaitForExit(); // the output events are drained
        }

        public void Dispose()
        {
            if (!Process.HasExited)
            {
                Process.Kill();
                Process.WaitForExit();
            }

            Process.Dispose();
        }

        private void Add(string? line)
        {
            if (line is not null)
            {
                _all.Enqueue(line);
                _lines.Add(line);
            }
        }
    }

    /// <summary>The checkpoint and metrics.csv agree; returns the checkpoint's metrics rows.</summary>
    private static List<EpochMetrics> AssertConsistent(string folder)
    {
        var notes = InceptionGen.Interop.Checkpoint.ReadNotes(Path.Combine(folder, FashionTrainer.CheckpointFile));
        var rows = EpochMetrics.ParseCsv(notes["metrics"], "checkpoint");
        var metricsFile = Path.Combine(folder, FashionTrainer.MetricsFile);
        Assert.True(rows.Count >= 1);
        // metrics.csv is written after the checkpoint, so a kill can leave it at most one row behind, never ahead.
        var onDisk = EpochMetrics.ParseCsv(File.ReadAllText(metricsFile), metricsFile);
        Assert.InRange(onDisk.Count, rows.Count - 1, rows.Count);
        Assert.Equal(rows.Take(onDisk.Count), onDisk);
        return rows;
    }

    /// <summary>Resumes in-process for one more epoch, and checks the rows go on from the checkpoint's without a gap.</summary>
    private static void ResumeOneEpoch(string folder, List<EpochMetrics> before)
    {
        using var cancellation = new CancellationTokenSource();
        var log = new StringWriter();
        var trainer = new FashionTrainer(Options(folder) with { Resume = true }, s_data.Value, TrainCommand.CreateConsole(log, false), false)
        {
            EpochCompleted = _ => cancellation.Cancel(),
        };
        var result = trainer.Run(cancellation.Token);
        Assert.False(result.Completed);
        Assert.True(result.Epochs.Count >= before.Count + 1, log.ToString());
        Assert.Equal(before, result.Epochs.Take(before.Count));
        Assert.Equal(Enumerable.Range(1, result.Epochs.Count), result.Epochs.Select(m => m.Epoch));
        AssertConsistent(folder);
        Assert.Equal(EpochMetrics.Csv(result.Epochs), File.ReadAllText(Path.Combine(folder, FashionTrainer.MetricsFile)));
        Assert.Empty(Directory.GetFiles(folder, "*" + AtomicFile.TemporaryMarker + "*"));
    }

    [Fact]
    public void Item8_sigterm_stops_like_ctrl_c_with_a_checkpoint_and_the_lock_holds_off_a_second_run()
    {
        using var directory = new TempDirectory();
        var folder = directory.File("run");
        using (var child = new Child([.. s_trainArguments, "--output", folder]))
        {
            child.WaitForEpoch(1);

            // Item 6 across processes: while the child trains, the folder is locked.
            var (code, _, error) = CliHarness.RunCli([.. s_trainArguments, "--output", folder, "--resume"]);
            Assert.Equal(2, code);
            Assert.Contains("is in use by another training run", error);

            child.Signal("TERM");
            Assert.True(child.Process.ExitCode == 143, $"exit code {child.Process.ExitCode}:\n{child.Log}");
            Assert.Contains("checkpoint saved to", child.Log);
            Assert.DoesNotContain("   at ", child.Log);
        }

        var rows = AssertConsistent(folder);
        Assert.Equal(File.ReadAllText(Path.Combine(folder, FashionTrainer.MetricsFile)), EpochMetrics.Csv(rows));
        ResumeOneEpoch(folder, rows);
    }

    [Fact]
    public void After_sigkill_the_checkpoint_loads_the_metrics_agree_and_the_run_resumes()
    {
        using var directory = new TempDirectory();
        var folder = directory.File("run");
        using (var child = new Child([.. s_trainArguments, "--output", folder]))
        {
            child.WaitForEpoch(1);
            Thread.Sleep(Random.Shared.Next(0, 1500)); // somewhere in the next epoch or its checkpoint write
            child.Signal("KILL");
            Assert.Equal(137, child.Process.ExitCode);
        }

        ResumeOneEpoch(folder, AssertConsistent(folder));
    }
}
