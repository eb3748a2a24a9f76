using System.Text.Json;
using TeeLauncher.IntegrationTests.Support;
using TeeLauncher.Testing;

namespace TeeLauncher.IntegrationTests.LaunchPath;

/// <summary>Issue 3, scenarios 1 to 3: a boot against the real registry, on each compose and engine (<see cref="Toolchain"/>).</summary>
public sealed class FreshBootTests
{
    [Theory]
    [MemberData(nameof(Toolchain.EachCompose), MemberType = typeof(Toolchain))]
    public async Task A_fresh_boot_runs_the_newest_approved_digest_as_plan_predicted(string toolchain)
    {
        await using var deployment = Deployment.Create("fresh", Toolchain.Named(toolchain));
        var old = await deployment.PushImageAsync("old");
        var @new = await deployment.PushImageAsync("new");
        deployment.Approve(@new, old);

        var plan = await deployment.LauncherAsync("plan", "--json");
        plan.ExitCode.Should().Be(0, plan.Error);
        using var planned = JsonDocument.Parse(plan.Out);
        var run = await deployment.LauncherAsync("run");
        run.ExitCode.Should().Be(0, run.Error);

        var containers = await deployment.ContainersAsync();
        containers.Should().ContainSingle().Which.Should().Match<Container>(c => c.State == "running" && c.Image == deployment.Pinned(@new));

        var log = deployment.EventLogLines().Select(l => JsonDocument.Parse(l).RootElement).ToList();
        log.Should().HaveCount(2);
        log[0].GetProperty("event").GetString().Should().Be("image-digest");
        log[0].GetProperty("event_payload").GetString().Should().Be(@new["sha256:".Length..], "the image event's payload is the 32 raw digest bytes");
        log[1].GetProperty("event").GetString().Should().Be("launcher-compose-hash");

        var plannedEvents = planned.RootElement.GetProperty("events").EnumerateArray()
            .Select(e => (e.GetProperty("name").GetString(), e.GetProperty("digest").GetString())).ToList();
        var emitted = log.Select(e => (e.GetProperty("event").GetString(), e.GetProperty("digest").GetString())).ToList();
        emitted.Should().Equal(plannedEvents, "plan predicts exactly the events run emits");
        planned.RootElement.GetProperty("digest").GetString().Should().Be(@new);
        planned.RootElement.GetProperty("rule").GetString().Should().Be("newest-approved");

        var status = await deployment.LauncherAsync("status", "--json");
        status.ExitCode.Should().Be(0, status.Error);
        using var reported = JsonDocument.Parse(status.Out);
        reported.RootElement.GetProperty("digest").GetString().Should().Be(@new);
        reported.RootElement.GetProperty("phase").GetString().Should().Be("running");
        reported.RootElement.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("digest").GetString())
            .Should().Equal(emitted.Select(e => e.Item2));
    }

    [Theory]
    [MemberData(nameof(Toolchain.EachCompose), MemberType = typeof(Toolchain))]
    public async Task An_override_runs_the_old_digest_and_an_unlisted_override_touches_nothing(string toolchain)
    {
        await using var deployment = Deployment.Create("override", Toolchain.Named(toolchain));
        var old = await deployment.PushImageAsync("old");
        var @new = await deployment.PushImageAsync("new");
        var unlisted = await deployment.PushImageAsync("unlisted");
        deployment.Approve(@new, old);

        deployment.Config = deployment.Config with { OverrideDigest = unlisted };
        var refused = await deployment.LauncherAsync("run");
        refused.ExitCode.Should().Be(4);
        refused.Error.Should().Contain(unlisted).And.Contain("not");
        (await deployment.ImagePresentAsync(deployment.Pinned(unlisted))).Should().BeFalse("nothing is pulled");
        File.Exists(deployment.EventLog).Should().BeFalse("nothing is measured");
        (await deployment.ContainersAsync(all: true)).Should().BeEmpty("nothing is started");

        deployment.Config = deployment.Config with { OverrideDigest = old };
        var run = await deployment.LauncherAsync("run");
        run.ExitCode.Should().Be(0, run.Error);
        (await deployment.ContainersAsync()).Should().ContainSingle()
            .Which.Image.Should().Be(deployment.Pinned(old));
    }

    [Theory]
    [MemberData(nameof(Toolchain.EachCompose), MemberType = typeof(Toolchain))]
    public async Task A_second_run_in_the_same_boot_extends_nothing_new_and_refuses_another_digest(string toolchain)
    {
        await using var deployment = Deployment.Create("twice", Toolchain.Named(toolchain));
        var old = await deployment.PushImageAsync("old");
        var @new = await deployment.PushImageAsync("new");
        deployment.Approve(@new, old);
        using var dstack = new DstackStandIn(Path.Combine(deployment.Directory, "dstack.sock"));
        deployment.Config = deployment.Config with { Backend = "dstack", MeasurementExtra = $"dstack_socket = \"{dstack.SocketPath}\"\n" };

        (await deployment.LauncherAsync("run")).ExitCode.Should().Be(0);
        var logAfterFirst = deployment.EventLogLines();
        dstack.Events.Select(e => e.Event).Should().Equal("image-digest", "launcher-compose-hash");

        var again = await deployment.LauncherAsync("run");
        again.ExitCode.Should().Be(0, again.Error);
        deployment.EventLogLines().Should().Equal(logAfterFirst);
        dstack.Events.Should().HaveCount(2, "the same digest is not extended twice in one boot");

        deployment.Config = deployment.Config with { OverrideDigest = old };
        var other = await deployment.LauncherAsync("run");
        other.ExitCode.Should().Be(9, other.Error);
        other.Error.Should().Contain(@new);
        dstack.Events.Should().HaveCount(2);
        (await deployment.ContainersAsync()).Should().ContainSingle()
            .Which.Image.Should().Be(deployment.Pinned(@new), "the measured stack keeps running");
    }
}
