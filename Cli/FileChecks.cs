using System.Globalization;
using InceptionGen.CommandLine;
using InceptionGen.Interop;

namespace InceptionGen.Cli;

/// <summary>The checks a command makes on its files before any work: inputs that can be read, outputs that destroy nothing.</summary>
internal static class FileChecks
{
    /// <summary>
    /// Refuses an input that is missing or not a file; a pipe (<c>&lt;(cat x.npy)</c>) is accepted only when
    /// <paramref name="pipeAllowed"/>, since a pipe can be read once.
    /// </summary>
    public static void RequireInput(string path, string what, bool pipeAllowed = false)
    {
        switch (FileIdentity.Kind(path))
        {
            case FileKind.RegularFile:
            case FileKind.Pipe when pipeAllowed:
                return;
            case FileKind.Missing:
                throw new UsageException($"no {what} file '{path}'");
            case FileKind.Pipe:
                throw new UsageException($"'{path}' is a pipe, which can be read only once, and a {what} file is read twice (the network's name, then the tensors); pass a regular file");
            case var kind:
                throw new UsageException($"'{path}' is {FileIdentity.Describe(kind)}, not a {what} file");
        }
    }

    /// <summary>
    /// Refuses an output path that is not a regular file (writing would replace a directory or a device such as
    /// <c>/dev/null</c> with a file) or that is one of the command's inputs, by path or through a link.
    /// </summary>
    public static void RequireOutput(string path, string option, params (string Path, string Option)[] inputs)
    {
        try
        {
            AtomicFile.RequireRegularOrMissing(path);
        }
        catch (IOException e)
        {
            throw new UsageException($"--{option}: {e.Message}");
        }

        foreach (var (input, inputOption) in inputs)
        {
            if (FileIdentity.SameFile(path, input))
            {
                throw new UsageException($"--{option} '{path}' is the {inputOption} file{(Path.GetFullPath(path) == Path.GetFullPath(input) ? "" : " (through a link)")}; writing it would destroy the input, so choose another path");
            }
        }
    }

    /// <summary>Writes one warning line if <paramref name="values"/> hold NaN or infinities, which would make every result that depends on them NaN.</summary>
    /// <returns>How many values are not finite.</returns>
    public static long WarnIfNotFinite(TextWriter error, string what, ReadOnlySpan<float> values)
    {
        long count = 0;
        var first = -1L;
        for (var i = 0; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i]))
            {
                first = first < 0 ? i : first;
                count++;
            }
        }

        if (count > 0)
        {
            error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"warning: {what}: {count} NaN or infinite value{(count == 1 ? "" : "s")} of {values.Length} (the first at index {first}); results that depend on them will be NaN"));
        }

        return count;
    }
}
