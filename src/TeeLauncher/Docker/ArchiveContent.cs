using System.Runtime.InteropServices;
using System.Text.Json;
using TeeLauncher.Values;

namespace TeeLauncher.Docker;

/// <summary>A manifest read from an archive and checked against its digest, with the media type it is served as.</summary>
public sealed record ArchiveManifest(ImageDigest Digest, string MediaType, byte[] Bytes);

/// <summary>
/// What an archive must hand the registry for one image digest: the blobs, then the manifests in the order they are pushed
/// (a platform's manifest before the index that names it), the chosen digest last.
/// </summary>
public sealed record ArchiveContent(IReadOnlyList<OciDescriptor> Blobs, IReadOnlyList<ArchiveManifest> Manifests)
{
    public const string OciIndexType = "application/vnd.oci.image.index.v1+json";
    public const string DockerListType = "application/vnd.docker.distribution.manifest.list.v2+json";
    public const string OciManifestType = "application/vnd.oci.image.manifest.v1+json";
    public const string DockerManifestType = "application/vnd.docker.distribution.manifest.v2+json";
    private const int MaxIndexesRead = 64;
    private const int MaxLayers = 1000;

    /// <summary>
    /// The content for <paramref name="digest"/>, found in index.json or an index it lists, or null when the archive does not
    /// hold it. An index must name a manifest for linux and this machine's architecture (docker pulls that one) and the
    /// archive must hold every manifest it names, as skopeo's <c>copy --all</c> writes it. Throws
    /// <see cref="ArchiveException"/> when what the archive holds is not what it claims.
    /// </summary>
    public static ArchiveContent? Resolve(OciArchive archive, ImageDigest digest)
    {
        if (Find(archive, digest) is not { } descriptor)
            return null;
        var top = Manifest(archive, descriptor);
        var document = Parse(archive, top);
        if (!IsIndex(top.MediaType))
            return new ArchiveContent(ImageBlobs(archive, top, document), [top]);

        var architecture = DockerArchitecture();
        var children = document.Manifests ?? [];
        if (children.Count > MaxIndexesRead)
            throw new ArchiveException(archive.Path, $"index {digest} names more than {MaxIndexesRead} manifests");
        if (!children.Any(m => m.Platform is { Os: "linux" } p && p.Architecture == architecture))
            throw new ArchiveException(archive.Path, $"index {digest} has no manifest for linux/{architecture}");
        // A registry stores an index only when it has every manifest the index names, so every platform is pushed.
        var blobs = new List<OciDescriptor>();
        var manifests = new List<ArchiveManifest>();
        foreach (var named in children)
        {
            var child = Manifest(archive, named);
            if (IsIndex(child.MediaType))
                throw new ArchiveException(archive.Path, $"index {digest} names another index, {child.Digest}");
            blobs.AddRange(ImageBlobs(archive, child, Parse(archive, child)));
            manifests.Add(child);
        }
        return new ArchiveContent([.. blobs.DistinctBy(b => b.Digest)], [.. manifests, top]);
    }

    private static OciDescriptor? Find(OciArchive archive, ImageDigest digest)
    {
        var pending = new Queue<IReadOnlyList<OciDescriptor>>([archive.Index.Manifests ?? []]);
        var read = 0;
        while (pending.TryDequeue(out var manifests))
        {
            foreach (var descriptor in manifests)
            {
                if (descriptor.Digest == digest.ToString())
                    return descriptor;
            }
            foreach (var index in manifests.Where(m => IsIndex(m.MediaType)))
            {
                if (++read > MaxIndexesRead)
                    throw new ArchiveException(archive.Path, $"nests more than {MaxIndexesRead} indexes");
                pending.Enqueue(Parse(archive, Manifest(archive, index)).Manifests ?? []);
            }
        }
        return null;
    }

    private static ArchiveManifest Manifest(OciArchive archive, OciDescriptor descriptor)
    {
        var bytes = archive.ReadJsonBlob(descriptor);
        var digest = archive.Digest(descriptor);
        var declared = ReadMediaType(archive, digest, bytes);
        var mediaType = descriptor.MediaType ?? declared
            ?? throw new ArchiveException(archive.Path, $"manifest {digest} has no media type");
        if (declared is not null && declared != mediaType)
            throw new ArchiveException(archive.Path, $"manifest {digest} says it is {SafeText.Escape(declared)}, its descriptor {SafeText.Escape(mediaType)}");
        if (!IsIndex(mediaType) && mediaType is not (OciManifestType or DockerManifestType))
            throw new ArchiveException(archive.Path, $"manifest {digest} has media type {SafeText.Escape(mediaType)}, which docker does not pull");
        return new ArchiveManifest(digest, mediaType, bytes);
    }

    private static string? ReadMediaType(OciArchive archive, ImageDigest digest, byte[] bytes) =>
        Parse(archive, new ArchiveManifest(digest, "", bytes)).MediaType;

    private static OciManifest Parse(OciArchive archive, ArchiveManifest manifest)
    {
        try
        {
            return JsonSerializer.Deserialize(manifest.Bytes, OciJsonContext.Default.OciManifest)
                ?? throw new ArchiveException(archive.Path, $"manifest {manifest.Digest} is null");
        }
        catch (JsonException e)
        {
            throw new ArchiveException(archive.Path, $"manifest {manifest.Digest} is not a manifest: {SafeText.Escape(e.Message)}");
        }
    }

    private static List<OciDescriptor> ImageBlobs(OciArchive archive, ArchiveManifest manifest, OciManifest document)
    {
        if (document.Config is null || document.Layers is null)
            throw new ArchiveException(archive.Path, $"manifest {manifest.Digest} has no config or no layers");
        if (document.Layers.Count > MaxLayers)
            throw new ArchiveException(archive.Path, $"manifest {manifest.Digest} has more than {MaxLayers} layers");
        List<OciDescriptor> blobs = [document.Config, .. document.Layers];
        foreach (var blob in blobs)
            archive.RequireBlob(blob);
        return blobs;
    }

    private static bool IsIndex(string? mediaType) => mediaType is OciIndexType or DockerListType;

    /// <summary>The architecture as docker names it (GOARCH).</summary>
    private static string DockerArchitecture() => RuntimeInformation.OSArchitecture switch
    {
        Architecture.X64 => "amd64",
        Architecture.Arm64 => "arm64",
        Architecture.X86 => "386",
        Architecture.Arm => "arm",
        var other => other.ToString().ToLowerInvariant(),
    };
}
