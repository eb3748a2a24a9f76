namespace TeeLauncher.Docker;

public enum PullFailureClass
{
    /// <summary>Authentication missing or denied: retrying will not help.</summary>
    Unauthorized,
    /// <summary>The registry does not have the manifest: retrying will not help.</summary>
    NotFound,
    RateLimited,
    Timeout,
    Network,
    DaemonUnreachable,
    Other,
}

/// <summary>Classifies a failed <c>docker pull</c> from docker's own words (docs/spec.md §6.1).</summary>
public static class PullFailure
{
    public static PullFailureClass Classify(string dockerOutput)
    {
        if (IsDaemonUnreachable(dockerOutput))
            return PullFailureClass.DaemonUnreachable;
        var text = dockerOutput.ToLowerInvariant();
        if (text.Contains("toomanyrequests") || text.Contains("too many requests"))
            return PullFailureClass.RateLimited;
        if (text.Contains("connection refused") || text.Contains("no such host") || text.Contains("network is unreachable")
            || text.Contains("connection reset") || text.Contains("unexpected eof") || text.EndsWith(": eof", StringComparison.Ordinal))
            return PullFailureClass.Network;
        if (text.Contains("timeout") || text.Contains("timed out") || text.Contains("deadline exceeded"))
            return PullFailureClass.Timeout;
        if (text.Contains("unauthorized") || text.Contains("no basic auth credentials") || text.Contains("denied"))
            return PullFailureClass.Unauthorized;
        if (text.Contains("manifest unknown") || text.Contains("not found"))
            return PullFailureClass.NotFound;
        return PullFailureClass.Other;
    }

    /// <summary>
    /// Whether the docker CLI never got an answer from the daemon (socket missing, refused, or not permitted): a
    /// daemon error, whatever words such as "denied" it contains. What a registry says reaches the CLI through the
    /// daemon, as "Error response from daemon".
    /// </summary>
    public static bool IsDaemonUnreachable(string dockerOutput)
    {
        var text = dockerOutput.ToLowerInvariant();
        return !text.Contains("error response from daemon")
            && (text.Contains("cannot connect to the docker daemon") || text.Contains("is the docker daemon running")
                || text.Contains("while trying to connect to the docker") || text.Contains("error during connect")
                || text.Contains("docker.sock"));
    }

    public static bool IsPermanent(this PullFailureClass failure) =>
        failure is PullFailureClass.Unauthorized or PullFailureClass.NotFound;

    public static string Describe(this PullFailureClass failure) => failure switch
    {
        PullFailureClass.Unauthorized => "authentication",
        PullFailureClass.NotFound => "not found",
        PullFailureClass.RateLimited => "rate limited",
        PullFailureClass.Timeout => "timeout",
        PullFailureClass.Network => "network",
        PullFailureClass.DaemonUnreachable => "docker daemon unreachable",
        _ => "error",
    };
}
