using TeeLauncher.Errors;
using TeeLauncher.State;

namespace TeeLauncher.Tests.Launch;

/// <summary>The boot on the docker seam: the order of its steps, and who holds the state lock when.</summary>
public sealed class LaunchPipelineTests : IDisposable
{
    private readonly ScriptedLaunch _launch = new();

    public void Dispose() => _launch.Dispose();

    [Fact]
    public async Task A_boot_checks_the_model_pulls_measures_and_only_then_gives_compose_the_file()
    {
        await using var stack = await _launch.Pipeline().LaunchAsync(CancellationToken.None);

        _launch.Verbs.TakeWhile(verb => verb != "compose up").Should().Equal("compose config", "ps", "pull", "image inspect");
        _launch.Verbs.SkipWhile(verb => verb != "compose up").Should().StartWith(["compose up", "ps"], "after up, docker ps tells what runs");
        _launch.EventsLoggedAtUp.Should().Be(2, "the image and compose events are logged and extended before compose sees the file");
        _launch.Recorded!.Phase.Should().Be(LaunchPhase.Running);
        _launch.Notifier.Messages.Should().NotContain("READY=1", "the caller notifies");
        stack.Compose.Project.Should().Be(ScriptedLaunch.Project);
    }

    [Fact]
    public async Task The_launched_stack_holds_the_state_lock_until_it_is_disposed_and_leaves_the_stack_running()
    {
        var stack = await _launch.Pipeline().LaunchAsync(CancellationToken.None);

        _launch.LockIsFree().Should().BeFalse("the stack holds the lock from the launch on");
        await stack.DisposeAsync();

        _launch.LockIsFree().Should().BeTrue();
        _launch.Verbs.Should().NotContain("compose down");
        _launch.Recorded!.Phase.Should().Be(LaunchPhase.Running);
    }

    [Theory]
    [InlineData("config")]
    [InlineData("up")]
    public async Task A_failure_after_the_lock_releases_it_and_records_failed(string failingVerb)
    {
        _launch.FailOn = failingVerb;

        var launch = () => _launch.Pipeline().LaunchAsync(CancellationToken.None);

        var failure = (await launch.Should().ThrowAsync<LauncherException>()).Which;
        _launch.LockIsFree().Should().BeTrue();
        _launch.Recorded!.Phase.Should().Be(LaunchPhase.Failed);
        _launch.Recorded!.Error.Should().Be(failure.Message);
        _launch.Notifier.Messages.Should().Contain($"STATUS=failed: {failure.Message}");
    }

    [Fact]
    public async Task A_compose_that_fails_to_start_is_taken_down_before_the_lock_is_released()
    {
        _launch.FailOn = "up";

        var launch = () => _launch.Pipeline().LaunchAsync(CancellationToken.None);

        await launch.Should().ThrowAsync<ComposeException>();
        _launch.Verbs.SkipWhile(v => v != "compose up").Should().Equal("compose up", "compose down");
        _launch.LockFreeAtDown.Should().BeFalse();
        _launch.EventsLoggedAtUp.Should().Be(2);
    }

    [Fact]
    public async Task Stop_runs_compose_down_then_releases_the_lock_and_records_stopped()
    {
        var stack = await _launch.Pipeline().LaunchAsync(CancellationToken.None);

        await stack.StopAsync(CancellationToken.None);

        _launch.Verbs[^1].Should().Be("compose down");
        _launch.LockFreeAtDown.Should().BeFalse("compose down runs while the stack still holds the lock");
        _launch.LockIsFree().Should().BeTrue();
        _launch.Recorded!.Phase.Should().Be(LaunchPhase.Stopped);
        _launch.Notifier.Messages.TakeLast(2).Should().Equal("STATUS=stopping the stack", "STATUS=stopped");
    }

    [Fact]
    public async Task A_down_that_fails_still_releases_the_lock()
    {
        var stack = await _launch.Pipeline().LaunchAsync(CancellationToken.None);
        _launch.FailOn = "down";

        var stop = () => stack.StopAsync(CancellationToken.None);

        await stop.Should().ThrowAsync<ComposeException>();
        _launch.LockIsFree().Should().BeTrue();
    }
}
