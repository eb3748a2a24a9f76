using TeeLauncher.Errors;
using TeeLauncher.Files;

namespace TeeLauncher.State;

/// <summary>
/// The per-boot state directory (tmpfs): lock, rendered compose file, status and boot records, pull credentials.
/// It is the launcher's own (docs/spec.md §10): created 0700 when missing, refused when another user owns it or group or
/// others can write it, and every file in it is created new and renamed into place, so nothing planted in it is followed.
/// </summary>
public sealed class StateDirectory(string path)
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode WritableByOthers = UnixFileMode.GroupWrite | UnixFileMode.OtherWrite;

    public string Path { get; } = path;

    public string RenderedComposeFile => System.IO.Path.Combine(Path, "compose.yml");

    public string StatusFile => System.IO.Path.Combine(Path, "status.json");

    private string LockFile => System.IO.Path.Combine(Path, "launcher.lock");

    /// <summary>Why the directory cannot be the state directory, or null when it is fit (or missing: then it will be created).</summary>
    public static string? Problem(string path)
    {
        if (path.Length == 0)
            return "launcher.state_dir is empty; set it to a directory of its own, such as /run/tee-launcher";
        FileStatus? status;
        try
        {
            status = UnixFile.Status(path);
        }
        catch (IOException e)
        {
            return $"state directory {path} cannot be examined: {e.Message}";
        }
        if (status is not { } s)
            return null;
        if (s.Type != UnixFileType.Directory)
            return $"state directory {path} is {InputFile.Describe(s.Type)}, not a directory; remove it or set launcher.state_dir";
        if (s.Owner != UnixFile.EffectiveUser)
            return $"state directory {path} belongs to uid {s.Owner}, not to the launcher's user (uid {UnixFile.EffectiveUser}); " +
                   $"run 'chown {UnixFile.EffectiveUser} {path}' or remove it so the launcher creates it";
        if ((s.Mode & WritableByOthers) != 0)
            return $"state directory {path} can be written by group or others (mode {UnixFile.Octal(s.Mode)}), so another user could plant files in it; " +
                   $"run 'chmod 700 {path}' or remove it so the launcher creates it";
        return null;
    }

    /// <summary>Creates the directory (0700) when missing, refuses one that is not the launcher's own, and proves it can be written.</summary>
    public void Prepare()
    {
        if (Problem(Path) is { } problem)
            throw new StateDirectoryException(problem);
        try
        {
            if (UnixFile.Status(Path) is null)
                Directory.CreateDirectory(Path, OwnerOnly);
            OutputFile.ProveWritable(Path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Unwritable(Path, e);
        }
        if (Problem(Path) is { } created)
            throw new StateDirectoryException(created);
    }

    /// <summary>Holds the exclusive lock of this boot's state until disposed; a second concurrent run is refused.</summary>
    public IDisposable Lock()
    {
        Prepare();
        if (UnixFile.Status(LockFile, followLinks: false) is { Type: not UnixFileType.Regular } planted)
            throw new StateDirectoryException(
                $"{LockFile} is {InputFile.Describe(planted.Type)}, not a lock file the launcher made; remove it");
        FileLock? held;
        try
        {
            held = FileLock.TryTake(LockFile);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Unwritable(Path, e);
        }
        return held ?? throw new StateLockedException($"another tee-launcher run holds {LockFile}; only one run at a time may use {Path}");
    }

    /// <summary>Replaces <paramref name="file"/> in the state directory with <paramref name="content"/> (mode 0600, see <see cref="OutputFile.Replace"/>).</summary>
    public static void WriteAtomically(string file, ReadOnlySpan<byte> content)
    {
        try
        {
            OutputFile.Replace(file, content);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Unwritable(System.IO.Path.GetDirectoryName(file) ?? file, e);
        }
    }

    /// <summary>Creates a directory (0700) that did not exist, under a random name starting with <paramref name="prefix"/>.</summary>
    public static string CreatePrivateDirectory(string stateDir, string prefix)
    {
        try
        {
            return OutputFile.CreatePrivateDirectory(stateDir, prefix);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Unwritable(stateDir, e);
        }
    }

    private static StateDirectoryException Unwritable(string directory, Exception e) =>
        new($"state directory {directory} cannot be written ({(e is UnauthorizedAccessException ? "permission denied" : e.Message)}); " +
            "it must be a writable directory of the launcher's own (a tmpfs such as /run/tee-launcher)");
}
