using System.Diagnostics;
using InceptionGen.Interop;
using Xunit;

namespace InceptionGen.Tests.Cli;

/// <summary>Runs the command line in-process, and makes the odd files (pipes, unreadable files, read-only folders) the hardening tests need.</summary>
internal static class CliHarness
{
    public static (int ExitCode, string Output, string Error) RunCli(params string[] args)
    {
        var (output, error) = (new StringWriter(), new StringWriter());
        var code = InceptionGen.Cli.CommandLine.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    /// <summary>Runs <paramref name="args"/> and asserts exit code <paramref name="exitCode"/> and exactly one <c>error:</c> line containing <paramref name="expected"/>.</summary>
    public static void AssertOneErrorLine(string expected, string[] args, int exitCode = 2)
    {
        var (code, output, error) = RunCli(args);
        var lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(code == exitCode, $"{string.Join(' ', args)}: exit code {code}, not {exitCode}; output {output}; error {error}");
        Assert.True(lines.Length == 1 && lines[0].StartsWith("error: ", StringComparison.Ordinal) && lines[0].Contains(expected, StringComparison.Ordinal),
            $"{string.Join(' ', args)}: expected one error line with '{expected}', got:\n{error}");
    }

    /// <summary>A named pipe at <paramref name="path"/> (<c>mkfifo</c>).</summary>
    public static void MakePipe(string path)
    {
        using var process = Process.Start(new ProcessStartInfo("mkfifo", [path]) { UseShellExecute = false })!;
        process.WaitForExit();
        Assert.Equal(FileKind.Pipe, FileIdentity.Kind(path));
    }

    /// <summary>
    /// A path whose opening fails with "access denied": a file with no permissions, or, for root (who reads those
    /// anyway), a link to a write-only sysfs attribute, which nobody can open for reading.
    /// </summary>
    public static void MakeUnreadable(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException();
        }

        File.WriteAllBytes(path, [1, 2, 3]);
        File.SetUnixFileMode(path, UnixFileMode.None);
        if (CanOpen(path))
        {
            File.Delete(path);
            File.CreateSymbolicLink(path, "/sys/bus/cpu/drivers_probe");
        }

        Assert.False(CanOpen(path), $"could not make '{path}' unreadable");
    }

    /// <summary>A folder nothing can be created in: one without write permission, or for root, <c>/proc/self</c>.</summary>
    public static string ReadOnlyFolder(string parent)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException();
        }

        var folder = Path.Combine(parent, "read-only");
        Directory.CreateDirectory(folder);
        File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        try
        {
            File.WriteAllBytes(Path.Combine(folder, "probe"), []);
            File.Delete(Path.Combine(folder, "probe"));
            return "/proc/self"; // root writes anywhere on a normal file system
        }
        catch (UnauthorizedAccessException)
        {
            return folder;
        }
    }

    private static bool CanOpen(string path)
    {
        try
        {
            File.OpenRead(path).Dispose();
            return true;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }
}
