using System.Security.Cryptography;
using TeeLauncher.IntegrationTests.Support;
using TeeLauncher.Testing;

namespace TeeLauncher.IntegrationTests.Measurement;

/// <summary>
/// Issues 3, 4, 12 and 18: the dstack backend on the releases dstack ships. dstack cannot run here, so
/// <see cref="DstackStandIn"/> stands in for its guest agent as dstack's source answers: at v0.5.11 (commit
/// 40eaf35e6b3f112998d01569f2a26110baab123b) with EmitEvent, whose emit_runtime_event logs then extends RTMR3; after
/// pull request #768 (commit c9191c9324a7a24ddcf9d7eea4d283b3ff842b78) without it, HTTP 400
/// <c>{"error": "Service not found: EmitEvent"}</c>. <see cref="RtmrStandIn"/> (FUSE, the kernel's semantics) stands in for
/// the RTMR3 attribute, swtpm is GCP's TPM, and <see cref="DstackTool"/> plays dstack's own services (system setup's version
/// file and events, dstack's lock, PCR 14 on GCP), following dstack-attest's emit_runtime_event at commit c9191c93.
/// </summary>
public sealed class DstackBackendTests
{
    [Fact]
    public async Task On_a_dstack_with_emit_event_the_agent_receives_the_events_and_dstacks_log_replays_to_rtmr3()
    {
        await using var cvm = await DstackCvm.StartAsync("dstack-0511", DstackRelease.WithEmitEvent);
        var (deployment, digest, dstack) = (cvm.Deployment, cvm.Digest, cvm.Agent);
        deployment.Config = deployment.Config with { MeasurementExtra = $"dstack_socket = \"{dstack.SocketPath}\"\n" };

        var run = await deployment.LauncherAsync("run");

        run.ExitCode.Should().Be(0, run.Error);
        dstack.Events.Should().HaveCount(2);
        dstack.Events[0].Should().Be(("image-digest", digest["sha256:".Length..]));
        dstack.Requests.Should().HaveCount(3, "one probe, refused by the agent with a decode error, and the two events");
        var rtmr3 = Convert.ToHexStringLower(cvm.Rtmr.Rtmr3);
        DstackTool.Replay(cvm.DstackLog).Should().Be(rtmr3, "the v0.5.11 agent logged and extended each event");
        var measure = await LauncherProcess.RunAsync(["measure", "--digest", digest, "--compose", Path.Combine(deployment.StateDir, "compose.yml"), "--json"]);
        measure.ExitCode.Should().Be(0, measure.Output);
        foreach (var line in deployment.EventLogLines())
            measure.Out.Should().Contain(System.Text.Json.JsonDocument.Parse(line).RootElement.GetProperty("digest").GetString(),
                "measure predicts every digest run emitted");

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
        (await Images.PresentAsync(DockerEngine.Engine20, deployment.Pinned(digest))).Should().BeFalse();
        (await Containers.OfProjectAsync(DockerEngine.Engine20, deployment.Config.Project, all: true)).Should().BeEmpty();
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task On_a_dstack_without_emit_event_dstacks_log_the_launchers_log_and_rtmr3_replay_to_the_same_value(int version)
    {
        await using var cvm = await DstackCvm.StartAsync($"dstack-v{version}", DstackRelease.WithoutEmitEvent);
        var (deployment, digest, dstack, rtmr) = (cvm.Deployment, cvm.Digest, cvm.Agent, cvm.Rtmr);
        cvm.SystemSetup(version, boot: version == 2);
        var before = Convert.ToHexStringLower(rtmr.Rtmr3);
        deployment.Config = deployment.Config with { MeasurementExtra = cvm.Protocol($"event_version = {3 - version}\n") };

        var run = await deployment.LauncherAsync("run");

        run.ExitCode.Should().Be(0, run.Error);
        dstack.Requests.Should().ContainSingle("only the probe was sent: this agent answers 400 'Service not found: EmitEvent'");
        dstack.EmitEventCalls.Should().BeEmpty();
        var rtmr3 = Convert.ToHexStringLower(rtmr.Rtmr3);
        DstackTool.Replay(cvm.DstackLog).Should().Be(rtmr3, "dstack's log replays to RTMR3, so dstack's GetQuote and verifier do too");
        var lines = File.ReadAllLines(cvm.DstackLog);
        lines[^2..].Should().Equal(
            $"{{\"event\":\"image-digest\",\"payload\":\"{Convert.ToBase64String(Convert.FromHexString(digest["sha256:".Length..]))}\"{(version == 2 ? ",\"version\":2" : "")}}}",
            $"{{\"event\":\"launcher-compose-hash\",\"payload\":\"{Convert.ToBase64String(SHA256.HashData(File.ReadAllBytes(Path.Combine(deployment.StateDir, "compose.yml"))))}\"{(version == 2 ? ",\"version\":2" : "")}}}");
        if (version == 1)
            File.GetUnixFileMode(cvm.DstackLog).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite, "the launcher created dstack's log as dstack does");
        deployment.EventLogLines().Should().OnlyContain(l => l.Contains("\"version\":2") == (version == 2), "the version is dstack's, not the config's");

        var dstackLog = await LauncherProcess.RunAsync(["verify", "--event-log", cvm.DstackLog, "--rtmr3", rtmr3, "--approved-hashes", deployment.Config.ApprovedHashesFile!]);
        dstackLog.ExitCode.Should().Be(0, dstackLog.Output);
        dstackLog.Out.Should().Contain(digest).And.Contain("dstack runtime_events.log");
        var launcherLog = await LauncherProcess.RunAsync(["verify", "--event-log", deployment.EventLog, "--base", before, "--rtmr3", rtmr3]);
        launcherLog.ExitCode.Should().Be(0, launcherLog.Output);
    }

    [Fact]
    public async Task On_dstack_on_gcp_the_launcher_extends_rtmr3_and_pcr_14_with_the_sha256_of_each_event_as_dstack_does()
    {
        await using var cvm = await DstackCvm.StartAsync("dstack-gcp", DstackRelease.WithoutEmitEvent);
        var (deployment, rtmr) = (cvm.Deployment, cvm.Rtmr);
        cvm.SystemSetup(2, boot: true, TestEnvironment.TpmTcti);
        var pcr14Before = (await SoftwareTpm.ReadAsync(14)).Sha256;
        deployment.Config = deployment.Config with
        {
            MeasurementExtra = cvm.Protocol($"dstack_platform = \"dstack-gcp-tdx\"\ntpm_tcti = \"{TestEnvironment.TpmTcti}\"\n"),
        };

        var run = await deployment.LauncherAsync("run");

        run.ExitCode.Should().Be(0, run.Error);
        DstackTool.Replay(cvm.DstackLog).Should().Be(Convert.ToHexStringLower(rtmr.Rtmr3));
        var launched = deployment.EventLogLines().Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement)
            .Select(e => Convert.FromHexString(DstackTool.Digest(e.GetProperty("event").GetString()!, e.GetProperty("event_payload").GetString()!, 2, "sha256")))
            .ToList();
        launched.Should().HaveCount(2);
        var expected = launched.Aggregate(pcr14Before, (register, measurement) => SHA256.HashData([.. register, .. measurement]));
        (await SoftwareTpm.ReadAsync(14)).Sha256.Should().Equal(expected, "PCR 14 holds the SHA-256 of each launcher event after dstack's own");
        File.ReadAllLines(cvm.DstackLog)[^2..].Should().OnlyContain(l => l.EndsWith(",\"version\":2}", StringComparison.Ordinal));
    }

    [Fact]
    public async Task On_a_dstack_without_emit_event_a_missing_system_setup_fails_the_boot_with_exit_7_before_the_pull()
    {
        await using var cvm = await DstackCvm.StartAsync("dstack-nosetup", DstackRelease.WithoutEmitEvent);
        var before = cvm.Rtmr.Rtmr3;

        var run = await cvm.Deployment.LauncherAsync("run");

        run.ExitCode.Should().Be(7, run.Error);
        run.Error.Should().Contain("runtime_event_version does not exist").And.Contain("system setup has not run");
        await cvm.NothingPulledExtendedOrStartedAsync(before);
    }

    [Fact]
    public async Task On_a_dstack_without_emit_event_a_launcher_waits_for_dstacks_lock_and_never_interleaves()
    {
        await using var cvm = await DstackCvm.StartAsync("dstack-lock", DstackRelease.WithoutEmitEvent);
        var (deployment, rtmr) = (cvm.Deployment, cvm.Rtmr);
        cvm.SystemSetup(1, boot: true);
        File.WriteAllText(deployment.ConfigPath, deployment.Config.Render());
        using var service = DstackTool.HoldLockThenEmit(cvm.EventDir, rtmr.Rtmr3Path, "other-service", "c0ffee", Path.Combine(deployment.Directory, "hold"));
        await service.HeldAsync(TimeSpan.FromSeconds(30));
        var held = rtmr.Rtmr3;

        await using var launcher = LauncherProcess.Start(["run", "--config", deployment.ConfigPath]);
        await Eventually.HoldsAsync(() => Images.PresentAsync(DockerEngine.Engine20, deployment.Pinned(cvm.Digest)), TimeSpan.FromMinutes(2), () => "the image to be pulled");
        await Task.Delay(TimeSpan.FromSeconds(2));
        rtmr.Rtmr3.Should().Equal(held, "the launcher waits for dstack's lock before it extends");
        deployment.EventLogLines().Should().BeEmpty("nothing is logged before the lock is held");
        await service.ReleaseAsync();
        var run = await launcher.WaitAsync(TimeSpan.FromMinutes(2));

        run.ExitCode.Should().Be(0, run.Error);
        File.ReadAllLines(cvm.DstackLog)[^3..].Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("event").GetString())
            .Should().Equal("other-service", "image-digest", "launcher-compose-hash");
        DstackTool.Replay(cvm.DstackLog).Should().Be(Convert.ToHexStringLower(rtmr.Rtmr3), "each extend and its log line stayed together");
    }

    [Fact]
    public async Task On_a_dstack_without_emit_event_a_crash_between_extend_and_log_line_is_found_by_the_next_run()
    {
        await using var cvm = await DstackCvm.StartAsync("dstack-crash", DstackRelease.WithoutEmitEvent);
        var (deployment, rtmr) = (cvm.Deployment, cvm.Rtmr);
        cvm.SystemSetup(2, boot: true);
        var dstackLines = File.ReadAllLines(cvm.DstackLog);
        File.WriteAllText(deployment.ConfigPath, deployment.Config.Render());
        rtmr.PauseAfterExtend();

        await using (var first = LauncherProcess.Start(["run", "--config", deployment.ConfigPath]))
        {
            await rtmr.WaitUntilPausedAsync(TimeSpan.FromMinutes(2));
            await first.SignalAsync("KILL");
            // The kernel lets the killed launcher go once the file system has answered its write.
            rtmr.Resume();
            (await first.WaitAsync(TimeSpan.FromSeconds(30))).ExitCode.Should().NotBe(0);
        }
        File.ReadAllLines(cvm.DstackLog).Should().Equal(dstackLines, "the launcher died before its log line");
        DstackTool.Replay(cvm.DstackLog).Should().NotBe(Convert.ToHexStringLower(rtmr.Rtmr3), "RTMR3 holds the event");

        var next = await deployment.LauncherAsync("run");

        next.ExitCode.Should().Be(7, next.Error);
        next.Error.Should().Contain("event 'image-digest'").And.Contain("never confirmed");
        (await Containers.OfProjectAsync(DockerEngine.Engine20, deployment.Config.Project, all: true)).Should().BeEmpty("nothing launches on a log and register that may disagree");
    }

    [Fact]
    public async Task A_launcher_killed_between_log_and_extend_is_reported_by_the_next_run_of_the_boot()
    {
        await using var deployment = Deployment.Create("crash", Toolchain.Debian12);
        var digest = await deployment.PushImageAsync();
        deployment.Approve(digest);
        using var release = new CancellationTokenSource();
        var extending = new TaskCompletionSource();
        // The v0.5.11 agent takes the request and never answers: the launcher is killed while it waits for the extend.
        using var dstack = new DstackStandIn(Path.Combine(deployment.Directory, "dstack.sock"), async (_, _) =>
        {
            extending.TrySetResult();
            await Task.Delay(Timeout.Infinite, release.Token).ContinueWith(_ => { });
        }, DstackRelease.WithEmitEvent);
        deployment.Config = deployment.Config with
        {
            Platform = "tee", Backend = "dstack", MeasurementExtra = $"dstack_socket = \"{dstack.SocketPath}\"\n",
        };
        File.WriteAllText(deployment.ConfigPath, deployment.Config.Render());

        await using (var first = LauncherProcess.Start(["run", "--config", deployment.ConfigPath]))
        {
            await extending.Task.WaitAsync(TimeSpan.FromMinutes(2));
            await first.SignalAsync("KILL");
            (await first.WaitAsync(TimeSpan.FromSeconds(30))).ExitCode.Should().NotBe(0);
        }
        deployment.EventLogLines().Should().ContainSingle("the image event was logged before its extend was asked for");

        var next = await deployment.LauncherAsync("run");

        next.ExitCode.Should().Be(7, next.Error);
        next.Error.Should().Contain("event 'image-digest'").And.Contain("never confirmed");
        (await Containers.OfProjectAsync(DockerEngine.Engine20, deployment.Config.Project, all: true)).Should().BeEmpty("nothing launches on a log and register that may disagree");
        await release.CancelAsync();
    }

}
