using TeeLauncher.Configuration;
using TeeLauncher.Values;

namespace TeeLauncher.Docker;

/// <summary>One place the image can come from: a mirror or the origin registry, same path on each.</summary>
public sealed record PullSource(ImageReference Reference, bool IsMirror)
{
    public string Host => Reference.Domain;

    public string Label => IsMirror ? $"mirror {Host}" : $"origin {Host}";

    /// <summary>Mirrors of the image's registry in configured order, then the origin (docs/spec.md §6.2).</summary>
    public static IReadOnlyList<PullSource> For(ImageReference image, IReadOnlyList<RegistrySettings> registries)
    {
        var registry = registries.FirstOrDefault(r => string.Equals(r.Host, image.Domain, StringComparison.OrdinalIgnoreCase));
        var mirrors = registry?.Mirrors ?? [];
        return [.. mirrors.Select(m => new PullSource(image.OnHost(m), IsMirror: true)), new PullSource(image, IsMirror: false)];
    }
}
