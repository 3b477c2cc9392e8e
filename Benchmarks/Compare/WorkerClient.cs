using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace InceptionGen.Benchmarks.Compare;

/// <summary>The orchestrator's end of one worker process: sends a command line, waits for its one reply line.</summary>
internal sealed class WorkerClient : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _errors = new();

    private WorkerClient(Process process)
    {
        _process = process;
        _process.ErrorDataReceived += (_, line) =>
        {
            if (line.Data is null)
            {
                return;
            }

            lock (_errors)
            {
                // Keep the tail only: enough to explain a failure.
                if (_errors.Length > 4000)
                {
                    _errors.Remove(0, _errors.Length - 2000);
                }

                _errors.AppendLine(line.Data);
            }
        };
        _process.BeginErrorReadLine();
    }

    public static WorkerClient Start(string fileName, IEnumerable<string> arguments, IReadOnlyDictionary<string, string> environment)
    {
        var start = new ProcessStartInfo(fileName, arguments)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        return new WorkerClient(Process.Start(start) ?? throw new InvalidOperationException($"could not start {fileName}"));
    }

    /// <summary>Sends <paramref name="command"/> and returns the reply's key=value pairs.</summary>
    /// <exception cref="WorkerException">The worker replied with an error or exited.</exception>
    public Dictionary<string, string> Send(string command)
    {
        _process.StandardInput.WriteLine(command);
        _process.StandardInput.Flush();
        while (true)
        {
            var line = _process.StandardOutput.ReadLine();
            if (line is null)
            {
                _process.WaitForExit(5000);
                throw new WorkerException($"exited during '{command}'{(_process.HasExited ? $" with code {_process.ExitCode}" : "")}: {LastErrorLine()}");
            }

            if (line.StartsWith("error ", StringComparison.Ordinal))
            {
                throw new WorkerException(line["error ".Length..]);
            }

            if (line == "ok" || line.StartsWith("ok ", StringComparison.Ordinal))
            {
                return line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1)
                    .Select(pair => pair.Split('=', 2))
                    .ToDictionary(pair => pair[0], pair => pair.Length > 1 ? pair[1] : "", StringComparer.Ordinal);
            }

            // Anything else on stdout (a library's chatter) is not a reply.
        }
    }

    /// <summary>Times of <paramref name="runs"/> runs, and the bytes the worker's managed heap grew meanwhile (-1 when it cannot tell).</summary>
    public (double[] Milliseconds, long Allocated) Run(int runs)
    {
        var reply = Send(string.Create(CultureInfo.InvariantCulture, $"run {runs}"));
        var times = reply["ms"].Split(',').Select(text => double.Parse(text, CultureInfo.InvariantCulture)).ToArray();
        var allocated = reply.TryGetValue("allocated", out var bytes) ? long.Parse(bytes, CultureInfo.InvariantCulture) : -1;
        return (times, allocated);
    }

    /// <summary>The least warm-up a worker gets, whatever its run count: .NET's tiered JIT recompiles hot methods fully optimized only after a delay (100 ms, then in the background), and a short warm-up would time some of the first code.</summary>
    public static readonly TimeSpan MinimumWarmUp = TimeSpan.FromSeconds(2);

    /// <summary>Runs in batches of <paramref name="runs"/> until at least <paramref name="runs"/> runs and <see cref="MinimumWarmUp"/> have passed.</summary>
    public void WarmUp(int runs)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        do
        {
            Run(runs);
        }
        while (clock.Elapsed < MinimumWarmUp);
    }

    public string LastErrorLine()
    {
        lock (_errors)
        {
            var lines = _errors.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            return lines.Length == 0 ? "(nothing on stderr)" : lines[^1];
        }
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.StandardInput.WriteLine("quit");
                _process.StandardInput.Flush();
                if (!_process.WaitForExit(10_000))
                {
                    _process.Kill(entireProcessTree: true);
                }
            }
        }
        catch (IOException)
        {
            // The worker is gone already.
        }

        _process.Dispose();
    }
}

/// <summary>A worker failed a command; the message is its one-line reason.</summary>
internal sealed class WorkerException(string message) : Exception(message);
