namespace TeeLauncher.Configuration;

/// <summary>How each config enum value is written in launcher.toml, for reading it and for printing it back.</summary>
public static class ConfigSpellings
{
    public static readonly IReadOnlyDictionary<string, Platform> Platforms = new Dictionary<string, Platform>
    {
        ["tee"] = Platform.Tee, ["dev"] = Platform.Dev,
    };

    public static readonly IReadOnlyDictionary<string, PullPolicy> PullPolicies = new Dictionary<string, PullPolicy>
    {
        ["always"] = PullPolicy.Always, ["missing"] = PullPolicy.Missing, ["never"] = PullPolicy.Never,
    };

    public static readonly IReadOnlyDictionary<string, UnapprovedPolicy> UnapprovedPolicies = new Dictionary<string, UnapprovedPolicy>
    {
        ["stop"] = UnapprovedPolicy.Stop, ["report"] = UnapprovedPolicy.Report,
    };

    public static readonly IReadOnlyDictionary<string, MeasurementBackendKind> Backends = new Dictionary<string, MeasurementBackendKind>
    {
        ["dstack"] = MeasurementBackendKind.Dstack, ["tdx-sysfs"] = MeasurementBackendKind.TdxSysfs,
        ["tpm"] = MeasurementBackendKind.Tpm, ["none"] = MeasurementBackendKind.None,
    };

    /// <summary>dstack's own names of its TEE variants (dstack-types, TeeVariant).</summary>
    public static readonly IReadOnlyDictionary<string, DstackPlatformKind> DstackPlatforms = new Dictionary<string, DstackPlatformKind>
    {
        ["auto"] = DstackPlatformKind.Auto, ["dstack-tdx"] = DstackPlatformKind.Tdx, ["dstack-gcp-tdx"] = DstackPlatformKind.GcpTdx,
    };

    public static readonly IReadOnlyDictionary<string, ComposeCommandKind> ComposeCommands = new Dictionary<string, ComposeCommandKind>
    {
        ["auto"] = ComposeCommandKind.Auto,
        ["docker compose"] = ComposeCommandKind.DockerComposePlugin,
        ["docker-compose"] = ComposeCommandKind.DockerComposeStandalone,
    };

    /// <summary>The spelling of <paramref name="value"/> in <paramref name="spellings"/>.</summary>
    public static string Of<T>(IReadOnlyDictionary<string, T> spellings, T value) where T : struct, Enum =>
        spellings.First(s => EqualityComparer<T>.Default.Equals(s.Value, value)).Key;
}
