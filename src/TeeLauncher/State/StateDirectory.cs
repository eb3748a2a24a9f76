using TeeLauncher.Errors;

namespace TeeLauncher.State;

/// <summary>The per-boot state directory (tmpfs): lock, rendered compose file, status record.</summary>
public sealed class StateDirectory(string path)
{
    public string Path { get; } = path;

    public string RenderedComposeFile => System.IO.Path.Combine(Path, "compose.yml");

    public string StatusFile => System.IO.Path.Combine(Path, "status.json");

    private string LockFile => System.IO.Path.Combine(Path, "launcher.lock");

    public void EnsureExists()
    {
        Directory.CreateDirectory(Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    /// <summary>Holds the exclusive lock of this boot's state until disposed; a second concurrent run is refused.</summary>
    public IDisposable Lock()
    {
        EnsureExists();
        try
        {
            return new FileStream(LockFile, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            throw new UsageException($"another tee-launcher run holds {LockFile}; only one run at a time may use {Path}");
        }
    }

    /// <summary>Writes <paramref name="content"/> atomically (temporary file, then rename) with mode 0600.</summary>
    public static void WriteAtomically(string file, ReadOnlySpan<byte> content)
    {
        var temporary = file + ".tmp";
        using (var stream = new FileStream(temporary, new FileStreamOptions
               {
                   Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
               }))
        {
            stream.Write(content);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temporary, file, overwrite: true);
    }
}
