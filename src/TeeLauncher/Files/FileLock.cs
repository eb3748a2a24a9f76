using Microsoft.Win32.SafeHandles;

namespace TeeLauncher.Files;

/// <summary>
/// An exclusive flock(2) on a lock file, held until disposed: the one way the launcher locks (its state directory, and
/// dstack's runtime event lock, which dstack's services take the same way). The lock file is opened with open(2) itself
/// (created 0600 when missing, without blocking), and anything but a regular file is refused unopened.
/// </summary>
public sealed class FileLock : IDisposable
{
    private readonly SafeFileHandle _handle;

    private FileLock(SafeFileHandle handle) => _handle = handle;

    /// <summary>The lock, or null while another process holds it. Throws <see cref="IOException"/> when the file cannot be opened or locked.</summary>
    public static FileLock? TryTake(string path)
    {
        var handle = Open(path);
        try
        {
            if (UnixFile.TryLockExclusive(handle))
                return new FileLock(handle);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
        handle.Dispose();
        return null;
    }

    /// <summary>The lock, waited for in steps of <paramref name="poll"/> until it is free or <paramref name="cancellationToken"/> ends the wait.</summary>
    public static async Task<FileLock> TakeAsync(string path, TimeSpan poll, CancellationToken cancellationToken)
    {
        var handle = Open(path);
        try
        {
            while (!UnixFile.TryLockExclusive(handle))
                await Task.Delay(poll, cancellationToken);
            return new FileLock(handle);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    public void Dispose() => _handle.Dispose();

    private static SafeFileHandle Open(string path)
    {
        if (UnixFile.Status(path) is { Type: not UnixFileType.Regular } planted)
            throw new NotRegularFileException(path, planted.Type);
        var (handle, opened) = UnixFile.OpenForWriting(path, append: false);
        if (opened.Type == UnixFileType.Regular)
            return handle;
        handle.Dispose();
        throw new NotRegularFileException(path, opened.Type);
    }
}

/// <summary>Something other than a regular file is where the launcher expects one of its own files.</summary>
public sealed class NotRegularFileException(string path, UnixFileType type)
    : IOException($"{path} is {InputFile.Describe(type)}, not a regular file")
{
    public UnixFileType Type { get; } = type;
}
