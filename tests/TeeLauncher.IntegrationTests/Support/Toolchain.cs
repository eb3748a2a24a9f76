namespace TeeLauncher.IntegrationTests.Support;

/// <summary>A docker engine of the test environment with the docker CLI that talks to it, by path (never the first on PATH).</summary>
public sealed record DockerEngine(string Name, string Host, string Cli)
{
    /// <summary>Debian 12's dockerd 20.10 with Debian 12's client.</summary>
    public static DockerEngine Engine20 => new("dockerd 20.10", TestEnvironment.DockerHost, TestEnvironment.DockerCli20);

    /// <summary>Debian 13's dockerd 26 with Debian 13's client (testenv.sh runs it chrooted in a Debian 13 root).</summary>
    public static DockerEngine Engine26 => new("dockerd 26", TestEnvironment.DockerHost26, TestEnvironment.DockerCli26);

    public Task<ToolResult> DockerAsync(params string[] arguments) => DockerAsync(arguments, stdin: null);

    public Task<ToolResult> DockerAsync(IEnumerable<string> arguments, string? stdin) =>
        ToolRun.RunAsync(Cli, arguments, stdin, new Dictionary<string, string?> { ["DOCKER_HOST"] = Host });
}

/// <summary>How the launcher finds compose: <c>docker-compose</c> on its PATH, or docker's CLI plugin (<c>docker compose</c>).</summary>
public enum ComposeForm
{
    Standalone,
    Plugin,
}

public sealed record ComposeTool(string Name, string Binary, ComposeForm Form)
{
    public string LauncherCommand => Form == ComposeForm.Plugin ? "docker compose" : "docker-compose";
}

/// <summary>
/// The docker engine, docker CLI and compose one test runs the launcher with. The launcher gets a PATH whose first folder
/// holds only that CLI as <c>docker</c> (and the standalone compose as <c>docker-compose</c>), that engine as DOCKER_HOST,
/// and for the plugin form a DOCKER_CONFIG whose <c>cli-plugins</c> holds the compose binary; its config names the compose
/// command. The tests' own docker calls go to <see cref="Engine"/> with its CLI.
/// </summary>
public sealed record Toolchain(string Key, DockerEngine Engine, ComposeTool Compose)
{
    /// <summary>Debian 12: dockerd 20.10, its client and docker-compose 1.29.</summary>
    public static Toolchain Debian12 => new("debian12", DockerEngine.Engine20, new("compose 1.29", TestEnvironment.ComposeV1, ComposeForm.Standalone));

    /// <summary>Debian 13, as the launcher image and dstack run it: dockerd 26, its client, and compose 2.26 as the CLI plugin.</summary>
    public static Toolchain Debian13 => new("debian13", DockerEngine.Engine26, new("compose 2.26", TestEnvironment.ComposeV2_26, ComposeForm.Plugin));

    /// <summary>The newest compose Debian has (unstable's 2.40), standalone, on dockerd 26.</summary>
    public static Toolchain Compose240 => new("compose240", DockerEngine.Engine26, new("compose 2.40", TestEnvironment.ComposeV2_40, ComposeForm.Standalone));

    /// <summary>The compose-path tests run on each compose (and so on each engine).</summary>
    public static TheoryData<string> EachCompose => [Debian12.Key, Debian13.Key, Compose240.Key];

    /// <summary>The pull tests run on each engine.</summary>
    public static TheoryData<string> EachEngine => [Debian12.Key, Debian13.Key];

    public static Toolchain Named(string key) =>
        new[] { Debian12, Debian13, Compose240 }.SingleOrDefault(t => t.Key == key) ?? throw new ArgumentException($"no toolchain '{key}'", nameof(key));

    /// <summary>The folder whose <c>docker</c> (and <c>docker-compose</c>) come first on the launcher's PATH.</summary>
    public string BinDirectory
    {
        get
        {
            var bin = Path.Combine(TestEnvironment.State, "toolchains", Key, "bin");
            Link(Path.Combine(bin, "docker"), Engine.Cli);
            if (Compose.Form == ComposeForm.Standalone)
                Link(Path.Combine(bin, "docker-compose"), Compose.Binary);
            return bin;
        }
    }

    /// <summary>Makes <paramref name="folder"/> a docker config folder for this toolchain: empty, but for the compose plugin.</summary>
    public string DockerConfig(string folder)
    {
        Directory.CreateDirectory(folder);
        if (Compose.Form == ComposeForm.Plugin)
            Link(Path.Combine(folder, "cli-plugins", "docker-compose"), Compose.Binary);
        return folder;
    }

    /// <summary>The launcher's environment: PATH, DOCKER_HOST, and for the plugin form DOCKER_CONFIG.</summary>
    public Dictionary<string, string?> LauncherEnvironment()
    {
        var environment = new Dictionary<string, string?>
        {
            ["PATH"] = $"{BinDirectory}:/usr/sbin:/usr/bin:/sbin:/bin",
            ["DOCKER_HOST"] = Engine.Host,
        };
        if (Compose.Form == ComposeForm.Plugin)
            environment["DOCKER_CONFIG"] = DockerConfig(Path.Combine(TestEnvironment.State, "toolchains", Key, "docker-config"));
        return environment;
    }

    public override string ToString() => $"{Compose.Name} ({Compose.Form.ToString().ToLowerInvariant()}) on {Engine.Name} with {Engine.Cli}";

    private static void Link(string path, string target)
    {
        if (File.Exists(path) && new FileInfo(path).LinkTarget == target)
            return;
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.Delete(path);
        File.CreateSymbolicLink(path, target);
    }
}
