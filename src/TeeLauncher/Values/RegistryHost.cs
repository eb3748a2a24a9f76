using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.RegularExpressions;

namespace TeeLauncher.Values;

/// <summary>
/// A registry host[:port] as docker names it: a registry's host, a mirror's and the host of an image reference. The one rule
/// is what the docker 20.10 daemon accepts in a reference. Its reference grammar has no IPv6 literal
/// (<c>docker pull [::1]:5000/acme</c> is "invalid reference format"), so none is accepted here.
/// Hosts are equal without regard to case, as DNS compares them and docker looks up credentials.
/// </summary>
public sealed partial class RegistryHost : IEquatable<RegistryHost>
{
    private const string LegacyDockerHub = "index.docker.io";

    private RegistryHost(string name) => Name = name;

    public static readonly RegistryHost DockerHub = new("docker.io");

    /// <summary>
    /// The host as written, except that <c>index.docker.io</c>, the legacy name, is Docker Hub's <c>docker.io</c>
    /// (distribution/reference's legacyDefaultDomain). <c>registry-1.docker.io</c> stays a host of its own, as in docker.
    /// </summary>
    public string Name { get; }

    /// <summary>Docker Hub written exactly so: docker's normalisation (the "library/" prefix, the credential key) compares case.</summary>
    public bool IsDockerHub => Name == DockerHub.Name;

    /// <summary>Reads host[:port]; false with why it is not one docker accepts.</summary>
    public static bool TryParse(string text, [NotNullWhen(true)] out RegistryHost? host, [NotNullWhen(false)] out string? problem)
    {
        host = null;
        problem = Problem(text);
        if (problem is not null)
            return false;
        host = text == LegacyDockerHub ? DockerHub : new RegistryHost(text);
        return true;
    }

    /// <exception cref="ImageReferenceException">The text is not a host[:port] docker accepts.</exception>
    public static RegistryHost Parse(string text) =>
        TryParse(text, out var host, out var problem) ? host : throw new ImageReferenceException(problem);

    private static string? Problem(string host)
    {
        if (host.StartsWith('['))
            return $"registry host '{host}' is not a host[:port]: docker does not accept an IPv6 address in an image reference; use a host name";
        var match = HostPort().Match(host);
        if (!match.Success)
            return $"registry host '{host}' is not a host[:port]: use letters, digits, '-' and '.', then an optional :port";
        if (match.Groups["port"].Success && int.Parse(match.Groups["port"].ValueSpan, CultureInfo.InvariantCulture) is < 1 or > 65535)
            return $"registry host '{host}' has port {match.Groups["port"].Value}: a port is 1 to 65535";
        return null;
    }

    public bool Equals(RegistryHost? other) => other is not null && string.Equals(Name, other.Name, StringComparison.OrdinalIgnoreCase);

    public override bool Equals(object? obj) => Equals(obj as RegistryHost);

    public override int GetHashCode() => StringComparer.OrdinalIgnoreCase.GetHashCode(Name);

    public override string ToString() => Name;

    public static bool operator ==(RegistryHost? left, RegistryHost? right) => left?.Equals(right) ?? right is null;

    public static bool operator !=(RegistryHost? left, RegistryHost? right) => !(left == right);

    [GeneratedRegex(@"^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*(?::(?<port>[0-9]{1,5}))?$")]
    private static partial Regex HostPort();
}
