using System.Diagnostics;
using Xunit;

namespace InceptionGen.Tests.Interop;

/// <summary>
/// Debian's /usr/bin/python3 (not the pyenv python3 on PATH, which lacks torch), for the tests that check our files
/// and numbers against numpy and PyTorch. A test that needs it skips, saying why, when it or a module is missing.
/// </summary>
internal static class Python
{
    public const string Executable = "/usr/bin/python3";

    private static readonly Dictionary<string, string?> s_missing = new(StringComparer.Ordinal);

    /// <summary>Skips the test unless /usr/bin/python3 runs and imports every module in <paramref name="modules"/>.</summary>
    public static void RequireModules(params string[] modules)
    {
        var key = string.Join(",", modules);
        string? reason;
        lock (s_missing)
        {
            if (!s_missing.TryGetValue(key, out reason))
            {
                reason = !File.Exists(Executable) ? $"{Executable} is not installed"
                    : Run(["-c", string.Join("; ", modules.Select(module => "import " + module))], TimeSpan.FromMinutes(1)) is { ExitCode: not 0 } result
                        ? $"{Executable} cannot import {string.Join(", ", modules)} ({LastLine(result.Error)}); .ci/install-python-reference installs them"
                        : null;
                s_missing[key] = reason;
            }
        }

        if (reason is not null)
        {
            Assert.Skip(reason);
        }
    }

    /// <summary>Runs /usr/bin/python3 with <paramref name="arguments"/>; fails the test on a non-zero exit, with its stderr.</summary>
    public static string RunChecked(IReadOnlyList<string> arguments, TimeSpan timeout)
    {
        var result = Run(arguments, timeout);
        Assert.True(result.ExitCode == 0, $"python3 {string.Join(' ', arguments)} exited with {result.ExitCode}:\n{result.Error}");
        return result.Output;
    }

    public static (int ExitCode, string Output, string Error) Run(IReadOnlyList<string> arguments, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(Executable) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // Our own thread count, and no user site-packages that could shadow Debian's modules.
        start.Environment["PYTHONNOUSERSITE"] = "1";
        start.Environment["OMP_NUM_THREADS"] = "2";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            return (-1, output.Result, $"timed out after {timeout.TotalSeconds:F0} s\n{error.Result}");
        }

        return (process.ExitCode, output.Result, error.Result);
    }

    private static string LastLine(string text)
        => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? "no message";
}
