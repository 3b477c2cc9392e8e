namespace InceptionGen.Interop;

/// <summary>Writes a file so that readers see either the old file or the whole new one, never a part.</summary>
public static class AtomicFile
{
    /// <summary>
    /// Runs <paramref name="write"/> on <c>path + ".tmp-&lt;random&gt;"</c>, flushes it to disk, then moves it over
    /// <paramref name="path"/>. The temporary file is deleted if anything fails.
    /// </summary>
    public static void Write(string path, Action<FileStream> write)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var temporary = path + ".tmp-" + Convert.ToHexString(Guid.NewGuid().ToByteArray()).ToLowerInvariant();
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            try
            {
                File.Delete(temporary);
            }
            catch (IOException)
            {
            }

            throw;
        }
    }
}
