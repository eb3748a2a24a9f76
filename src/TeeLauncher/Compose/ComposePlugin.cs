namespace TeeLauncher.Compose;

/// <summary>Where the docker CLI looks for its compose plugin (the user's config folder, then the system folders).</summary>
public static class ComposePlugin
{
    private static readonly string[] SystemFolders =
    [
        "/usr/local/lib/docker/cli-plugins", "/usr/local/libexec/docker/cli-plugins",
        "/usr/lib/docker/cli-plugins", "/usr/libexec/docker/cli-plugins",
    ];

    public static bool IsInstalled() =>
        Folders().Any(folder => File.Exists(Path.Combine(folder, "docker-compose")));

    private static IEnumerable<string> Folders()
    {
        var config = Environment.GetEnvironmentVariable("DOCKER_CONFIG") is { Length: > 0 } configured
            ? configured
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".docker");
        return [Path.Combine(config, "cli-plugins"), .. SystemFolders];
    }
}
