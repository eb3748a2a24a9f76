using TeeLauncher.IntegrationTests.Support;
using TeeLauncher.Testing;

namespace TeeLauncher.IntegrationTests.LaunchPath;

/// <summary>Issue 3, scenario 7, and docs/spec.md §8: systemd notifications, supervision and SIGTERM.</summary>
public sealed class ServiceTests
{
    [Theory]
    [MemberData(nameof(Toolchain.EachCompose), MemberType = typeof(Toolchain))]
    public async Task Sigterm_to_a_supervising_run_stops_the_stack_and_exits_0(string toolchain)
    {
        await using var deployment = Deployment.Create("sigterm", Toolchain.Named(toolchain));
        var digest = await deployment.PushImageAsync();
        deployment.Approve(digest);
        deployment.Config = deployment.Config with { Supervise = true, StopTimeout = "5s" };
        using var notify = new NotifySocket(deployment.Directory);

        await deployment.LauncherAsync("validate");
        await using var launcher = deployment.StartRun(
            new Dictionary<string, string?> { ["NOTIFY_SOCKET"] = notify.Path });
        await WaitUntilAsync(() => notify.Messages.Contains("READY=1"), TimeSpan.FromMinutes(2), launcher);

        var running = await deployment.ContainersAsync();
        running.Should().ContainSingle().Which.Image.Should().Be(deployment.Pinned(digest), "READY=1 is sent only once the stack is up");
        notify.Messages.TakeWhile(m => m != "READY=1").Should().Contain(m => m.StartsWith("STATUS=pulling"));

        await launcher.SignalAsync("TERM");
        var result = await launcher.WaitAsync(TimeSpan.FromSeconds(60));

        result.ExitCode.Should().Be(0, result.Error);
        (await deployment.ContainersAsync(all: true)).Should().BeEmpty("the stack was stopped and removed");
        notify.Messages.Should().Contain("STATUS=stopping the stack");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Ready_is_sent_exactly_once_and_only_once_the_stack_is_up(bool supervise)
    {
        await using var deployment = Deployment.Create(supervise ? "readysup" : "readyonce", Toolchain.Debian12);
        var digest = await deployment.PushImageAsync();
        deployment.Approve(digest);
        deployment.Config = deployment.Config with { Supervise = supervise, StopTimeout = "5s" };
        using var notify = new NotifySocket(deployment.Directory);

        await using var launcher = deployment.StartRun(new Dictionary<string, string?> { ["NOTIFY_SOCKET"] = notify.Path });
        await WaitUntilAsync(() => notify.Messages.Contains("READY=1"), TimeSpan.FromMinutes(2), launcher);
        (await deployment.ContainersAsync()).Should().ContainSingle().Which.Image.Should().Be(deployment.Pinned(digest), "READY=1 is sent only once the stack is up");
        if (supervise)
            await launcher.SignalAsync("TERM");
        var result = await launcher.WaitAsync(TimeSpan.FromSeconds(60));

        result.ExitCode.Should().Be(0, result.Error);
        var messages = notify.Messages.ToList();
        messages.Where(m => m == "READY=1").Should().ContainSingle(string.Join("\n", messages));
        messages.TakeWhile(m => m != "READY=1").Should().Contain(m => m.StartsWith("STATUS=running ", StringComparison.Ordinal));
        messages.IndexOf("STOPPING=1").Should().BeGreaterThan(messages.IndexOf("READY=1"));
        if (!supervise)
            (await deployment.ContainersAsync()).Should().ContainSingle("without supervision the stack is left running");
    }

    [Fact]
    public async Task Sighup_is_ignored_and_logged_and_the_stack_stays_supervised()
    {
        await using var deployment = Deployment.Create("sighup", Toolchain.Debian12);
        var digest = await deployment.PushImageAsync();
        deployment.Approve(digest);
        deployment.Config = deployment.Config with { Supervise = true, StopTimeout = "5s" };
        using var notify = new NotifySocket(deployment.Directory);

        await deployment.LauncherAsync("validate");
        await using var launcher = deployment.StartRun(new Dictionary<string, string?> { ["NOTIFY_SOCKET"] = notify.Path });
        await WaitUntilAsync(() => notify.Messages.Contains("READY=1"), TimeSpan.FromMinutes(2), launcher);

        await launcher.SignalAsync("HUP");
        await launcher.WaitForLogAsync("SIGHUP ignored", TimeSpan.FromSeconds(30));
        var stillSupervising = launcher.WaitAsync(TimeSpan.FromSeconds(3));

        await stillSupervising.Invoking(t => t).Should().ThrowAsync<TimeoutException>("the launcher is still running after SIGHUP");
        (await Containers.OfProjectAsync(DockerEngine.Engine20, deployment.Config.Project)).Should().ContainSingle();
        await launcher.SignalAsync("TERM");
        var result = await launcher.WaitAsync(TimeSpan.FromSeconds(60));
        result.ExitCode.Should().Be(0, result.Error);
        (await Containers.OfProjectAsync(DockerEngine.Engine20, deployment.Config.Project, all: true)).Should().BeEmpty("SIGTERM still stops the stack");
    }

    [Theory]
    [MemberData(nameof(Toolchain.EachCompose), MemberType = typeof(Toolchain))]
    public async Task A_supervised_stack_whose_container_stops_makes_run_exit_8(string toolchain)
    {
        await using var deployment = Deployment.Create("supervise", Toolchain.Named(toolchain));
        var digest = await deployment.PushImageAsync();
        deployment.Approve(digest);
        deployment.Config = deployment.Config with { Supervise = true };
        using var notify = new NotifySocket(deployment.Directory);

        await deployment.LauncherAsync("validate");
        await using var launcher = deployment.StartRun(
            new Dictionary<string, string?> { ["NOTIFY_SOCKET"] = notify.Path });
        await WaitUntilAsync(() => notify.Messages.Contains("READY=1"), TimeSpan.FromMinutes(2), launcher);

        var container = (await deployment.ContainersAsync()).Single();
        (await deployment.Toolchain.Engine.DockerAsync("kill", container.Id)).Succeeded("docker kill");
        var result = await launcher.WaitAsync(TimeSpan.FromSeconds(60));

        result.ExitCode.Should().Be(8, result.Error);
        result.Error.Should().Contain(deployment.Config.Project);
    }

    [Theory]
    [MemberData(nameof(Toolchain.EachCompose), MemberType = typeof(Toolchain))]
    public async Task Under_journald_every_log_line_starts_with_its_syslog_priority(string toolchain)
    {
        await using var deployment = Deployment.Create("journal", Toolchain.Named(toolchain));
        var digest = await deployment.PushImageAsync();
        deployment.Approve(digest);

        var run = await deployment.LauncherAsync(["run"], new Dictionary<string, string?> { ["JOURNAL_STREAM"] = "8:12345" });

        run.ExitCode.Should().Be(0, run.Error);
        var lines = run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines.Should().NotBeEmpty().And.OnlyContain(l => l.Length > 3 && l[0] == '<' && char.IsDigit(l[1]) && l[2] == '>');
        lines.Should().Contain(l => l.StartsWith("<4>"), "backend none warns on every run")
            .And.Contain(l => l.StartsWith("<6>"));
    }

    private static Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, LauncherProcess launcher) =>
        Eventually.HoldsAsync(condition, timeout, () => $"the condition; launcher log:\n{launcher.ErrorSoFar}", TimeSpan.FromMilliseconds(100));
}
