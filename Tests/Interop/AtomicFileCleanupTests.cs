using InceptionGen.Interop;
using Xunit;

namespace InceptionGen.Tests.Interop;

/// <summary>
/// <see cref="AtomicFile.Write"/> after a failure: the exception reaches the caller, the file it was to replace is
/// untouched, and no temporary file is left beside it.
/// </summary>
public sealed class AtomicFileCleanupTests
{
    [Fact]
    public void A_writer_that_throws_leaves_the_old_file_and_no_temporary_file()
    {
        using var directory = new TempDirectory();
        var path = directory.File("weights.bin");
        File.WriteAllBytes(path, [1, 2, 3]);

        var error = Assert.Throws<InvalidDataException>(() => AtomicFile.Write(path, stream =>
        {
            stream.Write(new byte[4096]);
            throw new InvalidDataException("half written");
        }));

        Assert.Equal("half written", error.Message);
        Assert.Equal([1, 2, 3], File.ReadAllBytes(path));
        Assert.Equal([path], Directory.GetFiles(directory.Path));
    }

    [Fact]
    public void A_writer_that_throws_where_no_file_was_leaves_nothing()
    {
        using var directory = new TempDirectory();
        var path = directory.File("model.onnx");

        Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, _ => throw new InvalidOperationException("refused")));

        Assert.Empty(Directory.GetFileSystemEntries(directory.Path));
    }

    /// <summary>The final move fails (a folder has the file's name): the temporary file, fully written by then, is still removed.</summary>
    [Fact]
    public void A_failed_move_removes_the_written_temporary_file()
    {
        using var directory = new TempDirectory();
        var path = directory.File("taken");
        Directory.CreateDirectory(path);
        File.WriteAllText(Path.Combine(path, "inside.txt"), "kept");

        Assert.ThrowsAny<Exception>(() => AtomicFile.Write(path, stream => stream.Write(new byte[100])));

        Assert.Equal([path], Directory.GetFileSystemEntries(directory.Path));
        Assert.Equal("kept", File.ReadAllText(Path.Combine(path, "inside.txt")));
    }

    [Fact]
    public void A_successful_write_replaces_the_file_and_leaves_nothing_else()
    {
        using var directory = new TempDirectory();
        var path = directory.File("weights.bin");
        File.WriteAllBytes(path, [1, 2, 3]);

        AtomicFile.Write(path, stream => stream.Write([4, 5]));

        Assert.Equal([4, 5], File.ReadAllBytes(path));
        Assert.Equal([path], Directory.GetFiles(directory.Path));
    }
}
