using System.Text;
using TeeLauncher.Cli;
using TeeLauncher.Tests.Support;

namespace TeeLauncher.Tests.Cli;

/// <summary>
/// Issue 20 through the command line, in process: hostile text on every channel a command prints, and the inputs the peers
/// write (NEAR's approved list, docker's registry names, docker's auth form) read as the peers read them.
/// </summary>
public sealed class PeerAgreementTests : IDisposable
{
    private readonly HostileDeployment _deployment = new();
    private readonly TempDirectory _dir = new();

    public void Dispose()
    {
        _deployment.Dispose();
        _dir.Dispose();
    }

    private static void ShouldHoldNoControlText(string text) =>
        text.Where(c => c != '\n' && (char.IsControl(c) || "\u2028\u2029\u202e\u2066".Contains(c))).Should().BeEmpty();

    private string ConfigWith(Func<string, string> change)
    {
        var file = _deployment.Combine("changed.toml");
        File.WriteAllText(file, change(File.ReadAllText(_deployment.ConfigFile)));
        return file;
    }

    [Fact]
    public async Task Plan_prints_an_event_name_of_line_separators_and_bidi_overrides_escaped()
    {
        var config = ConfigWith(toml => toml.Replace("event_name = \"mpc-image-digest\"", "event_name = \"mpc\\u2028verified\\u202eok\""));

        var (code, output, _) = await CommandLine.RunAsync("plan", "--config", config);

        code.Should().Be(0);
        output.Should().Contain("event mpc\\u2028verified\\u202eok: payload");
        ShouldHoldNoControlText(output);
    }

    [Fact]
    public async Task Verify_prints_hostile_event_names_escaped_and_one_error_line()
    {
        var log = _dir.File("events.jsonl", """
            {"event":"\u001b[2J\u001b[Hverified\r\nreplay:","event_payload":""}
            {"event":"image-digest","event_payload":"abababababababababababababababababababababababababababababababab"}
            """);

        var (code, output, error) = await CommandLine.RunAsync("verify", "--event-log", log, "--rtmr3", new string('0', 96));

        code.Should().Be(1);
        output.Should().Contain("\\x1b[2J\\x1b[Hverified\\r\\nreplay:");
        output.Split('\n').Count(line => line.StartsWith("replay:", StringComparison.Ordinal)).Should().Be(1, "no event forges a report line");
        ShouldHoldNoControlText(output);
        error.TrimEnd('\n').Should().NotContain("\n").And.StartWith("tee-launcher: NOT verified: RTMR3 differs");
    }

    [Fact]
    public async Task Verify_keeps_a_hundred_failures_and_counts_the_rest()
    {
        var lines = Enumerable.Range(0, 250).Select(i => $"{{\"event\":\"e{i}\",\"event_payload\":\"\",\"digest\":\"{new string('0', 96)}\"}}");
        var log = _dir.File("bad.jsonl", string.Join('\n', lines));

        var (code, output, _) = await CommandLine.RunAsync("verify", "--event-log", log, "--rtmr3", new string('0', 96), "--json");

        code.Should().Be(1);
        output.Should().Contain("\"event_count\": 250").And.Contain("and 152 more failures");
    }

    [Fact]
    public async Task An_event_name_of_a_hundred_emoji_is_a_hundred_characters()
    {
        var hundred = ConfigWith(toml => toml.Replace("mpc-image-digest", string.Concat(Enumerable.Repeat("😀", 100))));
        var (accepted, _, _) = await CommandLine.RunAsync("validate", "--config", hundred);
        var over = ConfigWith(toml => toml.Replace("mpc-image-digest", string.Concat(Enumerable.Repeat("😀", 129))));
        var (refused, _, error) = await CommandLine.RunAsync("validate", "--config", over);

        accepted.Should().Be(0);
        refused.Should().Be(3);
        error.Should().Contain("measurement.event_name must be 1 to 128 characters");
    }

    [Fact]
    public async Task An_approved_list_with_a_field_near_does_not_know_yet_is_read()
    {
        // NEAR's reader: `#[derive(Deserialize)] struct ApprovedHashesFile { approved_hashes: Vec<MpcDockerImageHash> }`,
        // serde without deny_unknown_fields (near/mpc, the launcher's types module).
        File.WriteAllText(_deployment.ApprovedFile, $$"""
            {"approved_hashes": ["{{Digests.B}}"], "schema": {"version": 2, "added": [null, true, 1.5]}, "approved_at": "2026-12-01"}
            """);

        var (code, output, _) = await CommandLine.RunAsync("plan", "--config", _deployment.ConfigFile);

        code.Should().Be(0);
        output.Should().Contain(Digests.B.ToString());
    }

    [Theory]
    [InlineData("index.docker.io", "registry host 'index.docker.io' is Docker Hub, 'docker.io', which is configured twice")]
    [InlineData("docker.io", "registry host 'docker.io' is configured twice")]
    public async Task Index_docker_io_is_docker_hub_in_a_registry_table(string second, string message)
    {
        var config = ConfigWith(toml => toml + $"""

            [[registry]]
            host = "index.docker.io"
            mirrors = ["mirror.internal:5000"]

            [[registry]]
            host = "{second}"
            """);

        var (code, _, error) = await CommandLine.RunAsync("validate", "--config", config);

        code.Should().Be(3);
        error.Should().Contain(message);
    }

    [Fact]
    public async Task Index_docker_io_mirrors_apply_to_docker_hub_images()
    {
        var config = ConfigWith(toml => toml.Replace("registry.example/mpc/node", "nearone/mpc-node") + """

            [[registry]]
            host = "index.docker.io"
            mirrors = ["mirror.internal:5000"]
            """);

        var (code, output, _) = await CommandLine.RunAsync("plan", "--config", config);

        code.Should().Be(0);
        output.Should().Contain("mirror.internal:5000/nearone/mpc-node@");
    }

    [Fact]
    public async Task A_compose_file_inside_the_state_directory_through_a_symlink_is_refused()
    {
        var state = Directory.CreateDirectory(_deployment.StateDir + "-real").FullName;
        var link = _deployment.Combine("link-to-state");
        File.CreateSymbolicLink(link, state);
        var template = Path.Combine(state, "compose.yml");
        File.Copy(_deployment.ComposeFile, template);
        var config = ConfigWith(toml => toml
            .Replace($"state_dir = \"{_deployment.StateDir}\"", $"state_dir = \"{state}\"")
            .Replace($"file = \"{_deployment.ComposeFile}\"", $"file = \"{Path.Combine(link, "compose.yml")}\""));

        var (code, _, error) = await CommandLine.RunAsync("validate", "--config", config);

        code.Should().Be(3);
        error.Should().Contain("is inside launcher.state_dir");
    }

    [Fact]
    public async Task Encrypt_auth_takes_docker_auth_with_an_empty_password()
    {
        var key = _dir.Combine("registry.key");
        var (_, publicKey, _) = await CommandLine.RunAsync("keygen", "--out", key);
        var auth = Convert.ToBase64String(Encoding.UTF8.GetBytes("user:"));

        var (code, output, error) = await CommandLine.RunWithInputAsync($"{{\"auth\": \"{auth}\"}}", "encrypt-auth", "--pubkey", publicKey.Trim());

        code.Should().Be(0, error);
        output.Trim().Should().MatchRegex("^[0-9a-f]+$");
    }
}
