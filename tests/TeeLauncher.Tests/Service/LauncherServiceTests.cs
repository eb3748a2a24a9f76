using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Logging.Abstractions;
using TeeLauncher.Errors;
using TeeLauncher.Service;
using TeeLauncher.State;
using TeeLauncher.Tests.Launch;

namespace TeeLauncher.Tests.Service;

/// <summary>The service on the docker seam: one READY=1 once the stack is up, and what a stop does with and without supervision.</summary>
public sealed class LauncherServiceTests : IDisposable
{
    private ScriptedLaunch _launch = new();
    private readonly ApplicationLifetime _lifetime = new(NullLogger<ApplicationLifetime>.Instance);
    private readonly RunOutcome _outcome = new();

    public void Dispose() => _launch.Dispose();

    private LauncherService Service() =>
        new(_launch.Pipeline(), _launch.Status, _launch.Docker, _launch.Notifier, _lifetime, _outcome, NullLogger<LauncherService>.Instance);

    [Fact]
    public async Task Ready_is_sent_once_after_the_stack_is_up_and_a_stop_takes_it_down_then_releases_the_lock()
    {
        var service = Service();

        await service.StartAsync(CancellationToken.None);
        var atReady = _launch.Verbs;
        await service.StopAsync(CancellationToken.None);

        _launch.Notifier.Messages.Where(m => m == "READY=1").Should().ContainSingle();
        _launch.Notifier.Messages.TakeWhile(m => m != "READY=1").Should().Contain(m => m.StartsWith("STATUS=running ", StringComparison.Ordinal));
        atReady.Should().Contain("compose up");
        _lifetime.ApplicationStopping.IsCancellationRequested.Should().BeFalse("a supervised stack keeps the service running");
        _launch.Verbs.Should().Contain("events", "the stack was supervised");
        _launch.Verbs[^1].Should().Be("compose down");
        _launch.LockFreeAtDown.Should().BeFalse();
        _launch.LockIsFree().Should().BeTrue();
        _launch.Recorded!.Phase.Should().Be(LaunchPhase.Stopped);
        _launch.Notifier.Messages.SkipWhile(m => m != "READY=1").Should().Contain("STOPPING=1");
        _outcome.Failure.Should().BeNull();
    }

    [Fact]
    public async Task Without_supervision_the_service_sends_ready_once_stops_itself_and_leaves_the_stack_running()
    {
        _launch.Dispose();
        _launch = new ScriptedLaunch(supervise: false);
        var service = Service();

        await service.StartAsync(CancellationToken.None);
        await service.StopAsync(CancellationToken.None);

        var messages = _launch.Notifier.Messages.ToList();
        messages.Where(m => m == "READY=1").Should().ContainSingle();
        messages.IndexOf("READY=1").Should().BeLessThan(messages.IndexOf("STOPPING=1"));
        _lifetime.ApplicationStopping.IsCancellationRequested.Should().BeTrue();
        _launch.Verbs.Should().NotContain("compose down").And.NotContain("events");
        _launch.LockIsFree().Should().BeTrue();
        _launch.Recorded!.Phase.Should().Be(LaunchPhase.Running);
    }

    [Fact]
    public async Task A_supervised_stack_that_fails_is_recorded_failed_left_as_it_is_and_its_lock_released()
    {
        _launch.Notifier.Heard = message =>
        {
            if (message == "READY=1")
                _launch.Docker.Containers = [$"c0ffee\texited\tmpc-node-1\t{ScriptedLaunch.Pinned}"];
        };
        var stopping = new TaskCompletionSource();
        _lifetime.ApplicationStopping.Register(() => stopping.TrySetResult());
        var service = Service();

        await service.StartAsync(CancellationToken.None);
        await stopping.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await service.StopAsync(CancellationToken.None);

        _outcome.Failure.Should().BeOfType<ComposeException>().Which.ExitCode.Should().Be(ExitCode.ComposeFailed);
        _launch.Recorded!.Phase.Should().Be(LaunchPhase.Failed);
        _launch.Verbs.Should().NotContain("compose down", "a failed stack is left for the operator to look at");
        _launch.LockIsFree().Should().BeTrue();
    }

    [Fact]
    public async Task A_launch_that_fails_sends_no_ready()
    {
        _launch.FailOn = "up";
        var service = Service();

        var start = () => service.StartAsync(CancellationToken.None);

        await start.Should().ThrowAsync<ComposeException>();
        _launch.Notifier.Messages.Should().NotContain("READY=1");
        _launch.LockIsFree().Should().BeTrue();
    }
}
