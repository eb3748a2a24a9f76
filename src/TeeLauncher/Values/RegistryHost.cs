using System.Globalization;
using System.Text.RegularExpressions;

namespace TeeLauncher.Values;

/// <summary>
/// The one host[:port] rule for registry hosts, mirrors and the host of <c>image.reference</c>: what the
/// docker 20.10 daemon accepts in a reference. Its reference grammar has no IPv6 literal
/// (<c>docker pull [::1]:5000/acme</c> is "invalid reference format"), so none is accepted here.
/// </summary>
public static partial class RegistryHost
{
    /// <summary>Null when <paramref name="host"/> is a host[:port] docker accepts, else why it is not.</summary>
    public static string? Problem(string host)
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

    /// <summary>
    /// The host as docker names it: <c>index.docker.io</c>, the legacy name, is Docker Hub's <c>docker.io</c>
    /// (distribution/reference's legacyDefaultDomain). <c>registry-1.docker.io</c> stays a host of its own, as in docker.
    /// </summary>
    public static string Canonical(string host) => host == LegacyDockerHub ? DockerHub : host;

    public const string DockerHub = "docker.io";

    /// <summary>Host names compare without regard to case, as DNS compares them and docker looks up credentials.</summary>
    public static readonly StringComparer Comparer = StringComparer.OrdinalIgnoreCase;

    private const string LegacyDockerHub = "index.docker.io";

    [GeneratedRegex(@"^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*(?::(?<port>[0-9]{1,5}))?$")]
    private static partial Regex HostPort();
}
