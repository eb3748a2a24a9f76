namespace TeeLauncher.Cli;

/// <summary>A <c>--name [VALUE]</c> option a command accepts.</summary>
public sealed record CommandOption(string Name, string? ValueName, string Help)
{
    public bool TakesValue => ValueName is not null;

    public static CommandOption Flag(string name, string help) => new(name, null, help);

    public static CommandOption Value(string name, string valueName, string help) => new(name, valueName, help);

    public static readonly CommandOption Config =
        Value("config", "PATH", "launcher config, TOML 1.1 (default $TEE_LAUNCHER_CONFIG or /etc/tee-launcher/launcher.toml)");

    public static readonly CommandOption Json = Flag("json", "machine-readable output");

    public static readonly CommandOption EventName =
        Value("event-name", "NAME", "name of the image event (default image-digest; NEAR MPC uses mpc-image-digest)");
}
