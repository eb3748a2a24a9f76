using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using TeeLauncher.Compose;
using TeeLauncher.Configuration;
using TeeLauncher.Docker;
using TeeLauncher.Errors;

namespace TeeLauncher.Tests.Compose;

/// <summary>When supervision gives up on the stack, against a scripted docker and a fake clock.</summary>
public sealed class StackSupervisorTests : IDisposable
{
    private readonly ScriptedDocker _docker = new();
    private readonly FakeTimeProvider _time = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("stack-supervisor-tests-");

    private readonly List<IReadOnlyList<ServiceRestarts>> _restarts = [];
    private string[] _inspected = [];

    public StackSupervisorTests() =>
        _docker.Docker = arguments => arguments[0] == "inspect"
            ? new DockerOutput(0, string.Join('\n', _inspected) + "\n", "", TimeSpan.Zero)
            : ScriptedDocker.Ok;

    private Task Watch()
    {
        var compose = new ComposeRunner(_docker, ComposeSettings.Default with { Project = "app" }, ComposeSeal.Create(_folder.FullName), NullLogger.Instance);
        return new StackSupervisor(_docker, compose, NullLogger.Instance, _time, r => { lock (_restarts) _restarts.Add(r); }).WatchAsync(_stop.Token);
    }

    /// <summary>A line of docker inspect in <see cref="ContainerDetails.InspectFormat"/>.</summary>
    private static string Inspected(string id, string service, string state, int restarts, int exitCode, string finishedAt) =>
        $"{id}\t{service}\t{state}\t{restarts}\t{exitCode}\t{finishedAt}";

    /// <summary>Moves the fake clock on by the settle time until <paramref name="condition"/> holds (the supervisor may not be waiting yet).</summary>
    private async Task AdvanceUntilAsync(Func<bool> condition)
    {
        for (var i = 0; i < 1000 && !condition(); i++)
        {
            _time.Advance(StackSupervisor.SettleTime);
            await Task.Delay(5);
        }
        condition().Should().BeTrue();
    }

    [Fact]
    public async Task A_stack_with_no_containers_fails_at_once()
    {
        var watch = () => Watch();

        (await watch.Should().ThrowAsync<ComposeException>()).WithMessage("the stack of project 'app' has no containers any more");
    }

    [Fact]
    public async Task A_container_that_died_and_stays_down_fails_the_stack_after_the_settle_time()
    {
        _docker.Containers = [ScriptedDocker.Container("aaa", "running", "app-web-1"), ScriptedDocker.Container("bbb", "running", "app-db-1")];
        var watch = Watch();
        await ComposeRunnerTests.WaitForAsync(() => _docker.EventsStarted == 1);

        _docker.Containers = [ScriptedDocker.Container("aaa", "running", "app-web-1"), ScriptedDocker.Container("bbb", "exited", "app-db-1")];
        await _docker.DieEvents.WriteAsync("bbb");
        await Task.Delay(20);
        watch.IsCompleted.Should().BeFalse("a restart policy gets the settle time to bring the container back");
        await AdvanceUntilAsync(() => watch.IsCompleted);

        var failed = () => watch;
        (await failed.Should().ThrowAsync<ComposeException>()).WithMessage("the stack of project 'app' failed: app-db-1 is exited");
    }

    [Fact]
    public async Task A_container_its_restart_policy_brought_back_is_watched_on_until_the_stop()
    {
        _docker.Containers = [ScriptedDocker.Container("aaa", "running", "app-web-1")];
        var watch = Watch();
        await ComposeRunnerTests.WaitForAsync(() => _docker.EventsStarted == 1);

        await _docker.DieEvents.WriteAsync("aaa");
        // Listed at the start, at the exit (for the restart counts) and after the settle time.
        await AdvanceUntilAsync(() => _docker.Calls.Count(c => c.StartsWith("docker ps", StringComparison.Ordinal)) == 3);
        watch.IsCompleted.Should().BeFalse();

        await _stop.CancelAsync();
        var stopped = () => watch;
        await stopped.Should().ThrowAsync<OperationCanceledException>();
    }

    [Fact]
    public async Task When_docker_events_ends_the_stack_is_checked_and_watched_again()
    {
        _docker.Containers = [ScriptedDocker.Container("aaa", "running", "app-web-1")];
        var watch = Watch();
        await ComposeRunnerTests.WaitForAsync(() => _docker.EventsStarted == 1);

        _docker.DieEvents.Complete();

        await AdvanceUntilAsync(() => _docker.EventsStarted == 2);
        watch.IsCompleted.Should().BeFalse();
        await _stop.CancelAsync();
    }

    [Fact]
    public async Task Restarts_since_the_launch_the_last_exit_code_and_its_time_come_from_docker_and_its_die_events()
    {
        _docker.Containers = [ScriptedDocker.Container("aaa", "running", "app-web-1"), ScriptedDocker.Container("bbb", "running", "app-db-1")];
        // Seen at the launch: web was restarted twice before (an earlier run this boot) and finished once.
        _inspected = [Inspected("aaa", "web", "running", 2, 0, "2026-12-05T21:00:00.123456789Z"), Inspected("bbb", "db", "running", 0, 0, "0001-01-01T00:00:00Z")];
        var watch = Watch();
        await ComposeRunnerTests.WaitForAsync(() => _docker.EventsStarted == 1);
        _restarts.Should().ContainSingle().Which.Should().Equal(
            new ServiceRestarts("db", 0, null, null, false), new ServiceRestarts("web", 0, null, null, false));

        // docker counts the restart and marks the container restarting before it sends the die event.
        _docker.Containers = [ScriptedDocker.Container("aaa", "restarting", "app-web-1"), ScriptedDocker.Container("bbb", "running", "app-db-1")];
        _inspected = [Inspected("aaa", "web", "restarting", 3, 3, "2026-12-05T22:00:01.5Z"), _inspected[1]];
        await _docker.DieEvents.WriteAsync("aaa\t3");
        await ComposeRunnerTests.WaitForAsync(() => _restarts.Count == 2);
        var exitedAt = new DateTimeOffset(2026, 12, 5, 22, 0, 1, 500, TimeSpan.Zero);
        _restarts[1].Should().Equal(new ServiceRestarts("db", 0, null, null, false), new ServiceRestarts("web", 1, 3, exitedAt, true));

        // Running again, docker has reset its exit code to 0: the last exit code is the die event's.
        _docker.Containers = [ScriptedDocker.Container("aaa", "running", "app-web-1"), ScriptedDocker.Container("bbb", "running", "app-db-1")];
        _inspected = [Inspected("aaa", "web", "running", 3, 0, "2026-12-05T22:00:01.5Z"), _inspected[1]];
        await AdvanceUntilAsync(() => _restarts.Count == 3);
        _restarts[2].Should().Equal(new ServiceRestarts("db", 0, null, null, false), new ServiceRestarts("web", 1, 3, exitedAt, false));
        watch.IsCompleted.Should().BeFalse();
        await _stop.CancelAsync();
    }

    [Fact]
    public async Task A_container_docker_gave_up_on_is_reported_with_its_exit_and_fails_the_stack()
    {
        _docker.Containers = [ScriptedDocker.Container("aaa", "running", "app-web-1")];
        _inspected = [Inspected("aaa", "web", "running", 0, 0, "0001-01-01T00:00:00Z")];
        var watch = Watch();
        await ComposeRunnerTests.WaitForAsync(() => _docker.EventsStarted == 1);

        _docker.Containers = [ScriptedDocker.Container("aaa", "exited", "app-web-1")];
        _inspected = [Inspected("aaa", "web", "exited", 0, 137, "2026-12-05T22:00:00Z")];
        await _docker.DieEvents.WriteAsync("aaa\t137");
        await AdvanceUntilAsync(() => watch.IsCompleted);

        _restarts[^1].Should().Equal(new ServiceRestarts("web", 0, 137, new DateTimeOffset(2026, 12, 5, 22, 0, 0, TimeSpan.Zero), false));
        var failed = () => watch;
        (await failed.Should().ThrowAsync<ComposeException>()).WithMessage("the stack of project 'app' failed: app-web-1 is exited");
    }

    public void Dispose()
    {
        _stop.Dispose();
        _folder.Delete(recursive: true);
    }
}
