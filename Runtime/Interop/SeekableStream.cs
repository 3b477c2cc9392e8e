namespace InceptionGen.Interop;

/// <summary>A readable stream whose length is known, so a pipe (<c>--input &lt;(cat x.npy)</c>) reads like a file.</summary>
internal static class SeekableStream
{
    /// <summary><paramref name="stream"/> itself if it can seek, else a memory copy of the rest of it (nothing to dispose).</summary>
    public static Stream Of(Stream stream)
    {
        if (stream.CanSeek)
        {
            return stream;
        }

        var copy = new MemoryStream();
        stream.CopyTo(copy);
        copy.Position = 0;
        return copy;
    }
}
