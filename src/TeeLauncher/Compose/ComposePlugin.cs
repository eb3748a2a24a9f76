namespace TeeLauncher.Compose;

/// <summary>
/// Where the docker CLI looks for its compose plugin when compose runs sealed (docs/spec.md §7): the system folders only,
/// since compose's docker config directory is the launcher's empty one.
/// </summary>
public static class ComposePlugin
{
    private static readonly string[] SystemFolders =
    [
        "/usr/local/lib/docker/cli-plugins", "/usr/local/libexec/docker/cli-plugins",
        "/usr/lib/docker/cli-plugins", "/usr/libexec/docker/cli-plugins",
    ];

    public static bool IsInstalled() =>
        SystemFolders.Any(folder => File.Exists(Path.Combine(folder, "docker-compose")));
}
