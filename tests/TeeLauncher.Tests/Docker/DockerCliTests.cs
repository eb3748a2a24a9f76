using FluentAssertions;
using TeeLauncher.Docker;
using Xunit;

namespace TeeLauncher.Tests.Docker;

public sealed class DockerCliTests
{
    [Fact]
    public async Task A_streamed_command_hands_every_line_on_and_keeps_only_its_last_lines()
    {
        var seen = new List<string>();

        var output = await DockerCli.RunAsync("seq", ["1", "5000"], CancellationToken.None, onOutputLine: seen.Add);

        output.Succeeded.Should().BeTrue();
        seen.Should().HaveCount(5000).And.EndWith("5000");
        output.StandardOutput.Split('\n').Should().HaveCount(64).And.StartWith("4937").And.EndWith("5000");
    }

    [Fact]
    public async Task A_command_that_is_not_streamed_keeps_its_whole_output()
    {
        var output = await DockerCli.RunAsync("seq", ["1", "5000"], CancellationToken.None);

        output.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Should().HaveCount(5000);
    }

    [Fact]
    public async Task No_command_inherits_the_launchers_DOCKER_DEFAULT_PLATFORM()
    {
        Environment.SetEnvironmentVariable("DOCKER_DEFAULT_PLATFORM", "linux/arm64");
        try
        {
            var output = await DockerCli.RunAsync("env", [], CancellationToken.None);

            output.Succeeded.Should().BeTrue();
            output.StandardOutput.Should().NotContain("DOCKER_DEFAULT_PLATFORM").And.Contain("PATH=");
        }
        finally
        {
            Environment.SetEnvironmentVariable("DOCKER_DEFAULT_PLATFORM", null);
        }
    }
}
