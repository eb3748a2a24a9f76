using System.Security.Cryptography;

namespace TeeLauncher.Files;

/// <summary>
/// The one way the launcher writes a file (docs/spec.md §10): a new file is created exclusively (O_CREAT|O_EXCL never
/// follows a planted file or symbolic link), mode 0600 unless said otherwise, and flushed to disk before it counts as
/// written; a file that is replaced is written new under a random name and renamed over the old one. Failures are the
/// system's <see cref="IOException"/> or <see cref="UnauthorizedAccessException"/>; the caller names the file's role.
/// </summary>
public static class OutputFile
{
    public const UnixFileMode OwnerReadWrite = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private const UnixFileMode OwnerOnlyDirectory = OwnerReadWrite | UnixFileMode.UserExecute;

    /// <summary>Replaces <paramref name="file"/> with <paramref name="content"/> at once: readers see the old file or the new one, never a part.</summary>
    public static void Replace(string file, ReadOnlySpan<byte> content)
    {
        var temporary = Path.Combine(Path.GetDirectoryName(file) ?? ".",
            $".{Path.GetFileName(file)}.{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}.tmp");
        CreateNew(temporary, content);
        try
        {
            File.Move(temporary, file, overwrite: true);
        }
        catch
        {
            RemoveQuietly(temporary);
            throw;
        }
    }

    /// <summary>Creates <paramref name="file"/>, which must not exist, holding <paramref name="content"/>; removed again when the write fails.</summary>
    public static void CreateNew(string file, ReadOnlySpan<byte> content, UnixFileMode mode = OwnerReadWrite)
    {
        using var stream = Open(file, FileMode.CreateNew, mode);
        try
        {
            WriteAll(stream, content);
        }
        catch
        {
            RemoveQuietly(file);
            throw;
        }
    }

    /// <summary>Appends <paramref name="content"/> to <paramref name="file"/>, created with <paramref name="mode"/> when missing.</summary>
    public static void Append(string file, ReadOnlySpan<byte> content, UnixFileMode mode = OwnerReadWrite)
    {
        using var stream = Open(file, FileMode.Append, mode);
        WriteAll(stream, content);
    }

    private static FileStream Open(string file, FileMode fileMode, UnixFileMode mode) =>
        new(file, new FileStreamOptions { Mode = fileMode, Access = FileAccess.Write, UnixCreateMode = mode });

    private static void WriteAll(FileStream stream, ReadOnlySpan<byte> content)
    {
        stream.Write(content);
        stream.Flush(flushToDisk: true);
    }

    /// <summary>Creates a directory (0700) that did not exist, under a random name starting with <paramref name="prefix"/>.</summary>
    public static string CreatePrivateDirectory(string parent, string prefix)
    {
        var path = Path.Combine(parent, prefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)));
        if (UnixFile.Status(path, followLinks: false) is not null)
            throw new IOException($"{path} already exists");
        Directory.CreateDirectory(path, OwnerOnlyDirectory);
        if (UnixFile.Status(path, followLinks: false) is not { Type: UnixFileType.Directory } made || made.Owner != UnixFile.EffectiveUser)
            throw new IOException($"{path} was replaced while it was created");
        File.SetUnixFileMode(path, OwnerOnlyDirectory);
        return path;
    }

    /// <summary>Creates (0700, or fixes to 0700) a directory that only the launcher uses, under a name it chose.</summary>
    public static void CreateOwnDirectory(string path)
    {
        Directory.CreateDirectory(path, OwnerOnlyDirectory);
        File.SetUnixFileMode(path, OwnerOnlyDirectory);
    }

    /// <summary>Creates and removes a file in <paramref name="directory"/>; throws the system's reason when it cannot.</summary>
    public static void ProveWritable(string directory)
    {
        var probe = Path.Combine(directory, $".write-probe.{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}");
        CreateNew(probe, []);
        File.Delete(probe);
    }

    private static void RemoveQuietly(string file)
    {
        try
        {
            File.Delete(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The failure being reported is the one that matters; a stray temporary name is ignored by every reader.
        }
    }
}
