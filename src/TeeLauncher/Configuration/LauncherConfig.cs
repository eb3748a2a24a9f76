using TeeLauncher.Values;

namespace TeeLauncher.Configuration;

/// <summary>The validated launcher configuration (docs/spec.md §3).</summary>
public sealed record LauncherConfig(
    string SourcePath,
    LauncherSettings Launcher,
    ImageSettings Image,
    PullSettings Pull,
    IReadOnlyList<RegistrySettings> Registries,
    MeasurementSettings Measurement,
    ComposeSettings Compose,
    ConfigLocations Locations)
{
    public const string DefaultPath = "/etc/tee-launcher/launcher.toml";
}

public enum Platform { Tee, Dev }

public sealed record LauncherSettings(Platform Platform, string StateDir, string CredentialsKeyFile)
{
    public static readonly LauncherSettings Default = new(Platform.Tee, "/run/tee-launcher", "/etc/tee-launcher/registry.key");
}

/// <param name="Reference">The repository to pull; null only in a config read with problems.</param>
public sealed record ImageSettings(
    ImageReference? Reference,
    ImageDigest? DefaultDigest,
    ImageDigest? OverrideDigest,
    string? ApprovedHashesFile)
{
    /// <summary>Local OCI layouts (tar or directory) that serve any image of the stack they hold when its registry cannot.</summary>
    public IReadOnlyList<string> Archives { get; init; } = [];

    public static readonly TimeSpan DefaultApprovalCheckInterval = TimeSpan.FromMinutes(1);

    /// <summary>What a supervising launcher does when the running digest leaves the approved list (docs/spec.md §4.1).</summary>
    public UnapprovedPolicy OnUnapproved { get; init; } = UnapprovedPolicy.Stop;

    /// <summary>How often the approved list is re-read while the stack runs, besides whenever it changes.</summary>
    public TimeSpan ApprovalCheckInterval { get; init; } = DefaultApprovalCheckInterval;
}

public enum UnapprovedPolicy { Stop, Report }

public enum PullPolicy { Always, Missing, Never }

public sealed record PullSettings(
    PullPolicy Policy,
    int Attempts,
    TimeSpan BackoffInitial,
    TimeSpan BackoffMax,
    TimeSpan AttemptTimeout,
    TimeSpan Deadline,
    int Concurrency)
{
    public const int DefaultArchivePort = 5999;

    /// <summary>The loopback port of the registry an archive is served from (docs/spec.md §6.4).</summary>
    public int ArchivePort { get; init; } = DefaultArchivePort;

    public static readonly PullSettings Default = new(
        PullPolicy.Always, 6, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(60), TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(30), 3);
}

/// <param name="Host">Null only in a config read with problems: the host written was refused.</param>
public sealed record RegistrySettings(
    RegistryHost? Host,
    IReadOnlyList<MirrorSettings> Mirrors,
    string? Username,
    string? PasswordFile,
    string? EncryptedAuth);

/// <summary>
/// A mirror of a registry host (docs/spec.md §6.2): the image's path there is <see cref="PathPrefix"/> followed by its path on
/// the origin less the leading components <see cref="Replaces"/>, the way containerd's and CRI-O's registry configurations
/// rewrite it; a mirror with <see cref="Replaces"/> serves only the paths under it.
/// </summary>
public sealed record MirrorSettings(RegistryHost Host, string PathPrefix, string Replaces)
{
    /// <summary>host[:port] then the prefix, if any: where the mirror keeps the registry's repositories.</summary>
    public string Location => PathPrefix.Length == 0 ? Host.Name : $"{Host}/{PathPrefix}";

    /// <summary>The repository on the mirror, or null when the mirror does not serve <paramref name="image"/>'s path.</summary>
    /// <exception cref="ImageReferenceException">The rewritten path breaks docker's grammar (too long).</exception>
    public ImageReference? RepositoryFor(ImageReference image)
    {
        var path = image.Path;
        if (Replaces.Length > 0 && path != Replaces && !path.StartsWith(Replaces + "/", StringComparison.Ordinal))
            return null;
        var rest = path[Replaces.Length..].TrimStart('/');
        var onMirror = string.Join('/', new[] { PathPrefix, rest }.Where(p => p.Length > 0));
        return onMirror.Length == 0 ? null : RepositoryPath(Host, onMirror);
    }

    /// <summary>
    /// host/path as docker reads it. The path is parsed under "localhost", which docker never rewrites (unlike docker.io's
    /// "library/"), so it keeps its components exactly.
    /// </summary>
    /// <exception cref="ImageReferenceException">The path is not a docker repository path.</exception>
    public static ImageReference RepositoryPath(RegistryHost host, string path)
    {
        var parsed = ImageReference.Parse($"localhost/{path}");
        return parsed.Tag is null ? parsed.OnHost(host) : throw new ImageReferenceException($"path '{path}' takes no tag");
    }
}

public enum MeasurementBackendKind { Dstack, TdxSysfs, Tpm, None }

/// <summary>Which of dstack's TEE variants backend dstack measures as (docs/spec.md §5.2); auto detects it as dstack does.</summary>
public enum DstackPlatformKind { Auto, Tdx, GcpTdx }

public sealed record MeasurementSettings(
    MeasurementBackendKind Backend,
    string EventName,
    bool ComposeEvent,
    string EventLog,
    string DstackSocket,
    string TdxRtmrPath,
    int TpmPcr,
    string TpmTcti,
    EventVersion EventVersion,
    string DstackEventDir,
    DstackPlatformKind DstackPlatform)
{
    /// <summary>The defaults; the loader puts the event log in the configured state directory.</summary>
    public static readonly MeasurementSettings Default = new(
        MeasurementBackendKind.Dstack, EventNames.DefaultImage, true,
        Path.Combine(LauncherSettings.Default.StateDir, "events.jsonl"), "/var/run/dstack.sock",
        "/sys/devices/virtual/misc/tdx_guest/measurements/rtmr3:sha384", 14, "device:/dev/tpmrm0", EventVersion.V1, "/run/log/dstack", DstackPlatformKind.Auto);
}

public enum ComposeCommandKind { Auto, DockerComposePlugin, DockerComposeStandalone }

public sealed record ComposeSettings(
    string File,
    string Project,
    ComposeCommandKind Command,
    IReadOnlyDictionary<string, string> Env,
    TimeSpan StopTimeout,
    bool Supervise)
{
    public static readonly ComposeSettings Default = new(
        "/etc/tee-launcher/compose.yml", "workload", ComposeCommandKind.Auto, new Dictionary<string, string>(), TimeSpan.FromSeconds(30), true);
}
