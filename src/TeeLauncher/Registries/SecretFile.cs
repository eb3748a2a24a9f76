namespace TeeLauncher.Registries;

/// <summary>Reads a password or key file; on platform "tee" one that group or others can read is refused (SPEC 3).</summary>
public static class SecretFile
{
    private const int MaxBytes = 64 * 1024;
    private const UnixFileMode ReadableByOthers = UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    /// <summary>The file's text without its trailing line break; throws <see cref="CredentialException"/> naming <paramref name="what"/> and the path.</summary>
    public static string Read(string path, string what, bool refuseReadableByOthers)
    {
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists)
                throw new CredentialException($"{what} {path} does not exist");
            if (refuseReadableByOthers && (info.UnixFileMode & ReadableByOthers) != 0)
                throw new CredentialException(
                    $"{what} {path} is readable by group or others (mode {Octal(info.UnixFileMode)}); run 'chmod 600 {path}'");
            if (info.Length > MaxBytes)
                throw new CredentialException($"{what} {path} is larger than {MaxBytes / 1024} KiB");
            return File.ReadAllText(path).TrimEnd('\r', '\n');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CredentialException($"cannot read {what} {path}: {e.Message}");
        }
    }

    private static string Octal(UnixFileMode mode) => Convert.ToString((int)mode & 0x1FF, 8).PadLeft(4, '0');
}
