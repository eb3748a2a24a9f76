using TeeLauncher.Configuration;
using TeeLauncher.Errors;
using TeeLauncher.Values;

namespace TeeLauncher.Docker;

public enum PullSourceKind { Mirror, Origin, Archive }

/// <summary>
/// One place an image can come from, with the repository it has there: a mirror (its path may differ), the origin, or a
/// local OCI archive (<see cref="Location"/> is its path), served from a loopback registry.
/// </summary>
public sealed record PullSource(ImageReference Reference, PullSourceKind Kind, string Location)
{
    public RegistryHost Host => Reference.Domain;

    public bool IsMirror => Kind == PullSourceKind.Mirror;

    public string Label => $"{Kind.ToString().ToLowerInvariant()} {Location}";

    /// <summary>The image as it is pulled from this source.</summary>
    public PinnedImage Pin(ImageDigest digest) => new(Reference, digest);

    /// <summary>
    /// The mirrors of the image's registry that serve its path, in configured order, then the origin (docs/spec.md §6.2),
    /// then each archive (§6.4). A mirror path that breaks docker's grammar is a config error.
    /// </summary>
    public static IReadOnlyList<PullSource> For(ImageReference image, IReadOnlyList<RegistrySettings> registries, IReadOnlyList<string>? archives = null, int archivePort = 0)
    {
        var index = registries.ToList().FindIndex(r => r.Host == image.Domain);
        var mirrors = index < 0 ? [] : registries[index].Mirrors;
        var sources = new List<PullSource>();
        foreach (var mirror in mirrors)
        {
            try
            {
                if (mirror.RepositoryFor(image) is { } onMirror)
                    sources.Add(new PullSource(onMirror, PullSourceKind.Mirror, mirror.Location));
            }
            catch (ImageReferenceException e)
            {
                throw new ConfigException($"registry[{index}].mirrors: mirror {mirror.Location} cannot serve {image.Repository}: {e.Message}");
            }
        }
        sources.Add(new PullSource(image, PullSourceKind.Origin, image.Domain.Name));
        foreach (var archive in archives ?? [])
            sources.Add(new PullSource(MirrorSettings.RepositoryPath(RegistryHost.Parse($"127.0.0.1:{archivePort}"), image.Path), PullSourceKind.Archive, archive));
        return sources;
    }
}
