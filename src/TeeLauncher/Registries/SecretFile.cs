using System.Text;
using TeeLauncher.Files;

namespace TeeLauncher.Registries;

/// <summary>Reads a password or key file; on platform "tee" one that group or others can read is refused (docs/spec.md §3).</summary>
public static class SecretFile
{
    private const int MaxBytes = 64 * 1024;
    private const UnixFileMode ReadableByOthers = UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    /// <summary>The file's text without its trailing line break; throws <see cref="CredentialException"/> naming <paramref name="what"/> and the path.</summary>
    public static string Read(string path, string what, bool refuseReadableByOthers)
    {
        byte[] bytes;
        UnixFileMode mode;
        try
        {
            (bytes, mode) = InputFile.ReadWithMode(path, MaxBytes);
        }
        catch (InputFileException e)
        {
            throw new CredentialException($"{what} {path} {e.Reason}");
        }
        if (refuseReadableByOthers && (mode & ReadableByOthers) != 0)
            throw new CredentialException(
                $"{what} {path} is readable by group or others (mode {UnixFile.Octal(mode)}); run 'chmod 600 {path}'");
        return Utf8Text.Decode(bytes)?.TrimEnd('\r', '\n') ?? throw new CredentialException($"{what} {path} is not valid UTF-8 text");
    }
}
