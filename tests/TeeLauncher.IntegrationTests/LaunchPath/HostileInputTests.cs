using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using TeeLauncher.IntegrationTests.Support;
using TeeLauncher.Testing;

namespace TeeLauncher.IntegrationTests.LaunchPath;

/// <summary>
/// Issue 13, docs/spec.md §10, against the real dockerd, registry and compose: each class of hostile input or fault is refused
/// with its exit code and one line, before the pull, and nothing is pulled, measured, started or left behind.
/// </summary>
public sealed class HostileInputTests
{
    private const string Nobody = "65534";

    [Theory]
    [InlineData("config is a FIFO", 3, @"launcher\.toml: config file is a FIFO \(named pipe\), not a regular file")]
    [InlineData("config is /dev/zero", 3, @"/dev/zero: config file is a character device, not a regular file")]
    [InlineData("config path is empty", 3, @"the config path is empty; pass --config PATH")]
    [InlineData("template is a FIFO", 3, @"compose\.yml: compose template is a FIFO \(named pipe\), not a regular file")]
    [InlineData("approved list is a FIFO", 4, @"approved-hashes\.json: approved hashes file is a FIFO \(named pipe\), not a regular file; .*never falls back")]
    [InlineData("approved list is a directory", 4, @"approved-hashes\.json: approved hashes file is a directory, not a regular file; .*never falls back")]
    [InlineData("approved list is invalid UTF-8", 4, @"approved-hashes\.json:1:23: approved hashes file is not valid UTF-8")]
    [InlineData("password file is a FIFO", 3, @"launcher\.toml:\d+:\d+: password file of .* is a FIFO \(named pipe\), not a regular file")]
    [InlineData("event log is a directory", 7, @"event log .*events\.jsonl is a directory, not a regular file; remove it or set measurement\.event_log")]
    [InlineData("event log cannot be created", 7, @"event log .*/blocker/events\.jsonl cannot be written \(.*\); make its folder writable")]
    [InlineData("state directory others can write", 3, @"state directory .*/state can be written by group or others \(mode 0777\), so another user could plant files in it; run 'chmod 700 ")]
    [InlineData("state directory of another user", 3, @"state directory .*/state belongs to uid 65534, not to the launcher's user \(uid 0\)")]
    [InlineData("state directory is a file", 3, @"state directory .*/state is a regular file, not a directory")]
    [InlineData("docker daemon unreachable", 6, @"Cannot connect to the Docker daemon")]
    public async Task Refused_with_its_code_and_one_line_before_anything_is_pulled_measured_or_started(string kind, int code, string message)
    {
        await using var deployment = Deployment.Create("hostile", Toolchain.Debian12);
        var digest = await deployment.PushImageAsync();
        deployment.Approve(digest);
        var (arguments, environment) = await BreakAsync(deployment, kind);

        var run = await LauncherProcess.RunAsync(arguments, environment, toolchain: deployment.Toolchain).WaitAsync(TimeSpan.FromMinutes(2));

        run.ExitCode.Should().Be(code, run.Error);
        ErrorLine(run).Should().MatchRegex(message);
        await NothingPulledMeasuredStartedOrLeftAsync(deployment, digest);
    }

    [Fact]
    public async Task A_docker_socket_that_refuses_the_launchers_user_is_a_daemon_error_not_a_registry_refusal()
    {
        await using var deployment = Deployment.Create("socket", Toolchain.Debian12);
        var digest = await deployment.PushImageAsync();
        deployment.Approve(digest);
        deployment.Config = deployment.Config with { Attempts = 1 };
        OwnedByNobody(deployment.StateDir);

        var run = await AsNobodyAsync(deployment, "run");

        run.ExitCode.Should().Be(6, run.Error);
        ErrorLine(run).Should().MatchRegex("permission denied while trying to connect to the [Dd]ocker").And.NotContain("credentials");
        await NothingPulledMeasuredStartedOrLeftAsync(deployment, digest);
    }

    [Fact]
    public async Task A_state_directory_the_launcher_cannot_write_says_so()
    {
        await using var deployment = Deployment.Create("readonly", Toolchain.Debian12);
        var digest = await deployment.PushImageAsync();
        deployment.Approve(digest);
        OwnedByNobody(deployment.StateDir, UnixFileMode.UserRead | UnixFileMode.UserExecute);

        var run = await AsNobodyAsync(deployment, "run");

        run.ExitCode.Should().Be(3, run.Error);
        ErrorLine(run).Should().MatchRegex(@"state directory .*/state cannot be written \(permission denied\)").And.NotContain("another");
        await NothingPulledMeasuredStartedOrLeftAsync(deployment, digest);
    }

    [Fact]
    public async Task Symbolic_links_planted_in_the_state_directory_are_replaced_not_followed()
    {
        await using var deployment = Deployment.Create("planted", Toolchain.Debian12);
        var digest = await deployment.PushImageAsync();
        deployment.Approve(digest);
        Directory.CreateDirectory(deployment.StateDir);
        File.SetUnixFileMode(deployment.StateDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var victim = deployment.WriteFile("victim", "root-only content\n");
        foreach (var name in new[] { "status.json", "status.json.tmp", "compose.yml", "compose.yml.tmp" })
            File.CreateSymbolicLink(Path.Combine(deployment.StateDir, name), victim);

        var run = await deployment.LauncherAsync("run");

        run.ExitCode.Should().Be(0, run.Error);
        File.ReadAllText(victim).Should().Be("root-only content\n");
        new FileInfo(Path.Combine(deployment.StateDir, "status.json")).LinkTarget.Should().BeNull();
        new FileInfo(Path.Combine(deployment.StateDir, "compose.yml")).LinkTarget.Should().BeNull();
    }

    [Fact]
    public async Task An_event_log_failure_before_the_pull_leaves_no_record_that_blocks_the_next_run()
    {
        await using var deployment = Deployment.Create("nolog", Toolchain.Debian12);
        var digest = await deployment.PushImageAsync();
        deployment.Approve(digest);
        await BreakAsync(deployment, "event log cannot be created");

        var failed = await deployment.LauncherAsync("run");
        deployment.Config = deployment.Config with { MeasurementExtra = "" };
        var fixedRun = await deployment.LauncherAsync("run");

        failed.ExitCode.Should().Be(7, failed.Error);
        ErrorLine(failed).Should().Contain("cannot be written");
        LauncherLog.PullAttempts(failed.Error).Should().BeEmpty("the event log is checked before the pull");
        fixedRun.ExitCode.Should().Be(0, fixedRun.Error);
        deployment.EventLogLines().Should().HaveCount(2);
    }

    [Fact]
    public async Task Control_characters_from_a_registry_reach_the_console_and_status_escaped()
    {
        await using var deployment = Deployment.Create("forge", Toolchain.Debian12);
        using var registry = new ForgingRegistry("evil\u001b[2J\nINF forged line");
        deployment.Approve("sha256:" + new string('a', 64));
        deployment.Config = deployment.Config with { Reference = $"{registry.Host}/{deployment.Repository}", Attempts = 1 };

        var run = await deployment.LauncherAsync("run");
        var status = await deployment.LauncherAsync("status");

        run.ExitCode.Should().Be(5, run.Error);
        run.Error.Should().NotContain("\u001b").And.Contain("evil\\x1b[2J");
        run.Error.Split('\n').Should().NotContain(l => l.StartsWith("INF forged"));
        ErrorLine(run).Should().Contain("evil\\x1b[2J");
        status.ExitCode.Should().Be(0, status.Error);
        status.Out.Should().NotContain("\u001b").And.Contain("error:").And.Contain("evil\\x1b[2J");
    }

    [Fact]
    public async Task A_damaged_status_file_is_reported_as_damaged()
    {
        await using var deployment = Deployment.Create("damaged", Toolchain.Debian12);
        var digest = await deployment.PushImageAsync();
        deployment.Approve(digest);
        (await deployment.LauncherAsync("run")).ExitCode.Should().Be(0);
        File.WriteAllText(Path.Combine(deployment.StateDir, "status.json"), "{\"phase\": \"running\", \"config\": ");

        var status = await deployment.LauncherAsync("status");

        status.ExitCode.Should().Be(3, status.Error);
        ErrorLine(status).Should().MatchRegex(@"status file .*/status\.json is damaged \(.*\); it cannot say what this boot launched")
            .And.NotContain("nothing launched");
    }

    [Fact]
    public async Task Sigterm_while_compose_waits_on_a_health_check_stops_the_stack_within_stop_timeout()
    {
        await using var deployment = Deployment.Create("sigstart", Toolchain.Debian12);
        var digest = await deployment.PushImageAsync();
        deployment.Approve(digest);
        deployment.WriteTemplate("""
            services:
              app:
                image: ${TEE_LAUNCHER_IMAGE}
                network_mode: none
                command: ["/bin/sleep", "3600"]
                healthcheck:
                  test: ["CMD", "/bin/false"]
                  interval: 1s
                  start_period: 1h
              waiter:
                image: ${TEE_LAUNCHER_IMAGE}
                network_mode: none
                command: ["/bin/sleep", "3600"]
                depends_on:
                  app:
                    condition: service_healthy
            """);
        deployment.Config = deployment.Config with { StopTimeout = "3s", Supervise = true };
        File.WriteAllText(deployment.ConfigPath, deployment.Config.Render());
        await using var launcher = deployment.StartRun();
        await WaitForRunningAsync(deployment, launcher);

        var clock = Stopwatch.StartNew();
        await launcher.SignalAsync("TERM");
        var result = await launcher.WaitAsync(TimeSpan.FromSeconds(60));
        clock.Stop();

        result.ExitCode.Should().Be(8, result.Error);
        ErrorLine(result).Should().Be($"tee-launcher: stopped by a signal while compose was starting project '{deployment.Config.Project}'; " +
                                      "what it had started was stopped with compose down and nothing is left running");
        (await deployment.ContainersAsync(all: true)).Should().BeEmpty("nothing of the workload is left");
        clock.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(3 + 20), "compose down with stop_timeout 3s bounds the stop");
    }

    private static Task WaitForRunningAsync(Deployment deployment, LauncherProcess launcher) =>
        Eventually.HoldsAsync(async () => (await deployment.ContainersAsync()).Any(c => c.State == "running"), TimeSpan.FromMinutes(2),
            () => $"compose to start the app container; launcher log:\n{launcher.ErrorSoFar}", TimeSpan.FromMilliseconds(200));

    private static async Task<(string[] Arguments, Dictionary<string, string?> Environment)> BreakAsync(Deployment deployment, string kind)
    {
        var config = deployment.Config;
        var environment = new Dictionary<string, string?>();
        string? configPath = null;
        switch (kind)
        {
            case "config is a FIFO":
                configPath = Path.Combine(deployment.Directory, "fifo-launcher.toml");
                await MakeFifoAsync(configPath);
                break;
            case "config is /dev/zero":
                configPath = "/dev/zero";
                break;
            case "config path is empty":
                configPath = "";
                break;
            case "template is a FIFO":
                File.Delete(config.ComposeFile);
                await MakeFifoAsync(config.ComposeFile);
                break;
            case "approved list is a FIFO":
                File.Delete(config.ApprovedHashesFile!);
                await MakeFifoAsync(config.ApprovedHashesFile!);
                break;
            case "approved list is a directory":
                File.Delete(config.ApprovedHashesFile!);
                Directory.CreateDirectory(config.ApprovedHashesFile!);
                deployment.Config = config with { DefaultDigest = "sha256:" + new string('d', 64) };
                break;
            case "approved list is invalid UTF-8":
                File.WriteAllBytes(config.ApprovedHashesFile!, [.. "{\"approved_hashes\": [\""u8, 0xff, .. "\"]}"u8]);
                break;
            case "password file is a FIFO":
                var fifo = Path.Combine(deployment.Directory, "password");
                await MakeFifoAsync(fifo);
                deployment.Config = config with { Registries = Registries.PrivateRegistryTests.Credentials(TestEnvironment.Registry, "user", fifo) };
                break;
            case "event log is a directory":
                Directory.CreateDirectory(deployment.EventLog);
                break;
            case "event log cannot be created":
                var blocker = deployment.WriteFile("blocker", "a file where the log's folder should be");
                deployment.Config = config with { MeasurementExtra = $"event_log = \"{blocker}/events.jsonl\"\n" };
                break;
            case "state directory others can write":
                Directory.CreateDirectory(deployment.StateDir);
                File.SetUnixFileMode(deployment.StateDir, (UnixFileMode)0b111_111_111);
                break;
            case "state directory of another user":
                OwnedByNobody(deployment.StateDir);
                break;
            case "state directory is a file":
                File.WriteAllText(deployment.StateDir, "not a directory");
                break;
            case "docker daemon unreachable":
                environment["DOCKER_HOST"] = $"unix://{Path.Combine(deployment.Directory, "no-daemon.sock")}";
                deployment.Config = config with { Attempts = 1 };
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, null);
        }
        File.WriteAllText(deployment.ConfigPath, deployment.Config.Render());
        return (["run", "--config", configPath ?? deployment.ConfigPath], environment);
    }

    private static async Task NothingPulledMeasuredStartedOrLeftAsync(Deployment deployment, string digest)
    {
        (await deployment.ImagePresentAsync(deployment.Pinned(digest))).Should().BeFalse("nothing is pulled");
        (File.Exists(deployment.EventLog) && deployment.EventLogLines().Length > 0).Should().BeFalse("nothing is measured");
        (await deployment.ContainersAsync(all: true)).Should().BeEmpty("nothing is started");
        if (Directory.Exists(deployment.StateDir))
            Directory.GetFileSystemEntries(deployment.StateDir)
                .Where(e => Path.GetFileName(e) is var n && (n.EndsWith(".tmp") || n.StartsWith("docker-config-") || n == "measured.json"))
                .Should().BeEmpty("no temporary file, credentials folder or pending record is left");
    }

    /// <summary>The launcher's own error line: exactly one line starts with "tee-launcher:", and no stack trace is printed.</summary>
    private static string ErrorLine(ToolResult run)
    {
        var lines = run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines.Should().NotContain(l => Regex.IsMatch(l, @"^\s+at \S+\(|Exception:"), "no stack trace: {0}", run.Error);
        return lines.Should().ContainSingle(l => l.StartsWith("tee-launcher: "), "one error line: {0}", run.Error).Which;
    }

    private static Task MakeFifoAsync(string path) => ToolRun.RunAsync("mkfifo", [path]);

    private static void OwnedByNobody(string directory, UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute)
    {
        Directory.CreateDirectory(directory);
        File.SetUnixFileMode(directory, mode);
        ToolRun.RunAsync("chown", [$"{Nobody}:{Nobody}", directory]).GetAwaiter().GetResult().Succeeded("chown");
    }

    /// <summary>Runs the launcher as user nobody (setpriv), with the test environment's docker socket, which nobody may not use.</summary>
    private static Task<ToolResult> AsNobodyAsync(Deployment deployment, string command)
    {
        File.WriteAllText(deployment.ConfigPath, deployment.Config.Render());
        return ToolRun.RunAsync("setpriv", [$"--reuid={Nobody}", $"--regid={Nobody}", "--clear-groups", TestEnvironment.Launcher, command, "--config", deployment.ConfigPath],
            environment: new Dictionary<string, string?>
            {
                ["HOME"] = deployment.Directory, ["JOURNAL_STREAM"] = null, ["NOTIFY_SOCKET"] = null, ["TEE_LAUNCHER_CONFIG"] = null,
            },
            timeout: TimeSpan.FromMinutes(2));
    }

    /// <summary>A registry (distribution's API v2, plain HTTP on loopback) whose every manifest answer is an error with the given message.</summary>
    private sealed class ForgingRegistry : IDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly byte[] _error;

        public ForgingRegistry(string message)
        {
            var port = RegistryServer.UnusedPort();
            Host = $"127.0.0.1:{port}";
            _error = Encoding.UTF8.GetBytes(System.Text.Json.JsonSerializer.Serialize(new { errors = new[] { new { code = "MANIFEST_UNKNOWN", message } } }));
            _listener.Prefixes.Add($"http://{Host}/");
            _listener.Start();
            _ = ServeAsync();
        }

        public string Host { get; }

        private Task ServeAsync() => HttpServing.ServeAsync(_listener, async context =>
        {
            var root = context.Request.Url!.AbsolutePath.TrimEnd('/') == "/v2";
            context.Response.StatusCode = root ? 200 : 404;
            context.Response.ContentType = "application/json";
            context.Response.AddHeader("Docker-Distribution-API-Version", "registry/2.0");
            var body = root ? "{}"u8.ToArray() : _error;
            context.Response.ContentLength64 = body.Length;
            if (context.Request.HttpMethod != "HEAD")
                await context.Response.OutputStream.WriteAsync(body);
            context.Response.Close();
        });

        public void Dispose() => _listener.Close();
    }
}
