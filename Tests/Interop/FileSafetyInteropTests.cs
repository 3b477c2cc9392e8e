using System.Diagnostics;
using System.Text;
using InceptionGen.Interop;
using InceptionGen.Tests.Network;
using InceptionGen.Training;
using Xunit;

namespace InceptionGen.Tests.Interop;

/// <summary>Issue 17, "CLI and files": the file layer under the commands (atomic writes, file identity, strict readers, checkpoint notes).</summary>
public sealed class FileSafetyInteropTests
{
    [Fact]
    public void Item2_atomic_writes_refuse_devices_and_directories_follow_links_and_clean_up_after_a_failure()
    {
        using var directory = new TempDirectory();
        Assert.Contains("'/dev/null' is a device, not a regular file", Assert.Throws<IOException>(() => AtomicFile.Write("/dev/null", stream => stream.WriteByte(1))).Message);
        Assert.Equal(FileKind.Device, FileIdentity.Kind("/dev/null"));
        Assert.Contains("is a directory", Assert.Throws<IOException>(() => AtomicFile.Write(directory.Path, stream => stream.WriteByte(1))).Message);

        var target = directory.File("target.bin");
        File.WriteAllBytes(target, [9]);
        var link = directory.File("link.bin");
        File.CreateSymbolicLink(link, target);
        AtomicFile.Write(link, stream => stream.Write([1, 2, 3]));
        Assert.Equal(new byte[] { 1, 2, 3 }, File.ReadAllBytes(target));
        Assert.Equal(target, new FileInfo(link).LinkTarget);

        // A write that fails part-way leaves the old file and no temporary file.
        Assert.Throws<IOException>(() => AtomicFile.Write(target, stream =>
        {
            stream.Write([7, 7]);
            throw new IOException("No space left on device");
        }));
        Assert.Equal(new byte[] { 1, 2, 3 }, File.ReadAllBytes(target));
        Assert.Equal(new[] { "link.bin", "target.bin" }, Directory.GetFiles(directory.Path).Select(Path.GetFileName).Order());

        File.WriteAllBytes(target + AtomicFile.TemporaryMarker + "abc", [0]);
        File.WriteAllBytes(target + ".tmp", [0]);
        Assert.Equal(1, AtomicFile.DeleteLeftovers(link));
        Assert.True(File.Exists(target + ".tmp"));
    }

    [Fact]
    public void Item1_file_identity_sees_through_hard_and_symbolic_links()
    {
        using var directory = new TempDirectory();
        var file = directory.File("a.npy");
        File.WriteAllBytes(file, [1]);
        var hard = directory.File("hard.npy");
        using (var ln = Process.Start(new ProcessStartInfo("ln", [file, hard]) { UseShellExecute = false })!)
        {
            ln.WaitForExit();
        }

        var symbolic = directory.File("soft.npy");
        File.CreateSymbolicLink(symbolic, "a.npy");
        var copy = directory.File("copy.npy");
        File.Copy(file, copy);

        Assert.True(FileIdentity.SameFile(file, Path.Combine(directory.Path, ".", "a.npy")));
        Assert.True(FileIdentity.SameFile(file, hard));
        Assert.True(FileIdentity.SameFile(symbolic, file));
        Assert.False(FileIdentity.SameFile(file, copy));
        Assert.False(FileIdentity.SameFile(file, directory.File("missing.npy")));
        Assert.Equal(FileKind.RegularFile, FileIdentity.Kind(symbolic));
        Assert.Equal(FileKind.Missing, FileIdentity.Kind(directory.File("missing.npy")));
    }

    [Fact]
    public void Item10_invalid_utf8_in_a_safetensors_header_is_a_clear_refusal()
    {
        using var directory = new TempDirectory();
        var path = directory.File("bad.safetensors");
        var bytes = InteropFiles.Raw("{\"__metadata__\":{\"network\":\"Xoogle\"}}", []);
        bytes[8 + "{\"__metadata__\":{\"network\":\"".Length] = 0xFF;
        File.WriteAllBytes(path, bytes);

        var refusal = Assert.Throws<SafeTensorsException>(() => SafeTensors.ReadMetadata(path));
        Assert.Equal($"'{path}' is not a valid .safetensors file: its header is not valid UTF-8.", refusal.Message);
    }

    [Fact]
    public void Item17_an_npy_shape_whose_byte_count_overflows_is_refused()
    {
        using var directory = new TempDirectory();
        var path = directory.File("huge.npy");

        // 2^30 * 2^30 * 4 float32 values = 2^64 bytes, which wrapped around to "needs 0 data bytes" before the count was checked.
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (1073741824, 1073741824, 4), }";
        header += "\n";
        File.WriteAllBytes(path, [0x93, .. "NUMPY"u8, 1, 0, (byte)header.Length, (byte)(header.Length >> 8), .. Encoding.ASCII.GetBytes(header)]);

        var refusal = Assert.Throws<InvalidDataException>(() => Npy.Read(path));
        Assert.Contains("its shape (1073741824, 1073741824, 4) is too large to exist", refusal.Message);
    }

    [Fact]
    public void Items3_and_5_checkpoint_notes_round_trip_and_are_covered_by_the_checksum()
    {
        using var directory = new TempDirectory();
        var path = directory.File("checkpoint.safetensors");
        var network = new SmallInceptionNet(maxBatch: 1, seed: 2);
        var optimizer = new SgdMomentum(0.05f, momentum: 0.9f);
        var notes = new Dictionary<string, string> { ["options"] = "batch=32\nseed=1\n", ["metrics"] = "epoch\n1\n" };
        Checkpoint.Save(path, network.Parameters, optimizer, new CheckpointState(3, 1, 5, 3) { Notes = notes });

        Assert.Equal(notes, Checkpoint.ReadNotes(path));
        var state = Checkpoint.Load(path, new SmallInceptionNet(maxBatch: 1, seed: 3).Parameters, new SgdMomentum(0.05f, momentum: 0.9f));
        Assert.Equal(new CheckpointState(3, 1, 5, 3) { Notes = notes }, state);
        Assert.NotEqual(new CheckpointState(3, 1, 5, 3), state);

        // Editing a note (here: the recorded batch size) breaks the checksum, so options cannot be changed behind the trainer's back.
        var bytes = File.ReadAllBytes(path);
        var at = Encoding.Latin1.GetString(bytes).IndexOf("batch=32", StringComparison.Ordinal);
        bytes[at + 6] = (byte)'6';
        bytes[at + 7] = (byte)'4';
        File.WriteAllBytes(path, bytes);
        Assert.Contains("checksum", Assert.Throws<SafeTensorsException>(() => Checkpoint.Load(path, network.Parameters, new SgdMomentum(0.05f, momentum: 0.9f))).Message);
    }
}
