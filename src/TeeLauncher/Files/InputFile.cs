namespace TeeLauncher.Files;

/// <summary>Why an input file cannot be read; <see cref="Reason"/> completes a sentence that names the file's role.</summary>
public sealed class InputFileException(string path, bool missing, string reason) : Exception($"{path} {reason}")
{
    public string Path { get; } = path;

    /// <summary>True only when nothing is at the path: a directory, FIFO or device is there, it just is not a file.</summary>
    public bool Missing { get; } = missing;

    public string Reason { get; } = reason;
}

/// <summary>
/// The one way the launcher reads an input file (docs/spec.md §10): the path must name a regular file (a directory, FIFO,
/// device or socket is refused without blocking on it), and the size limit counts the bytes actually read.
/// </summary>
public static class InputFile
{
    /// <summary>The file's bytes; throws <see cref="InputFileException"/> when the path is empty, missing, not a regular file, unreadable or too large.</summary>
    public static byte[] Read(string path, int maxBytes) => ReadWithMode(path, maxBytes).Bytes;

    /// <summary>The file's bytes; a file that cannot be read is bad input of the config class (exit 3) naming <paramref name="what"/>.</summary>
    public static byte[] ReadInput(string path, string what, int maxBytes)
    {
        try
        {
            return Read(path, maxBytes);
        }
        catch (InputFileException e)
        {
            throw new Errors.ConfigException(Errors.InputProblem.InFile(path, $"{what} {e.Reason}"));
        }
    }

    /// <summary>The file's bytes and permission bits, both from the file that was read.</summary>
    public static (byte[] Bytes, UnixFileMode Mode) ReadWithMode(string path, int maxBytes)
    {
        var (handle, status) = Open(path);
        using (handle)
        {
            var buffer = new byte[(int)Math.Clamp(status.Size + 1, 1, (long)maxBytes + 1)];
            var total = 0;
            try
            {
                int read;
                while ((read = RandomAccess.Read(handle, buffer.AsSpan(total), total)) > 0)
                {
                    total += read;
                    if (total > maxBytes)
                        throw new InputFileException(path, false, $"is larger than {Size(maxBytes)}");
                    if (total == buffer.Length)
                        Array.Resize(ref buffer, (int)Math.Min(2L * buffer.Length, (long)maxBytes + 1));
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new InputFileException(path, false, $"cannot be read: {e.Message}");
            }
            return (buffer[..total], status.Mode);
        }
    }

    /// <summary>Whether anything is at <paramref name="path"/>: a directory or FIFO counts, so it is never mistaken for a missing file.</summary>
    public static bool Exists(string path)
    {
        if (path.Length == 0)
            return false;
        try
        {
            return UnixFile.Status(path) is not null;
        }
        catch (IOException)
        {
            return true;
        }
    }

    private static (Microsoft.Win32.SafeHandles.SafeFileHandle, FileStatus) Open(string path)
    {
        if (path.Length == 0)
            throw new InputFileException(path, false, "is an empty path; name a file");
        try
        {
            var named = UnixFile.Status(path) ?? throw new InputFileException(path, true, "does not exist");
            RequireRegular(path, named);
            var (handle, opened) = UnixFile.OpenForReading(path);
            if (opened.Type != UnixFileType.Regular)
            {
                handle.Dispose();
                RequireRegular(path, opened);
            }
            return (handle, opened);
        }
        catch (IOException e)
        {
            throw new InputFileException(path, false, $"cannot be read: {e.Message}");
        }
    }

    private static void RequireRegular(string path, FileStatus status)
    {
        if (status.Type != UnixFileType.Regular)
            throw new InputFileException(path, false, $"is {Describe(status.Type)}, not a regular file; point it at a regular file");
    }

    public static string Describe(UnixFileType type) => type switch
    {
        UnixFileType.Directory => "a directory",
        UnixFileType.SymbolicLink => "a symbolic link",
        UnixFileType.Fifo => "a FIFO (named pipe)",
        UnixFileType.CharacterDevice => "a character device",
        UnixFileType.BlockDevice => "a block device",
        UnixFileType.Socket => "a socket",
        UnixFileType.Regular => "a regular file",
        _ => "a special file",
    };

    private static string Size(int bytes) => bytes >= 1 << 20 && bytes % (1 << 20) == 0 ? $"{bytes >> 20} MiB" : $"{bytes / 1024} KiB";
}
