using System.Text;
using TeeLauncher.Compose;
using TeeLauncher.Docker;
using TeeLauncher.Errors;
using TeeLauncher.Tests.Support;
using TeeLauncher.Testing;

namespace TeeLauncher.Tests.Compose;

/// <summary>The pending "up" with a shell script in compose's place: what reaches its standard input, and when.</summary>
public sealed class PendingUpTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    private static PendingUp Start(string script, params string[] arguments) =>
        new((input, token) => DockerCli.RunAsync("sh", ["-c", script, "sh", .. arguments], token, standardInput: input),
            "workload", CancellationToken.None);

    [Fact]
    public async Task The_process_runs_and_reads_nothing_until_released_then_exactly_the_released_bytes()
    {
        var received = _dir.Combine("received");
        var started = _dir.Combine("started");
        await using var up = Start("""touch "$2"; cat > "$1" """, received, started);
        await WaitForAsync(() => File.Exists(started));
        await Task.Delay(200);
        new FileInfo(received).Length.Should().Be(0, "the measured file is given only on release");

        var file = Encoding.UTF8.GetBytes("services:\n  app:\n    image: x@sha256:00\n");
        await up.UpAsync(file);

        File.ReadAllBytes(received).Should().Equal(file);
    }

    [Fact]
    public async Task Disposed_unreleased_the_process_is_killed_and_never_reads_a_file()
    {
        var after = _dir.Combine("after-input");
        var started = _dir.Combine("started");
        var up = Start("""touch "$2"; cat > /dev/null; touch "$1" """, after, started);
        await WaitForAsync(() => File.Exists(started));

        await up.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(20));

        await Task.Delay(200);
        File.Exists(after).Should().BeFalse("the process must die without seeing the end of its input");
    }

    [Fact]
    public async Task A_compose_that_exits_before_reading_its_file_is_a_compose_failure_with_its_words()
    {
        await using var up = Start("echo 'no such command: up' >&2; exit 3");
        await Task.Delay(300);

        var failure = await FluentActions.Awaiting(() => up.UpAsync(Encoding.UTF8.GetBytes(new string('x', 1 << 20))))
            .Should().ThrowAsync<ComposeException>();
        failure.Which.ExitCode.Should().Be(ExitCode.ComposeFailed);
        failure.Which.Message.Should().Be("compose failed to start project 'workload': no such command: up");
    }

    private static Task WaitForAsync(Func<bool> condition) => Eventually.HoldsAsync(condition, TimeSpan.FromSeconds(10));

    public void Dispose() => _dir.Dispose();
}
