using TeeLauncher.Selection;

namespace TeeLauncher.Configuration;

/// <summary>The validated launcher configuration (SPEC section 3).</summary>
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

public sealed record LauncherSettings(Platform Platform, string StateDir, string CredentialsKeyFile);

public sealed record ImageSettings(
    string Reference,
    ImageDigest? DefaultDigest,
    ImageDigest? OverrideDigest,
    string? ApprovedHashesFile);

public enum PullPolicy { Always, Missing, Never }

public sealed record PullSettings(
    PullPolicy Policy,
    int Attempts,
    TimeSpan BackoffInitial,
    TimeSpan BackoffMax,
    TimeSpan AttemptTimeout,
    TimeSpan Deadline);

public sealed record RegistrySettings(
    string Host,
    IReadOnlyList<string> Mirrors,
    string? Username,
    string? PasswordFile,
    string? EncryptedAuth);

public enum MeasurementBackendKind { Dstack, TdxSysfs, Tpm, None }

public sealed record MeasurementSettings(
    MeasurementBackendKind Backend,
    string EventName,
    bool ComposeEvent,
    string EventLog,
    string DstackSocket,
    string TdxRtmrPath,
    int TpmPcr,
    string TpmTcti,
    int EventVersion = 1,
    string DstackEventDir = "/run/log/dstack");

public enum ComposeCommandKind { Auto, DockerComposePlugin, DockerComposeStandalone }

public sealed record ComposeSettings(
    string File,
    string Project,
    ComposeCommandKind Command,
    IReadOnlyDictionary<string, string> Env,
    TimeSpan StopTimeout,
    bool Supervise);
