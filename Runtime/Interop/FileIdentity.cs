using System.Runtime.InteropServices;

namespace InceptionGen.Interop;

/// <summary>What a path names, after following symbolic links.</summary>
public enum FileKind
{
    /// <summary>Nothing (or a dangling link).</summary>
    Missing,

    /// <summary>A regular file.</summary>
    RegularFile,

    /// <summary>A directory.</summary>
    Directory,

    /// <summary>A named pipe (also what <c>&lt;(command)</c> gives).</summary>
    Pipe,

    /// <summary>A character or block device, such as <c>/dev/null</c>.</summary>
    Device,

    /// <summary>A socket, or anything else that is not a regular file.</summary>
    Other,
}

/// <summary>
/// Which file a path names: its kind, and whether two paths are one file (the same device and inode, so hard and
/// symbolic links are seen through). On Linux x64 and ARM64 this asks <c>stat(2)</c>; elsewhere it falls back to
/// comparing resolved full paths, which misses hard links.
/// </summary>
public static partial class FileIdentity
{
    private const uint TypeMask = 0xF000, RegularType = 0x8000, DirectoryType = 0x4000, PipeType = 0x1000, CharacterDeviceType = 0x2000, BlockDeviceType = 0x6000;

    /// <summary>The kind of file <paramref name="path"/> names, following links.</summary>
    public static FileKind Kind(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (TryStat(path, out var status))
        {
            return (status.Mode & TypeMask) switch
            {
                RegularType => FileKind.RegularFile,
                DirectoryType => FileKind.Directory,
                PipeType => FileKind.Pipe,
                CharacterDeviceType or BlockDeviceType => FileKind.Device,
                _ => FileKind.Other,
            };
        }

        return !CanStat ? (Directory.Exists(path) ? FileKind.Directory : File.Exists(path) ? FileKind.RegularFile : FileKind.Missing) : FileKind.Missing;
    }

    /// <summary>Whether both paths exist and name the same file (through links, hard links included where <c>stat</c> is available).</summary>
    public static bool SameFile(string first, string second)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        if (CanStat)
        {
            return TryStat(first, out var a) && TryStat(second, out var b) && a.Device == b.Device && a.Inode == b.Inode;
        }

        return (File.Exists(first) || Directory.Exists(first)) && string.Equals(FinalPath(first), FinalPath(second), OperatingSystem.IsLinux() ? StringComparison.Ordinal : StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// The full path <paramref name="path"/> leads to after following every symbolic link (itself when it is not one),
    /// so a write replaces the link's target, not the link.
    /// </summary>
    public static string FinalPath(string path)
    {
        var full = Path.GetFullPath(path);
        try
        {
            return File.ResolveLinkTarget(full, returnFinalTarget: true)?.FullName ?? full;
        }
        catch (IOException)
        {
            return full; // a loop of links: the write fails later with the system's message
        }
    }

    /// <summary>The kind in words, for messages: "a directory", "a device", ….</summary>
    public static string Describe(FileKind kind) => kind switch
    {
        FileKind.Directory => "a directory",
        FileKind.Device => "a device",
        FileKind.Pipe => "a pipe",
        FileKind.Missing => "missing",
        FileKind.RegularFile => "a regular file",
        _ => "a socket or other special file",
    };

    private readonly record struct Status(ulong Device, ulong Inode, uint Mode);

    // struct stat on Linux: st_dev and st_ino are the first two 64-bit fields on x64 and ARM64 alike; st_mode follows
    // st_nlink (8 bytes) on x64 and comes straight after st_ino on ARM64. 256 bytes cover both layouts (144 and 128).
    private static bool CanStat => OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.Arm64;

    private static bool TryStat(string path, out Status status)
    {
        status = default;
        if (!CanStat)
        {
            return false;
        }

        Span<byte> buffer = stackalloc byte[256];
        if (Stat(path, buffer) != 0)
        {
            return false;
        }

        var modeOffset = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 24 : 16;
        status = new Status(
            MemoryMarshal.Read<ulong>(buffer),
            MemoryMarshal.Read<ulong>(buffer[8..]),
            MemoryMarshal.Read<uint>(buffer[modeOffset..]));
        return true;
    }

    [LibraryImport("libc", EntryPoint = "stat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Stat(string path, Span<byte> buffer);
}
