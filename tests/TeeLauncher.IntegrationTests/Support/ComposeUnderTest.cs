namespace TeeLauncher.IntegrationTests.Support;

/// <summary>
/// A real compose the launcher runs as its standalone <c>docker-compose</c>: docker-compose 1.29 (Debian 12's, on PATH) or
/// compose v2 from the binary tests/env/testenv.sh exports (TEE_TEST_COMPOSE_V2_26, TEE_TEST_COMPOSE_V2_40); a test that
/// needs one fails when its variable is missing.
/// </summary>
public sealed record ComposeUnderTest(string Name, string? Variable)
{
    public static readonly ComposeUnderTest V1 = new("docker-compose 1.29", null);
    public static readonly ComposeUnderTest V2_26 = new("compose 2.26", "TEE_TEST_COMPOSE_V2_26");
    public static readonly ComposeUnderTest V2_40 = new("compose 2.40", "TEE_TEST_COMPOSE_V2_40");

    public static ComposeUnderTest Named(string name) => new[] { V1, V2_26, V2_40 }.Single(c => c.Name == name);

    /// <summary>The compose executable: <c>docker-compose</c> on PATH for v1, else the exported binary.</summary>
    public string Executable => Variable is null
        ? "docker-compose"
        : Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } path && File.Exists(path)
            ? path
            : throw new InvalidOperationException($"{Variable} is not set to a compose v2 binary: run the tests through tests/env/testenv.sh, which provides it");

    /// <summary>PATH for the launcher with this compose first, as <c>docker-compose</c>.</summary>
    public IReadOnlyDictionary<string, string?> LauncherEnvironment(string scratch)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin";
        if (Variable is null)
            return new Dictionary<string, string?> { ["PATH"] = path };
        var folder = Path.Combine(scratch, "compose-bin");
        Directory.CreateDirectory(folder);
        var link = Path.Combine(folder, "docker-compose");
        if (!File.Exists(link))
            File.CreateSymbolicLink(link, Executable);
        return new Dictionary<string, string?> { ["PATH"] = $"{folder}:{path}" };
    }

    /// <summary>Runs one launcher command of <paramref name="deployment"/> with this compose as its compose.command.</summary>
    public Task<ToolResult> LauncherAsync(Deployment deployment, IReadOnlyDictionary<string, string?>? extra, params string[] arguments)
    {
        var config = deployment.Config.Render().Replace("[compose]\n", "[compose]\ncommand = \"docker-compose\"\n", StringComparison.Ordinal);
        File.WriteAllText(deployment.ConfigPath, config);
        var environment = new Dictionary<string, string?>(LauncherEnvironment(deployment.Directory));
        foreach (var (name, value) in extra ?? new Dictionary<string, string?>())
            environment[name] = value;
        return LauncherProcess.RunAsync([.. arguments, "--config", deployment.ConfigPath], environment);
    }

    public override string ToString() => Name;
}
