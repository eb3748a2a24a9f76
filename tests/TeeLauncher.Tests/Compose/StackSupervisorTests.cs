using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using TeeLauncher.Compose;
using TeeLauncher.Configuration;
using TeeLauncher.Errors;

namespace TeeLauncher.Tests.Compose;

/// <summary>When supervision gives up on the stack, against a scripted docker and a fake clock.</summary>
public sealed class StackSupervisorTests : IDisposable
{
    private readonly ScriptedDocker _docker = new();
    private readonly FakeTimeProvider _time = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("stack-supervisor-tests-");

    private Task Watch()
    {
        var compose = new ComposeRunner(_docker, ComposeSettings.Default with { Project = "app" }, ComposeSeal.Create(_folder.FullName), NullLogger.Instance);
        return new StackSupervisor(_docker, compose, NullLogger.Instance, _time).WatchAsync(_stop.Token);
    }

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
        await AdvanceUntilAsync(() => _docker.Calls.Count(c => c.StartsWith("docker ps", StringComparison.Ordinal)) == 2);
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

    public void Dispose()
    {
        _stop.Dispose();
        _folder.Delete(recursive: true);
    }
}
