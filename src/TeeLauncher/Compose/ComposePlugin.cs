namespace TeeLauncher.Compose;

/// <summary>
/// Where the docker CLI finds its compose plugin, looked up as docker does from the launcher's own environment
/// (<c>$DOCKER_CONFIG/cli-plugins</c>, else <c>$HOME/.docker/cli-plugins</c>, then the system folders). Compose runs
/// sealed with an empty docker config (docs/spec.md §7.2), which names only this folder (<c>cliPluginsExtraDirs</c>).
/// </summary>
public static class ComposePlugin
{
    private static readonly string[] SystemFolders =
    [
        "/usr/local/lib/docker/cli-plugins", "/usr/local/libexec/docker/cli-plugins",
        "/usr/lib/docker/cli-plugins", "/usr/libexec/docker/cli-plugins",
    ];

    public static bool IsInstalled() => Folder() is not null;

    /// <summary>The folder that holds <c>docker-compose</c> as a CLI plugin, or null when docker has none.</summary>
    public static string? Folder()
    {
        var user = Environment.GetEnvironmentVariable("DOCKER_CONFIG") is { Length: > 0 } config
            ? Path.Combine(config, "cli-plugins")
            : Environment.GetEnvironmentVariable("HOME") is { Length: > 0 } home ? Path.Combine(home, ".docker", "cli-plugins") : null;
        return (user is null ? SystemFolders : [user, .. SystemFolders])
            .FirstOrDefault(folder => File.Exists(Path.Combine(folder, "docker-compose")));
    }
}
