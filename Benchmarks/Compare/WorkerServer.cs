using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace InceptionGen.Benchmarks.Compare;

/// <summary>One implementation as a worker: set up a configuration, check its output, time runs.</summary>
internal interface IComparedWorker : IDisposable
{
    /// <summary>Loads the weights and prepares <paramref name="mode"/> ("inference" or "train") at <paramref name="batch"/>; returns the implementation's version.</summary>
    string Setup(CompareFiles files, string mode, int batch, int threads, bool profile);

    /// <summary>Inference: writes the logits of the input batch (.npy). Training: writes {"loss", "main", "grad_norms"} (JSON) of one step with the given masks.</summary>
    void Check(string path);

    /// <summary>One forward pass or training step, as set up.</summary>
    void RunOnce();

    /// <summary>Milliseconds per run by op or node name (PyTorch-style), averaged over <paramref name="runs"/> inference runs.</summary>
    IReadOnlyDictionary<string, double> Layers(int runs);
}

/// <summary>
/// The worker side of the line protocol shared with <c>torch_worker.py</c>: one command per line on stdin, one
/// reply line on stdout, <c>ok [key=value ...]</c> or <c>error &lt;message&gt;</c>. Commands:
/// <c>setup FOLDER MODE BATCH THREADS [profile]</c>, <c>check PATH</c>, <c>run N</c> (→ <c>ms=a,b,… allocated=BYTES</c>),
/// <c>layers N PATH</c> (JSON), <c>peak</c> (→ <c>kb=VmHWM</c>), <c>quit</c>.
/// </summary>
internal static class WorkerServer
{
    public static int Run(IComparedWorker worker, TextReader input, TextWriter output)
    {
        using (worker)
        {
            while (input.ReadLine() is { } line)
            {
                var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (words.Length == 0)
                {
                    continue;
                }

                if (words[0] == "quit")
                {
                    break;
                }

                string reply;
                try
                {
                    reply = "ok" + Execute(worker, words);
                }
#pragma warning disable CA1031 // any failure goes back to the orchestrator as one line
                catch (Exception exception)
#pragma warning restore CA1031
                {
                    reply = "error " + (exception.GetType().Name + ": " + exception.Message).ReplaceLineEndings(" ");
                }

                output.WriteLine(reply);
                output.Flush();
            }
        }

        return 0;
    }

    private static string Execute(IComparedWorker worker, string[] words)
    {
        var culture = CultureInfo.InvariantCulture;
        switch (words[0])
        {
            case "setup" when words.Length is 5 or 6:
                var version = worker.Setup(new CompareFiles(words[1]), words[2], int.Parse(words[3], culture), int.Parse(words[4], culture), words.Length == 6 && words[5] == "profile");
                return " version=" + version.Replace(' ', '_');
            case "check" when words.Length == 2:
                worker.Check(words[1]);
                return "";
            case "run" when words.Length == 2:
                var runs = int.Parse(words[1], culture);
                var times = new double[runs];
                var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
                for (var i = 0; i < runs; i++)
                {
                    var start = Stopwatch.GetTimestamp();
                    worker.RunOnce();
                    times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                }

                var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
                return " ms=" + string.Join(',', times.Select(time => time.ToString("R", culture))) + " allocated=" + allocated.ToString(culture);
            case "layers" when words.Length == 3:
                var layers = worker.Layers(int.Parse(words[1], culture));
                Interop.AtomicFile.Write(words[2], stream => JsonSerializer.Serialize(stream, layers));
                return "";
            case "peak" when words.Length == 1:
                return " kb=" + PeakResidentKilobytes().ToString(culture);
            default:
                throw new ArgumentException($"unknown command or wrong argument count: '{string.Join(' ', words)}'");
        }
    }

    /// <summary>VmHWM, the peak resident set of this process, from /proc/self/status.</summary>
    private static long PeakResidentKilobytes()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                return long.Parse(line["VmHWM:".Length..].Replace("kB", "", StringComparison.Ordinal).Trim(), CultureInfo.InvariantCulture);
            }
        }

        throw new InvalidOperationException("/proc/self/status has no VmHWM line");
    }
}
