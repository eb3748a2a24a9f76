using System.Diagnostics;
using TeeLauncher.IntegrationTests.Support;

namespace TeeLauncher.IntegrationTests.LaunchPath;

/// <summary>Issue 3, scenario 4: transient failures are retried until the deadline, permanent ones are not, on each engine.</summary>
public sealed class PullFailureTests
{
    [Theory]
    [MemberData(nameof(Toolchain.EachEngine), MemberType = typeof(Toolchain))]
    public async Task A_registry_that_is_down_is_retried_per_config_then_exit_6_within_the_deadline(string toolchain)
    {
        await using var deployment = Deployment.Create("down", Toolchain.Named(toolchain));
        var digest = await deployment.PushImageAsync();
        deployment.Approve(digest);
        // Nothing listens on port 9 of loopback: every connection is refused.
        deployment.Config = deployment.Config with
        {
            Reference = $"127.0.0.1:9/{deployment.Repository}", Attempts = 3, BackoffInitial = "1s", Deadline = "40s",
        };

        var clock = Stopwatch.StartNew();
        var run = await deployment.LauncherAsync("run");
        clock.Stop();

        run.ExitCode.Should().Be(6, run.Error);
        LauncherLog.PullAttempts(run.Error).Should().Equal([1, 2, 3], run.Error);
        clock.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(40));
        File.Exists(deployment.EventLog).Should().BeFalse();
        (await deployment.ContainersAsync(all: true)).Should().BeEmpty();
    }

    [Theory]
    [MemberData(nameof(Toolchain.EachEngine), MemberType = typeof(Toolchain))]
    public async Task A_digest_the_registry_does_not_have_is_exit_5_after_one_attempt(string toolchain)
    {
        await using var deployment = Deployment.Create("unknown", Toolchain.Named(toolchain));
        await deployment.PushImageAsync();
        var missing = "sha256:" + new string('e', 64);
        deployment.Approve(missing);
        deployment.Config = deployment.Config with { Attempts = 5 };

        var run = await deployment.LauncherAsync("run");

        run.ExitCode.Should().Be(5, run.Error);
        LauncherLog.PullAttempts(run.Error).Should().Equal([1], "a missing manifest is permanent: {0}", run.Error);
        run.Error.Should().MatchRegex("manifest unknown|not found");
        File.Exists(deployment.EventLog).Should().BeFalse();
    }

    [Theory]
    [MemberData(nameof(Toolchain.EachEngine), MemberType = typeof(Toolchain))]
    public async Task A_registry_that_never_answers_hits_the_attempt_timeout_then_the_deadline_with_exit_6(string toolchain)
    {
        await using var deployment = Deployment.Create("silent", Toolchain.Named(toolchain));
        var digest = await deployment.PushImageAsync();
        deployment.Approve(digest);
        // Accepts connections and never answers: each docker pull hangs until pull.attempt_timeout.
        using var silent = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        silent.Start();
        var port = ((System.Net.IPEndPoint)silent.LocalEndpoint).Port;
        deployment.Config = deployment.Config with
        {
            Reference = $"127.0.0.1:{port}/{deployment.Repository}", Attempts = 10, BackoffInitial = "1s",
            AttemptTimeout = "3s", Deadline = "8s",
        };

        var clock = Stopwatch.StartNew();
        var run = await deployment.LauncherAsync("run");
        clock.Stop();

        run.ExitCode.Should().Be(6, run.Error);
        run.Error.Should().Contain("timed out after 3s").And.Contain("did not finish within pull.deadline 8s");
        clock.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(20), "the deadline bounds the whole pull phase");
        LauncherLog.PullAttempts(run.Error).Count().Should().BeLessThan(10, "the deadline ends the attempts before they run out");
        File.Exists(deployment.EventLog).Should().BeFalse();
    }
}
