namespace InceptionGen.Interop;

/// <summary>Writes a file so that readers see either the old file or the whole new one, never a part.</summary>
public static class AtomicFile
{
    /// <summary>The marker between a target's name and the random suffix of its temporary file.</summary>
    public const string TemporaryMarker = ".tmp-";

    /// <summary>
    /// Runs <paramref name="write"/> on <c>path + ".tmp-&lt;random&gt;"</c>, flushes it to disk, then moves it over
    /// <paramref name="path"/>. The temporary file is deleted if anything fails. A symbolic link is followed, so its
    /// target is replaced and the link stays.
    /// </summary>
    /// <exception cref="IOException">The path names something other than a regular file (a directory, a device such as
    /// <c>/dev/null</c>, a pipe), which a rename would replace; or the write failed.</exception>
    public static void Write(string path, Action<FileStream> write)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(write);
        var target = FileIdentity.FinalPath(path);
        RequireRegularOrMissing(path);
        var temporary = target + TemporaryMarker + Convert.ToHexString(Guid.NewGuid().ToByteArray()).ToLowerInvariant();
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, target, overwrite: true);
        }
        catch
        {
            try
            {
                File.Delete(temporary);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }

            throw;
        }
    }

    /// <summary>Refuses a path that exists and is not a regular file: writing there would replace it with one.</summary>
    /// <exception cref="IOException">It is a directory, a device, a pipe or a socket.</exception>
    public static void RequireRegularOrMissing(string path)
    {
        var kind = FileIdentity.Kind(path);
        if (kind is not (FileKind.Missing or FileKind.RegularFile))
        {
            throw new IOException($"'{path}' is {FileIdentity.Describe(kind)}, not a regular file; outputs are written only to regular files");
        }
    }

    /// <summary>Deletes the temporary files that an interrupted <see cref="Write"/> of <paramref name="path"/> left behind.</summary>
    /// <returns>How many were deleted.</returns>
    /// <remarks>Only safe when no other writer of <paramref name="path"/> is running (the caller holds a lock).</remarks>
    public static int DeleteLeftovers(string path)
    {
        var target = FileIdentity.FinalPath(path);
        var folder = Path.GetDirectoryName(target);
        if (folder is null || !Directory.Exists(folder))
        {
            return 0;
        }

        var deleted = 0;
        foreach (var leftover in Directory.EnumerateFiles(folder, Path.GetFileName(target) + TemporaryMarker + "*"))
        {
            File.Delete(leftover);
            deleted++;
        }

        return deleted;
    }
}
