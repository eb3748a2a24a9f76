using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using TeeLauncher.Errors;
using TeeLauncher.Files;
using TeeLauncher.Values;

namespace TeeLauncher.Docker;

/// <summary>
/// An OCI image layout on local disk, as a tar file or a directory (docs/spec.md §6.4), read as hostile input: a tar may
/// hold only regular files and directories under safe relative names, once each; a directory's blobs must be regular files
/// reached through no symbolic link; every JSON blob read is checked against its digest and size.
/// </summary>
public sealed partial class OciArchive
{
    public const int MaxJsonBytes = 4 << 20;
    private const int MaxEntries = 100_000;

    private readonly bool _isDirectory;
    private readonly IReadOnlyDictionary<string, long> _blobSizes;

    private OciArchive(string path, bool isDirectory, IReadOnlyDictionary<string, long> blobSizes, OciIndex index)
    {
        Path = path;
        _isDirectory = isDirectory;
        _blobSizes = blobSizes;
        Index = index;
    }

    public string Path { get; }

    /// <summary>The layout's <c>index.json</c>.</summary>
    public OciIndex Index { get; }

    /// <summary>Reads the layout's structure and <c>index.json</c>; throws <see cref="ArchiveException"/> for anything unsafe or malformed.</summary>
    public static OciArchive Open(string path)
    {
        var status = Status(path, path, followLinks: true);
        return status.Type switch
        {
            UnixFileType.Directory => OpenDirectory(path),
            UnixFileType.Regular => OpenTar(path),
            _ => throw new ArchiveException(path, $"is {InputFile.Describe(status.Type)}: name an OCI layout tar file or directory"),
        };
    }

    /// <summary>The blob's bytes when it is a JSON document of at most 4 MiB whose size and sha256 match <paramref name="descriptor"/>.</summary>
    public byte[] ReadJsonBlob(OciDescriptor descriptor)
    {
        var digest = Digest(descriptor);
        if (descriptor.Size is < 0 or > MaxJsonBytes)
            throw new ArchiveException(Path, $"manifest {digest} has size {descriptor.Size}: at most {MaxJsonBytes} bytes are read");
        RequireBlob(descriptor);
        var bytes = new byte[descriptor.Size];
        WithBlobAsync(digest, stream =>
        {
            stream.ReadExactly(bytes);
            return Task.CompletedTask;
        }).GetAwaiter().GetResult();
        if (ImageDigest.FromBytes(SHA256.HashData(bytes)) != digest)
            throw new ArchiveException(Path, $"blob {digest} does not match its digest: the archive is corrupt or was altered");
        return bytes;
    }

    /// <summary>Checks that the blob is in the layout with the size its descriptor gives.</summary>
    public void RequireBlob(OciDescriptor descriptor)
    {
        var digest = Digest(descriptor);
        if (!_blobSizes.TryGetValue(digest.Hex, out var size))
            throw new ArchiveException(Path, $"blob {digest} is missing");
        if (size != descriptor.Size)
            throw new ArchiveException(Path, $"blob {digest} has {size} bytes, its descriptor says {descriptor.Size}");
    }

    /// <summary>Runs <paramref name="use"/> on the blob's content; for a tar, the entry is found again by name.</summary>
    public async Task WithBlobAsync(ImageDigest digest, Func<Stream, Task> use)
    {
        var name = $"blobs/sha256/{digest.Hex}";
        if (_isDirectory)
        {
            await using var file = OpenRegular(System.IO.Path.Combine(Path, name));
            await use(file);
            return;
        }
        await using var archive = OpenRegular(Path);
        using var reader = new TarReader(archive);
        while (reader.GetNextEntry() is { } entry)
        {
            if (EntryName(entry.Name) == name && entry.DataStream is { } data)
            {
                await use(data);
                return;
            }
        }
        throw new ArchiveException(Path, $"blob {digest} is missing");
    }

    /// <summary>The digest a descriptor names; a malformed one is a bad archive.</summary>
    public ImageDigest Digest(OciDescriptor descriptor) =>
        ImageDigest.TryParse(descriptor.Digest, out var digest)
            ? digest
            : throw new ArchiveException(Path, $"descriptor digest {SafeText.Escape(descriptor.Digest ?? "(none)")} is not sha256:<64 hex>");

    private static OciArchive OpenDirectory(string path)
    {
        var layout = System.IO.Path.Combine(path, "oci-layout");
        var indexFile = System.IO.Path.Combine(path, "index.json");
        var blobs = System.IO.Path.Combine(path, "blobs", "sha256");
        RequireLayout(path, Status(path, layout, followLinks: false).Type == UnixFileType.Regular);
        foreach (var directory in new[] { System.IO.Path.Combine(path, "blobs"), blobs })
            if (Status(path, directory, followLinks: false).Type != UnixFileType.Directory)
                throw new ArchiveException(path, $"{directory} is not a directory (a symbolic link is not followed)");
        var sizes = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFileSystemEntries(blobs).Take(MaxEntries + 1))
        {
            var name = System.IO.Path.GetFileName(file);
            var status = Status(path, file, followLinks: false);
            if (sizes.Count == MaxEntries)
                throw new ArchiveException(path, $"has more than {MaxEntries} blobs");
            if (BlobHex().IsMatch(name) && status.Type == UnixFileType.Regular)
                sizes[name] = status.Size;
            else if (BlobHex().IsMatch(name))
                throw new ArchiveException(path, $"blob {name} is {InputFile.Describe(status.Type)}, not a regular file");
        }
        if (Status(path, indexFile, followLinks: false).Type != UnixFileType.Regular)
            throw new ArchiveException(path, "index.json is not a regular file (a symbolic link is not followed)");
        using var index = OpenRegular(indexFile);
        return new OciArchive(path, isDirectory: true, sizes, ParseIndex(path, ReadLimited(path, index, "index.json")));
    }

    private static OciArchive OpenTar(string path)
    {
        var sizes = new Dictionary<string, long>(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        byte[]? index = null;
        var hasLayout = false;
        try
        {
            using var archive = OpenRegular(path);
            using var reader = new TarReader(archive);
            while (reader.GetNextEntry() is { } entry)
            {
                if (entry.EntryType == TarEntryType.GlobalExtendedAttributes)
                    continue;
                var name = EntryName(entry.Name);
                if (UnsafeName(name) is { } why)
                    throw new ArchiveException(path, $"entry '{SafeText.Escape(entry.Name)}' {why}");
                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.Directory))
                    throw new ArchiveException(path, $"entry '{SafeText.Escape(entry.Name)}' is a {Describe(entry.EntryType)}: an image layout holds only files and directories");
                if (!seen.Add(name))
                    throw new ArchiveException(path, $"entry '{SafeText.Escape(entry.Name)}' appears twice");
                if (seen.Count > MaxEntries)
                    throw new ArchiveException(path, $"has more than {MaxEntries} entries");
                if (entry.EntryType == TarEntryType.Directory)
                    continue;
                if (name == "oci-layout")
                    hasLayout = true;
                else if (name == "index.json")
                    index = ReadLimited(path, entry.DataStream ?? Stream.Null, "index.json");
                else if (name.StartsWith("blobs/sha256/", StringComparison.Ordinal) && BlobHex().IsMatch(name["blobs/sha256/".Length..]))
                    sizes[name["blobs/sha256/".Length..]] = entry.Length;
            }
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or ArgumentException or IOException)
        {
            throw new ArchiveException(path, $"is not a readable tar file: {SafeText.Escape(e.Message)}");
        }
        RequireLayout(path, hasLayout && index is not null);
        return new OciArchive(path, isDirectory: false, sizes, ParseIndex(path, index!));
    }

    private static void RequireLayout(string path, bool present)
    {
        if (!present)
            throw new ArchiveException(path,
                "is not an OCI image layout (oci-layout and index.json): write it with 'skopeo copy ... oci-archive:FILE', docker 25 or later's 'docker save', or packaging/build-image.sh");
    }

    /// <summary>The name as the layout means it: without a leading "./" or a directory's trailing "/".</summary>
    private static string EntryName(string name)
    {
        var trimmed = name.StartsWith("./", StringComparison.Ordinal) ? name[2..] : name;
        return trimmed.Length > 1 ? trimmed.TrimEnd('/') : trimmed;
    }

    private static string? UnsafeName(string name) =>
        name.Length == 0 || name == "." ? null
        : name.StartsWith('/') ? "is an absolute path"
        : name.Split('/').Any(part => part is "" or "." or "..") ? "has an empty, '.' or '..' component"
        : name.Any(char.IsControl) || name.Contains('\\') ? "has a control character or a backslash"
        : null;

    private static string Describe(TarEntryType type) => type switch
    {
        TarEntryType.SymbolicLink => "symbolic link",
        TarEntryType.HardLink => "hard link",
        TarEntryType.CharacterDevice or TarEntryType.BlockDevice => "device",
        TarEntryType.Fifo => "FIFO",
        TarEntryType.SparseFile => "sparse file",
        _ => $"tar entry of type '{(char)type}'",
    };

    private static OciIndex ParseIndex(string path, byte[] bytes)
    {
        try
        {
            return JsonSerializer.Deserialize(bytes, OciJsonContext.Default.OciIndex) is { Manifests: not null } index
                ? index
                : throw new ArchiveException(path, "index.json lists no manifests");
        }
        catch (JsonException e)
        {
            throw new ArchiveException(path, $"index.json is not an OCI index: {SafeText.Escape(e.Message)}");
        }
    }

    private static byte[] ReadLimited(string path, Stream stream, string what)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = stream.Read(chunk)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > MaxJsonBytes)
                throw new ArchiveException(path, $"{what} is larger than {MaxJsonBytes} bytes");
        }
        return buffer.ToArray();
    }

    private static FileStatus Status(string archive, string path, bool followLinks)
    {
        try
        {
            return UnixFile.Status(path, followLinks) ?? throw new ArchiveException(archive, path == archive ? "does not exist" : $"has no {System.IO.Path.GetRelativePath(archive, path)}");
        }
        catch (IOException e)
        {
            throw new ArchiveException(archive, $"cannot be read: {e.Message}");
        }
    }

    private static FileStream OpenRegular(string path)
    {
        var (handle, status) = UnixFile.OpenForReading(path);
        if (status.Type == UnixFileType.Regular)
            return new FileStream(handle, FileAccess.Read);
        handle.Dispose();
        throw new ArchiveException(path, $"is {InputFile.Describe(status.Type)}, not a regular file");
    }

    [GeneratedRegex("^[0-9a-f]{64}$")]
    private static partial Regex BlobHex();
}

/// <summary>An archive that cannot serve an image safely: malformed, unsafe, or not what its digests say (exit 5).</summary>
public sealed class ArchiveException(string path, string problem)
    : LauncherException(ExitCode.PullRefused, $"archive {SafeText.Escape(path)} {problem}");
