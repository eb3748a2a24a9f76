using TeeLauncher.IntegrationTests.Support;
using TeeLauncher.Testing;

namespace TeeLauncher.IntegrationTests.LaunchPath;

/// <summary>Issue 3, scenario 5: nothing of the workload runs unmeasured.</summary>
public sealed class QuiesceTests
{
    [Theory]
    [MemberData(nameof(Toolchain.EachCompose), MemberType = typeof(Toolchain))]
    public async Task A_container_left_running_from_before_is_stopped_before_the_measurement(string toolchain)
    {
        await using var deployment = Deployment.Create("leftover", Toolchain.Named(toolchain));
        var digest = await deployment.PushImageAsync();
        deployment.Approve(digest);
        // What dockerd's restart policy brings back at boot: a container of the project, running before the launcher.
        var leftover = (await deployment.Toolchain.Engine.DockerAsync("run", "--detach", "--network", "none", "--restart", "always",
            "--label", $"com.docker.compose.project={deployment.Config.Project}", "--label", "com.docker.compose.service=app",
            TestEnvironment.BaseImage, "/bin/sleep", "3600")).Succeeded("docker run").Out.Trim();

        var runningAtExtend = new List<bool>();
        using var dstack = new DstackStandIn(Path.Combine(deployment.Directory, "dstack.sock"), async (_, _) =>
        {
            var running = await deployment.ContainersAsync();
            runningAtExtend.Add(running.Any(c => c.Id == leftover));
        });
        deployment.Config = deployment.Config with { Backend = "dstack", MeasurementExtra = $"dstack_socket = \"{dstack.SocketPath}\"\n" };

        var run = await deployment.LauncherAsync("run");

        run.ExitCode.Should().Be(0, run.Error);
        runningAtExtend.Should().Equal([false, false], "the leftover container was stopped before either extend");
        var containers = await deployment.ContainersAsync();
        containers.Should().ContainSingle().Which.Image.Should().Be(deployment.Pinned(digest));
        containers.Single().Id.Should().NotBe(leftover);
    }
}
