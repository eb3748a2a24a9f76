using System.Runtime.InteropServices;

namespace TeeLauncher.Files;

/// <summary>What a path names, from statx: .NET exposes neither a file's type (FIFO, device, socket) nor its owner.</summary>
public readonly record struct FileStatus(UnixFileType Type, uint Owner, UnixFileMode Mode, long Size);

public enum UnixFileType
{
    Regular,
    Directory,
    SymbolicLink,
    Fifo,
    CharacterDevice,
    BlockDevice,
    Socket,
    Unknown,
}

/// <summary>The few libc calls the launcher's file rules need (statx's layout is the same on every Linux architecture).</summary>
internal static partial class UnixFile
{
    /// <summary>glibc's soname: "libc" alone is found only after failed probes for libc.so (a linker script) and liblibc.so.</summary>
    private const string LibC = "libc.so.6";

    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const int AtEmptyPath = 0x1000;
    private const uint StatxBasicStats = 0x7ff;
    private const int OpenReadOnlyNonBlocking = 0x800 | 0x80000;
    private const int OpenWriteOnlyCreateNonBlocking = 0x1 | 0x40 | 0x800 | 0x80000;
    private const int OpenAppend = 0x400;
    private const int Eintr = 4;
    private const int LockExclusiveNonBlocking = 2 | 4;
    private const int WouldBlock = 11;

    /// <summary>The status of <paramref name="path"/> (of the link itself when <paramref name="followLinks"/> is false), or null when nothing is there.</summary>
    public static FileStatus? Status(string path, bool followLinks = true)
    {
        RequireNoNul(path);
        if (statx(AtFdCwd, path, followLinks ? 0 : AtSymlinkNoFollow, StatxBasicStats, out var buffer) == 0)
            return buffer.ToStatus();
        var errno = Marshal.GetLastPInvokeError();
        return errno is Enoent or Enotdir ? null : throw Failure(errno);
    }

    /// <summary>
    /// Opens <paramref name="path"/> for reading without blocking (a FIFO with no writer opens at once) and returns the
    /// handle with the status of what was opened, so the type checked is the type read.
    /// </summary>
    public static (Microsoft.Win32.SafeHandles.SafeFileHandle Handle, FileStatus Status) OpenForReading(string path)
    {
        RequireNoNul(path);
        return Opened(open(path, OpenReadOnlyNonBlocking));
    }

    /// <summary>
    /// Opens <paramref name="path"/> for writing (created 0600 when missing, appended to when <paramref name="append"/>)
    /// with open(2) itself, without blocking: a FIFO with no reader fails at once (ENXIO) instead of waiting for one, and
    /// .NET's own open would take a shared flock. Returns the status of what was opened, so the type checked is the
    /// type written. The error is errno's message.
    /// </summary>
    public static (Microsoft.Win32.SafeHandles.SafeFileHandle Handle, FileStatus Status) OpenForWriting(string path, bool append)
    {
        RequireNoNul(path);
        return Opened(open(path, OpenWriteOnlyCreateNonBlocking | (append ? OpenAppend : 0), 0b110_000_000));
    }

    /// <summary>The handle of what open(2) returned, with its status, or errno's failure.</summary>
    private static (Microsoft.Win32.SafeHandles.SafeFileHandle Handle, FileStatus Status) Opened(int fd)
    {
        if (fd < 0)
            throw Failure(Marshal.GetLastPInvokeError());
        var handle = new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: true);
        if (statx(fd, "", AtEmptyPath, StatxBasicStats, out var buffer) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            handle.Dispose();
            throw Failure(errno);
        }
        return (handle, buffer.ToStatus());
    }

    /// <summary>Writes all of <paramref name="bytes"/> at the end of a file opened with <see cref="OpenForWriting"/> and <c>append</c>.</summary>
    public static void Append(Microsoft.Win32.SafeHandles.SafeFileHandle handle, ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            var written = write(handle.DangerousGetHandle(), in MemoryMarshal.GetReference(bytes), (nuint)bytes.Length);
            if (written < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno != Eintr)
                    throw Failure(errno);
                continue;
            }
            bytes = bytes[(int)written..];
        }
        if (fsync(handle.DangerousGetHandle()) != 0)
            throw Failure(Marshal.GetLastPInvokeError());
    }

    /// <summary>An exclusive flock without waiting: false while another process holds it.</summary>
    public static bool TryLockExclusive(Microsoft.Win32.SafeHandles.SafeFileHandle handle)
    {
        if (flock(handle.DangerousGetHandle(), LockExclusiveNonBlocking) == 0)
            return true;
        var errno = Marshal.GetLastPInvokeError();
        return errno == WouldBlock ? false : throw Failure(errno);
    }

    /// <summary>C would read such a path only up to the NUL: another file than the one named.</summary>
    private static void RequireNoNul(string path)
    {
        if (path.Contains('\0'))
            throw new IOException("the path contains a NUL character");
    }

    public static uint EffectiveUser => geteuid();

    public static string Octal(UnixFileMode mode) => Convert.ToString((int)mode & 0x1FF, 8).PadLeft(4, '0');

    private const int Enoent = 2;
    private const int Enotdir = 20;
    private const int Enxio = 6;

    private static IOException Failure(int errno) =>
        new(errno == Enxio ? "nothing serves it (a socket, or a device without a driver)" : Marshal.GetPInvokeErrorMessage(errno));

    [StructLayout(LayoutKind.Explicit, Size = 256)]
    private struct StatxBuffer
    {
        [FieldOffset(20)] public uint Uid;
        [FieldOffset(28)] public ushort Mode;
        [FieldOffset(40)] public ulong Size;

        public readonly FileStatus ToStatus() => new(
            (Mode & 0xF000) switch
            {
                0x8000 => UnixFileType.Regular,
                0x4000 => UnixFileType.Directory,
                0xA000 => UnixFileType.SymbolicLink,
                0x1000 => UnixFileType.Fifo,
                0x2000 => UnixFileType.CharacterDevice,
                0x6000 => UnixFileType.BlockDevice,
                0xC000 => UnixFileType.Socket,
                _ => UnixFileType.Unknown,
            },
            Uid, (UnixFileMode)(Mode & 0xFFF), (long)Math.Min(Size, long.MaxValue));
    }

    [LibraryImport(LibC, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int statx(int dirfd, string path, int flags, uint mask, out StatxBuffer buffer);

    [LibraryImport(LibC, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open(string path, int flags);

    [LibraryImport(LibC, EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open(string path, int flags, int mode);

    [LibraryImport(LibC, SetLastError = true)]
    private static partial int flock(nint fd, int operation);

    [LibraryImport(LibC, SetLastError = true)]
    private static partial nint write(nint fd, in byte buffer, nuint count);

    [LibraryImport(LibC, SetLastError = true)]
    private static partial int fsync(nint fd);

    [LibraryImport(LibC)]
    private static partial uint geteuid();
}
