using System.Diagnostics.CodeAnalysis;

namespace TeeLauncher.Values;

/// <summary>An image of the stack: a repository and the manifest digest it is pinned to (docs/spec.md §6.1).</summary>
public sealed record PinnedImage(ImageReference Repository, ImageDigest Digest)
{
    /// <summary><c>host/path@sha256:hex</c>, the form the launcher pulls and compose is given.</summary>
    public string Reference => Repository.Pinned(Digest);

    /// <summary>The same image on another registry host, such as a mirror.</summary>
    public PinnedImage OnHost(RegistryHost host) => this with { Repository = Repository.OnHost(host) };

    public override string ToString() => Reference;

    /// <summary>Reads <c>name[:tag]@sha256:&lt;64 hex&gt;</c>; the tag plays no part, the digest decides.</summary>
    public static bool TryParse(string text, [NotNullWhen(true)] out PinnedImage? image)
    {
        image = null;
        var at = text.IndexOf('@');
        if (at <= 0 || !ImageDigest.TryParse(text[(at + 1)..], out var digest))
            return false;
        try
        {
            image = new PinnedImage(ImageReference.ParseBeforeDigest(text[..at]), digest);
            return true;
        }
        catch (ImageReferenceException)
        {
            return false;
        }
    }
}
