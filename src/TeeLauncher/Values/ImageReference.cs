using System.Text.RegularExpressions;

namespace TeeLauncher.Values;

/// <summary>
/// A repository named the way docker names it (distribution/reference grammar, docker's normalisation):
/// <c>ubuntu</c> is <c>docker.io/library/ubuntu</c>; a tag is accepted and ignored; a digest is refused.
/// </summary>
public sealed partial record ImageReference
{
    public const int MaxPathLength = 255;

    private const string DockerHubCredentialKey = "https://index.docker.io/v1/";
    private const string OfficialPrefix = "library/";

    private ImageReference(RegistryHost domain, string path, string? tag)
    {
        Domain = domain;
        Path = path;
        Tag = tag;
    }

    /// <summary><c>docker.io</c> for Docker Hub, else host[:port] as written.</summary>
    public RegistryHost Domain { get; }

    /// <summary>The repository path on its registry, e.g. <c>library/ubuntu</c>.</summary>
    public string Path { get; }

    /// <summary>The tag as written, if any; pulls are by digest, so it plays no part.</summary>
    public string? Tag { get; }

    public string Repository => $"{Domain}/{Path}";

    /// <summary>The key docker looks the host up by in a config file's <c>auths</c>.</summary>
    public string CredentialKey => Domain.IsDockerHub ? DockerHubCredentialKey : Domain.Name;

    /// <summary>The same path on another registry host, such as a mirror.</summary>
    public ImageReference OnHost(RegistryHost host) => new(host, Path, Tag);

    public string Pinned(ImageDigest digest) => $"{Repository}@{digest}";

    public override string ToString() => Tag is null ? Repository : $"{Repository}:{Tag}";

    /// <summary>
    /// Parses <c>[host[:port]/]path[:tag]</c>; throws <see cref="ImageReferenceException"/> saying which part is wrong.
    /// A reference that is 64 hex digits and nothing else is refused, as docker refuses it: it reads as an image ID.
    /// </summary>
    public static ImageReference Parse(string text) => Parse(text, wholeReference: true);

    /// <summary>The name before <c>@sha256:...</c>: docker's ID check looks at the whole reference, so a 64-hex name is a name here.</summary>
    public static ImageReference ParseBeforeDigest(string name) => Parse(name, wholeReference: false);

    private static ImageReference Parse(string text, bool wholeReference)
    {
        if (text.Length == 0)
            throw new ImageReferenceException("it is empty");
        if (text.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
            throw new ImageReferenceException("it must not contain spaces or control characters");
        if (text.StartsWith('-'))
            throw new ImageReferenceException("it must not start with '-'");
        if (text.Contains('@'))
            throw new ImageReferenceException("a digest is not allowed here: name the repository without a digest and put the digest in image.default_digest or image.override_digest");
        if (wholeReference && Identifier().IsMatch(text))
            throw new ImageReferenceException("a 64-digit hex image id is not a repository name");

        var (domain, remainder) = SplitDomain(text);
        var (path, tag) = SplitTag(remainder);
        CheckComponents(path);
        if (domain.IsDockerHub && !path.Contains('/'))
            path = OfficialPrefix + path;
        if (path.Length > MaxPathLength)
            throw new ImageReferenceException($"path '{path[..20]}...' is {path.Length} characters long; at most {MaxPathLength} are allowed");
        return new ImageReference(domain, path, tag);
    }

    /// <summary>
    /// docker's rule (distribution/reference's splitDockerDomain): the first component names a registry when it has a
    /// '.', a ':' or an upper-case letter, or is "localhost".
    /// </summary>
    private static (RegistryHost Domain, string Remainder) SplitDomain(string text)
    {
        var slash = text.IndexOf('/');
        if (slash < 0)
            return (RegistryHost.DockerHub, text);
        var first = text[..slash];
        return first == "localhost" || first.Contains('.') || first.Contains(':') || first.Any(char.IsAsciiLetterUpper)
            ? (RegistryHost.Parse(first), text[(slash + 1)..])
            : (RegistryHost.DockerHub, text);
    }

    private static (string Path, string? Tag) SplitTag(string remainder)
    {
        var colon = remainder.IndexOf(':');
        if (colon < 0)
            return (remainder, null);
        var tag = remainder[(colon + 1)..];
        if (!TagPattern().IsMatch(tag))
            throw new ImageReferenceException(
                $"tag '{tag}' is invalid: up to 128 letters, digits, '_', '.' or '-', not starting with '.' or '-'");
        return (remainder[..colon], tag);
    }

    private static void CheckComponents(string path)
    {
        foreach (var component in path.Split('/'))
        {
            if (component.Length == 0)
                throw new ImageReferenceException($"path '{path}' has an empty component: remove the extra '/'");
            if (component.Any(char.IsUpper))
                throw new ImageReferenceException($"path component '{component}' must be lowercase");
            if (!PathComponent().IsMatch(component))
                throw new ImageReferenceException(
                    $"path component '{component}' is invalid: use lowercase letters and digits, joined by single '.', '_', '__' or runs of '-', starting and ending with a letter or digit");
        }
    }

    [GeneratedRegex("^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$")]
    private static partial Regex PathComponent();

    [GeneratedRegex(@"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")]
    private static partial Regex TagPattern();

    [GeneratedRegex("^[a-f0-9]{64}$")]
    private static partial Regex Identifier();
}

/// <summary>A repository reference that does not follow docker's grammar; the message names the part that is wrong.</summary>
public sealed class ImageReferenceException(string message) : Exception(message);
