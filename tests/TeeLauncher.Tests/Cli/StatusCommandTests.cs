using TeeLauncher.Cli;
using TeeLauncher.Tests.Support;

namespace TeeLauncher.Tests.Cli;

/// <summary>docs/spec.md §10: <c>status</c> never mistakes a damaged record for an empty boot, and prints recorded text escaped.</summary>
public sealed class StatusCommandTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    private string Config => _dir.File("launcher.toml", $$"""
        [launcher]
        platform = "dev"
        state_dir = "{{_dir.Combine("state")}}"
        [image]
        reference = "registry.example/app"
        default_digest = "{{Digests.A}}"
        [measurement]
        backend = "none"
        [compose]
        file = "{{_dir.File("compose.yml", "services: {}\n")}}"
        project = "app"
        """);

    [Theory]
    [InlineData("{\"phase\": ")]
    [InlineData("null")]
    [InlineData("{\"phase\": 3}")]
    [InlineData("\u00ff\u00fe")]
    public async Task A_damaged_status_file_is_reported_as_damaged(string content)
    {
        var config = Config;
        _dir.File("state/status.json", content);

        var (code, stdout, stderr) = await CommandLine.RunAsync("status", "--config", config);

        code.Should().Be(3, stderr);
        stdout.Should().BeEmpty();
        stderr.Should().StartWith($"tee-launcher: status file {_dir.Combine("state/status.json")} is damaged (")
            .And.NotContain("nothing launched");
    }

    [Fact]
    public async Task Text_recorded_from_a_registry_is_printed_with_its_control_characters_escaped()
    {
        var config = Config;
        _dir.File("state/status.json", """
            {"phase": "failed", "config": "c", "launcher_version": "v", "updated_at": "2026-12-01T08:00:00Z",
             "error": "registry said: denied\u001b[2J\nINF forged line"}
            """);

        var (code, stdout, stderr) = await CommandLine.RunAsync("status", "--config", config);

        code.Should().Be(0, stderr);
        stdout.Should().Contain("error:       registry said: denied\\x1b[2J\\nINF forged line").And.NotContain("\u001b");
    }

    [Fact]
    public async Task Restarts_per_service_and_the_approval_verdict_are_printed_with_file_text_escaped()
    {
        var config = Config;
        _dir.File("state/status.json", """
            {"phase": "running", "config": "c", "launcher_version": "v", "updated_at": "2026-12-01T08:00:00Z",
             "services": [{"name": "web", "restarts": 4, "last_exit_code": 3, "last_exit_at": "2026-12-01T07:59:00Z", "restarting": true},
                          {"name": "db", "restarts": 0, "restarting": false}, null],
             "approval": {"state": "unreadable", "policy": "report", "detail": "approved.json:1:1: not JSON\u001b[2J",
                          "since": "2026-12-01T07:58:00Z", "checked_at": "2026-12-01T08:00:00Z"}}
            """);

        var (code, stdout, stderr) = await CommandLine.RunAsync("status", "--config", config);

        code.Should().Be(0, stderr);
        stdout.Should().Contain("  service web: 4 restarts since launch, last exit 3 at 2026-12-01 07:59:00Z, restarting now\n")
            .And.Contain("  service db: 0 restarts since launch, no exit\n")
            .And.Contain("approval:    unreadable since 2026-12-01 07:58:00Z (checked 2026-12-01 08:00:00Z, on_unapproved = report): approved.json:1:1: not JSON\\x1b[2J")
            .And.NotContain("\u001b");
    }

    public void Dispose() => _dir.Dispose();
}
