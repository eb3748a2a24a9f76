using TeeLauncher.IntegrationTests.Support;
using TeeLauncher.Testing;

namespace TeeLauncher.IntegrationTests.Measurement;

/// <summary>
/// Issue 3 and 4: the dstack backend. dstack cannot run here, so <see cref="DstackStandIn"/> speaks its
/// /EmitEvent protocol on a unix socket.
/// </summary>
public sealed class DstackBackendTests
{
    [Fact]
    public async Task Dstack_receives_the_events_of_the_log_and_verify_accepts_the_log()
    {
        await using var deployment = Deployment.Create("dstack");
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
        await using var deployment = Deployment.Create("nodstack");
        var digest = await deployment.PushImageAsync();
        deployment.Approve(digest);
        deployment.Config = deployment.Config with
        {
            Backend = "dstack", MeasurementExtra = $"dstack_socket = \"{Path.Combine(deployment.Directory, "absent.sock")}\"\n",
        };

        var run = await deployment.LauncherAsync("run");

        run.ExitCode.Should().Be(7, run.Error);
        run.Error.Should().Contain("absent.sock");
        (await Images.PresentAsync(deployment.Pinned(digest))).Should().BeFalse();
        (await Containers.OfProjectAsync(deployment.Config.Project, all: true)).Should().BeEmpty();
    }

    [Fact]
    public async Task A_dstack_without_emit_event_fails_closed_with_exit_7_and_names_tdx_sysfs()
    {
        await using var deployment = Deployment.Create("dstack404");
        var digest = await deployment.PushImageAsync();
        deployment.Approve(digest);
        using var dstack = new DstackStandIn(Path.Combine(deployment.Directory, "dstack.sock"), status: "404 Not Found");
        deployment.Config = deployment.Config with
        {
            Platform = "tee", Backend = "dstack", MeasurementExtra = $"dstack_socket = \"{dstack.SocketPath}\"\n",
        };

        var run = await deployment.LauncherAsync("run");

        run.ExitCode.Should().Be(7, run.Error);
        run.Error.Should().Contain("/EmitEvent").And.Contain("tdx-sysfs");
        (await Containers.OfProjectAsync(deployment.Config.Project, all: true)).Should().BeEmpty("nothing starts unless every event was extended");
    }

    [Fact]
    public async Task A_launcher_killed_between_log_and_extend_is_reported_by_the_next_run_of_the_boot()
    {
        await using var deployment = Deployment.Create("crash");
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
        (await Containers.OfProjectAsync(deployment.Config.Project, all: true)).Should().BeEmpty("nothing launches on a log and register that may disagree");
        await release.CancelAsync();
    }
}
