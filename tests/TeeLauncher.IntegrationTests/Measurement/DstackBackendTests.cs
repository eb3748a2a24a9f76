using TeeLauncher.IntegrationTests.Support;
using TeeLauncher.Testing;

namespace TeeLauncher.IntegrationTests.Measurement;

/// <summary>
/// Issues 3, 4 and 12: the dstack backend. dstack cannot run here, so <see cref="DstackStandIn"/> stands in for its
/// guest agent (HTTP on a unix socket: /EmitEvent as up to 0.5.11, or 404 as later releases), <see cref="RtmrStandIn"/>
/// (FUSE, the kernel's semantics) for the RTMR3 attribute, and <see cref="DstackTool"/> for dstack's own services
/// (system setup's version file and events, dstack's lock).
/// </summary>
public sealed class DstackBackendTests
{
    [Fact]
    public async Task Dstack_receives_the_events_of_the_log_and_verify_accepts_the_log()
    {
        await using var deployment = Deployment.Create("dstack", Toolchain.Debian12);
        var digest = await deployment.PushImageAsync();
        deployment.Approve(digest);
        using var dstack = new DstackStandIn(Path.Combine(deployment.Directory, "dstack.sock"));
        deployment.Config = deployment.Config with { Backend = "dstack", MeasurementExtra = $"dstack_socket = \"{dstack.SocketPath}\"\n" };

        var run = await deployment.LauncherAsync("run");

        run.ExitCode.Should().Be(0, run.Error);
        dstack.Events.Should().HaveCount(2);
        dstack.Events[0].Should().Be(("image-digest", digest["sha256:".Length..]));
        var measure = await LauncherProcess.RunAsync(["measure", "--digest", digest, "--compose", Path.Combine(deployment.StateDir, "compose.yml"), "--json"]);
        measure.ExitCode.Should().Be(0, measure.Output);
        foreach (var line in deployment.EventLogLines())
            measure.Out.Should().Contain(System.Text.Json.JsonDocument.Parse(line).RootElement.GetProperty("digest").GetString(),
                "measure predicts every digest run emitted");

        var rtmr3 = Convert.ToHexStringLower(EventLogReplay.Rtmr3(dstack.Events));
        var verify = await LauncherProcess.RunAsync(["verify", "--event-log", deployment.EventLog, "--rtmr3", rtmr3,
            "--approved-hashes", deployment.Config.ApprovedHashesFile!, "--compose", Path.Combine(deployment.StateDir, "compose.yml")]);
        verify.ExitCode.Should().Be(0, verify.Output);
        verify.Out.Should().Contain(digest).And.Contain("position 1");

        var edited = deployment.WriteFile("edited.jsonl", File.ReadAllText(deployment.EventLog).Replace(digest["sha256:".Length..], new string('0', 64)));
        var refused = await LauncherProcess.RunAsync(["verify", "--event-log", edited, "--rtmr3", rtmr3]);
        refused.ExitCode.Should().Be(1, refused.Output);
        refused.Error.Should().Contain("event 1 'image-digest'");
    }

    [Fact]
    public async Task A_missing_dstack_socket_fails_the_boot_with_exit_7_before_the_pull()
    {
        await using var deployment = Deployment.Create("nodstack", Toolchain.Debian12);
        var digest = await deployment.PushImageAsync();
        deployment.Approve(digest);
        deployment.Config = deployment.Config with
        {
            Backend = "dstack", MeasurementExtra = $"dstack_socket = \"{Path.Combine(deployment.Directory, "absent.sock")}\"\n",
        };

        var run = await deployment.LauncherAsync("run");

        run.ExitCode.Should().Be(7, run.Error);
        run.Error.Should().Contain("absent.sock");
        (await deployment.ImagePresentAsync(deployment.Pinned(digest))).Should().BeFalse();
        (await deployment.ContainersAsync(all: true)).Should().BeEmpty();
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task On_a_dstack_without_emit_event_dstacks_log_the_launchers_log_and_rtmr3_replay_to_the_same_value(int version)
    {
        await using var later = await LaterDstack.StartAsync($"dstack-v{version}");
        var (deployment, digest, dstack, rtmr) = (later.Deployment, later.Digest, later.Agent, later.Rtmr);
        var events = DstackSystem(deployment, rtmr, version, boot: version == 2);
        var before = Convert.ToHexStringLower(rtmr.Rtmr3);
        deployment.Config = deployment.Config with
        {
            Platform = "tee", Backend = "dstack", MeasurementExtra = Protocol(dstack, events, rtmr) + $"event_version = {3 - version}\n",
        };

        var run = await deployment.LauncherAsync("run");

        run.ExitCode.Should().Be(0, run.Error);
        dstack.EmitEventCalls.Should().BeEmpty("this dstack has no /EmitEvent: only the probe was sent");
        var rtmr3 = Convert.ToHexStringLower(rtmr.Rtmr3);
        var log = Path.Combine(events, "runtime_events.log");
        DstackTool.Replay(log).Should().Be(rtmr3, "dstack's log replays to RTMR3, so dstack's GetQuote and verifier do too");
        var lines = File.ReadAllLines(log);
        lines[^2..].Should().Equal(
            $"{{\"event\":\"image-digest\",\"payload\":\"{Convert.ToBase64String(Convert.FromHexString(digest["sha256:".Length..]))}\"{(version == 2 ? ",\"version\":2" : "")}}}",
            $"{{\"event\":\"launcher-compose-hash\",\"payload\":\"{Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(Path.Combine(deployment.StateDir, "compose.yml"))))}\"{(version == 2 ? ",\"version\":2" : "")}}}");
        if (version == 1)
            File.GetUnixFileMode(log).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite, "the launcher created dstack's log as dstack does");
        deployment.EventLogLines().Should().OnlyContain(l => l.Contains("\"version\":2") == (version == 2), "the version is dstack's, not the config's");

        var dstackLog = await LauncherProcess.RunAsync(["verify", "--event-log", log, "--rtmr3", rtmr3, "--approved-hashes", deployment.Config.ApprovedHashesFile!]);
        dstackLog.ExitCode.Should().Be(0, dstackLog.Output);
        dstackLog.Out.Should().Contain(digest).And.Contain("dstack runtime_events.log");
        var launcherLog = await LauncherProcess.RunAsync(["verify", "--event-log", deployment.EventLog, "--base", before, "--rtmr3", rtmr3]);
        launcherLog.ExitCode.Should().Be(0, launcherLog.Output);
    }

    [Fact]
    public async Task On_a_dstack_without_emit_event_a_missing_system_setup_fails_the_boot_with_exit_7_before_the_pull()
    {
        await using var later = await LaterDstack.StartAsync("dstack-nosetup");
        var (deployment, digest, dstack, rtmr) = (later.Deployment, later.Digest, later.Agent, later.Rtmr);
        var events = Directory.CreateDirectory(Path.Combine(deployment.Directory, "run-log-dstack")).FullName;
        deployment.Config = deployment.Config with { Platform = "tee", Backend = "dstack", MeasurementExtra = Protocol(dstack, events, rtmr) };

        var run = await deployment.LauncherAsync("run");

        run.ExitCode.Should().Be(7, run.Error);
        run.Error.Should().Contain("runtime_event_version does not exist").And.Contain("system setup has not run");
        (await deployment.ImagePresentAsync(deployment.Pinned(digest))).Should().BeFalse("the backend is checked before the pull");
    }

    [Fact]
    public async Task On_a_dstack_without_emit_event_a_launcher_waits_for_dstacks_lock_and_never_interleaves()
    {
        await using var later = await LaterDstack.StartAsync("dstack-lock");
        var (deployment, digest, dstack, rtmr) = (later.Deployment, later.Digest, later.Agent, later.Rtmr);
        var events = DstackSystem(deployment, rtmr, 1, boot: true);
        deployment.Config = deployment.Config with { Backend = "dstack", MeasurementExtra = Protocol(dstack, events, rtmr) };
        File.WriteAllText(deployment.ConfigPath, deployment.Config.Render());
        using var service = DstackTool.HoldLockThenEmit(events, rtmr.Rtmr3Path, "other-service", "c0ffee", Path.Combine(deployment.Directory, "hold"));
        await service.HeldAsync(TimeSpan.FromSeconds(30));
        var held = rtmr.Rtmr3;

        await using var launcher = deployment.StartRun();
        await WaitUntilAsync(() => deployment.EventLogLines().Length == 1, TimeSpan.FromMinutes(2));
        await Task.Delay(TimeSpan.FromSeconds(1));
        rtmr.Rtmr3.Should().Equal(held, "the launcher waits for dstack's lock before it extends");
        await service.ReleaseAsync();
        var run = await launcher.WaitAsync(TimeSpan.FromMinutes(2));

        run.ExitCode.Should().Be(0, run.Error);
        var log = Path.Combine(events, "runtime_events.log");
        File.ReadAllLines(log)[^3..].Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("event").GetString())
            .Should().Equal("other-service", "image-digest", "launcher-compose-hash");
        DstackTool.Replay(log).Should().Be(Convert.ToHexStringLower(rtmr.Rtmr3), "each extend and its log line stayed together");
    }

    [Fact]
    public async Task On_a_dstack_without_emit_event_a_crash_between_extend_and_log_line_is_found_by_the_next_run()
    {
        await using var later = await LaterDstack.StartAsync("dstack-crash");
        var (deployment, digest, dstack, rtmr) = (later.Deployment, later.Digest, later.Agent, later.Rtmr);
        var events = DstackSystem(deployment, rtmr, 2, boot: true);
        var dstackLines = File.ReadAllLines(Path.Combine(events, "runtime_events.log"));
        deployment.Config = deployment.Config with { Platform = "tee", Backend = "dstack", MeasurementExtra = Protocol(dstack, events, rtmr) };
        File.WriteAllText(deployment.ConfigPath, deployment.Config.Render());
        rtmr.PauseAfterExtend();

        await using (var first = deployment.StartRun())
        {
            await rtmr.WaitUntilPausedAsync(TimeSpan.FromMinutes(2));
            await first.SignalAsync("KILL");
            // The kernel lets the killed launcher go once the file system has answered its write.
            rtmr.Resume();
            (await first.WaitAsync(TimeSpan.FromSeconds(30))).ExitCode.Should().NotBe(0);
        }
        File.ReadAllLines(Path.Combine(events, "runtime_events.log")).Should().Equal(dstackLines, "the launcher died before its log line");
        DstackTool.Replay(Path.Combine(events, "runtime_events.log")).Should().NotBe(Convert.ToHexStringLower(rtmr.Rtmr3), "RTMR3 holds the event");

        var next = await deployment.LauncherAsync("run");

        next.ExitCode.Should().Be(7, next.Error);
        next.Error.Should().Contain("event 'image-digest'").And.Contain("never confirmed");
        (await deployment.ContainersAsync(all: true)).Should().BeEmpty("nothing launches on a log and register that may disagree");
    }

    [Fact]
    public async Task A_launcher_killed_between_log_and_extend_is_reported_by_the_next_run_of_the_boot()
    {
        await using var deployment = Deployment.Create("crash", Toolchain.Debian12);
        var digest = await deployment.PushImageAsync();
        deployment.Approve(digest);
        using var release = new CancellationTokenSource();
        var extending = new TaskCompletionSource();
        // dstack takes the request and never answers: the launcher is killed while it waits for the extend.
        using var dstack = new DstackStandIn(Path.Combine(deployment.Directory, "dstack.sock"), async (_, _) =>
        {
            extending.TrySetResult();
            await Task.Delay(Timeout.Infinite, release.Token).ContinueWith(_ => { });
        });
        deployment.Config = deployment.Config with
        {
            Platform = "tee", Backend = "dstack", MeasurementExtra = $"dstack_socket = \"{dstack.SocketPath}\"\n",
        };
        File.WriteAllText(deployment.ConfigPath, deployment.Config.Render());

        await using (var first = deployment.StartRun())
        {
            await extending.Task.WaitAsync(TimeSpan.FromMinutes(2));
            await first.SignalAsync("KILL");
            (await first.WaitAsync(TimeSpan.FromSeconds(30))).ExitCode.Should().NotBe(0);
        }
        deployment.EventLogLines().Should().ContainSingle("the image event was logged before its extend was asked for");

        var next = await deployment.LauncherAsync("run");

        next.ExitCode.Should().Be(7, next.Error);
        next.Error.Should().Contain("event 'image-digest'").And.Contain("never confirmed");
        (await deployment.ContainersAsync(all: true)).Should().BeEmpty("nothing launches on a log and register that may disagree");
        await release.CancelAsync();
    }

    /// <summary>What dstack's system setup leaves behind: the version file and, on a booted CVM, its own events.</summary>
    private static string DstackSystem(Deployment deployment, RtmrStandIn rtmr, int version, bool boot)
    {
        var events = Directory.CreateDirectory(Path.Combine(deployment.Directory, "run-log-dstack")).FullName;
        File.WriteAllText(Path.Combine(events, "runtime_event_version"), version.ToString());
        if (boot)
        {
            foreach (var (name, payload) in new[] { ("system-preparing", ""), ("app-id", new string('a', 40)), ("compose-hash", new string('c', 64)), ("system-ready", "") })
                DstackTool.Emit(events, rtmr.Rtmr3Path, name, payload);
        }
        return events;
    }

    private static string Protocol(DstackStandIn dstack, string events, RtmrStandIn rtmr) =>
        $"dstack_socket = \"{dstack.SocketPath}\"\ndstack_event_dir = \"{events}\"\ntdx_rtmr_path = \"{rtmr.Rtmr3Path}\"\n";

    private static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (!condition())
            await Task.Delay(50, deadline.Token);
    }

    /// <summary>A deployment on a dstack without /EmitEvent: the agent's stand-in answers 404 and the RTMR stand-in is mounted.</summary>
    private sealed class LaterDstack : IAsyncDisposable
    {
        private LaterDstack(Deployment deployment, string digest, DstackStandIn agent, RtmrStandIn rtmr) =>
            (Deployment, Digest, Agent, Rtmr) = (deployment, digest, agent, rtmr);

        public Deployment Deployment { get; }

        public string Digest { get; }

        public DstackStandIn Agent { get; }

        public RtmrStandIn Rtmr { get; }

        public static async Task<LaterDstack> StartAsync(string name)
        {
            var deployment = Deployment.Create(name, Toolchain.Debian12);
            var digest = await deployment.PushImageAsync();
            deployment.Approve(digest);
            var agent = new DstackStandIn(Path.Combine(deployment.Directory, "dstack.sock"), status: "404 Not Found");
            return new LaterDstack(deployment, digest, agent, await RtmrStandIn.MountAsync(deployment.Directory));
        }

        public async ValueTask DisposeAsync()
        {
            await Rtmr.DisposeAsync();
            Agent.Dispose();
            await Deployment.DisposeAsync();
        }
    }
}
