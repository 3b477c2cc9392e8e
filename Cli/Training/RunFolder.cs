using InceptionGen.CommandLine;
using InceptionGen.Interop;
using Spectre.Console;

namespace InceptionGen.Cli;

/// <summary>
/// A training run's output folder, held under an exclusive lock for as long as the run lasts, so two runs never
/// write into one folder. Opening it also refuses to start a new run over another one, and deletes the temporary
/// files an interrupted run left.
/// </summary>
internal sealed class RunFolder : IDisposable
{
    /// <summary>The file whose exclusive lock (<c>flock</c> on Unix) marks the folder as in use; it stays after the run.</summary>
    public const string LockFile = ".lock";

    /// <summary>The files of a run: any of them means the folder holds one.</summary>
    public static readonly string[] RunFiles = [FashionTrainer.CheckpointFile, FashionTrainer.RunFile, FashionTrainer.MetricsFile, FashionTrainer.ModelFile];

    private readonly FileStream _lock;

    private RunFolder(FileStream lockStream) => _lock = lockStream;

    /// <summary>Checks, creates (not for <paramref name="resume"/>), locks and tidies <paramref name="path"/>.</summary>
    /// <exception cref="UsageException">The path is not a folder, is missing for a resume, is in use, cannot be written,
    /// or holds another run and neither <paramref name="resume"/> nor <paramref name="force"/> was given.</exception>
    public static RunFolder Open(string path, bool resume, bool force, IAnsiConsole console)
    {
        Check(path, resume);

        var lockPath = Path.Combine(path, LockFile);
        FileStream lockStream;
        try
        {
            Directory.CreateDirectory(path);
            lockStream = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e) when (File.Exists(lockPath) && e.GetType() == typeof(IOException))
        {
            throw new UsageException($"'{path}' is in use by another training run (it holds the lock on '{lockPath}'); wait for it to end, or choose another --output");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot write in the output folder '{path}': {e.Message}");
        }

        var folder = new RunFolder(lockStream);
        try
        {
            var existing = RunFiles.Where(name => File.Exists(Path.Combine(path, name))).ToList();
            if (!resume && !force && existing.Count > 0)
            {
                throw new UsageException($"'{path}' holds another run ({string.Join(", ", existing)}); pass --resume to continue it, --force to start over in it, or choose another --output");
            }

            // --force starts over: the old run's final weights and plot must not pass for the new run's. Its checkpoint
            // stays until the new run writes its own, and carries its own options and metrics meanwhile.
            if (force)
            {
                File.Delete(Path.Combine(path, FashionTrainer.ModelFile));
                File.Delete(Path.Combine(path, TrainingPlot.FileName));
            }

            // Under the lock no other run is writing here, so any temporary file is a leftover of a killed one.
            var removed = RunFiles.Append(TrainingPlot.FileName).Sum(name => AtomicFile.DeleteLeftovers(Path.Combine(path, name)));
            if (removed > 0)
            {
                console.WriteLine($"removed {removed} temporary file{(removed == 1 ? "" : "s")} left in '{path}' by an interrupted run");
            }

            return folder;
        }
        catch
        {
            folder.Dispose();
            throw;
        }
    }

    /// <summary>The checks that need no lock (the command makes them before loading the data, to fail at once).</summary>
    /// <exception cref="UsageException">The path is not a folder, or is missing for a resume (which creates nothing).</exception>
    public static void Check(string path, bool resume)
    {
        var kind = FileIdentity.Kind(path);
        if (kind is not (FileKind.Missing or FileKind.Directory))
        {
            throw new UsageException($"--output '{path}' is {FileIdentity.Describe(kind)}, not a folder");
        }

        if (resume && kind == FileKind.Missing)
        {
            throw new UsageException($"--resume: there is no folder '{path}' to resume from");
        }
    }

    public void Dispose() => _lock.Dispose();
}
