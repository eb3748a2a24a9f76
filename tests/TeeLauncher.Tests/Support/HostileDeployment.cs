using TeeLauncher.Tests.Support;

namespace TeeLauncher.Tests.Support;

/// <summary>A valid config, template, env and approved list in a scratch folder, for the fuzzers to break one at a time.</summary>
public sealed class HostileDeployment : IDisposable
{
    public const string Template = """
        services:
          node:
            image: ${TEE_LAUNCHER_IMAGE}
            environment:
              NODE_NAME: "${NODE_NAME}"
            ports:
              - "${PORT}:8080"
            command: ["/bin/sleep", "3600"]
        """;

    public const string ApprovedList = """
        {"approved_hashes": [
          "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
          "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        ]}
        """;

    private readonly TempDirectory _dir = new();

    public HostileDeployment()
    {
        ComposeFile = _dir.File("compose.yml", Template);
        ApprovedFile = _dir.File("approved.json", ApprovedList);
        ConfigFile = _dir.File("launcher.toml", Config("{ NODE_NAME = \"node-1\", PORT = \"8080\" }"));
    }

    public string ConfigFile { get; }

    public string ComposeFile { get; }

    public string ApprovedFile { get; }

    public string StateDir => _dir.Combine("state");

    public string Combine(string name) => _dir.Combine(name);

    public string Config(string env) => $$"""
        [launcher]
        platform = "dev"
        state_dir = "{{StateDir}}"

        [image]
        reference = "registry.example/mpc/node"
        default_digest = "{{Digests.C}}"
        approved_hashes_file = "{{ApprovedFile}}"

        [pull]
        policy = "always"
        attempts = 3
        backoff_initial = "1s"
        deadline = "10m"

        [measurement]
        backend = "none"
        event_name = "mpc-image-digest"

        [compose]
        file = "{{ComposeFile}}"
        project = "mpc"
        # the plugin: validate asks it for its model only where it is installed (fast); docker-compose 1.29 costs a second a case
        command = "docker compose"
        env = {{env}}
        stop_timeout = "10s"
        """ + "\n";

    /// <summary>validate, plan and verify change nothing: no state directory, no event log, nothing pulled or measured.</summary>
    public void ShouldBeUntouched() =>
        Directory.Exists(StateDir).Should().BeFalse("a command that changes nothing created the state directory");

    public void Dispose() => _dir.Dispose();
}
