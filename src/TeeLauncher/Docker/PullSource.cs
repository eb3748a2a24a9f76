using TeeLauncher.Configuration;
using TeeLauncher.Errors;
using TeeLauncher.Values;

namespace TeeLauncher.Docker;

public enum PullSourceKind { Mirror, Origin }

/// <summary>One place an image can come from, with the repository it has there: a mirror (its path may differ) or the origin.</summary>
public sealed record PullSource(ImageReference Reference, PullSourceKind Kind, string Location)
{
    public string Host => Reference.Domain;

    public bool IsMirror => Kind == PullSourceKind.Mirror;

    public string Label => IsMirror ? $"mirror {Location}" : $"origin {Location}";

    /// <summary>The image as it is pulled from this source.</summary>
    public PinnedImage Pin(ImageDigest digest) => new(Reference, digest);

    /// <summary>
    /// The mirrors of the image's registry that serve its path, in configured order, then the origin (docs/spec.md §6.2).
    /// A mirror path that breaks docker's grammar is a config error.
    /// </summary>
    public static IReadOnlyList<PullSource> For(ImageReference image, IReadOnlyList<RegistrySettings> registries)
    {
        var index = registries.ToList().FindIndex(r => string.Equals(r.Host, image.Domain, StringComparison.OrdinalIgnoreCase));
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
        sources.Add(new PullSource(image, PullSourceKind.Origin, image.Domain));
        return sources;
    }
}
