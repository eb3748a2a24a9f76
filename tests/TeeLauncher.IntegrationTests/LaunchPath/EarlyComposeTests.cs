using TeeLauncher.IntegrationTests.Support;

namespace TeeLauncher.IntegrationTests.LaunchPath;

/// <summary>Compose starts before the pull (to load meanwhile) but may receive its file only after the measurement.</summary>
public sealed class EarlyComposeTests
{
    [Theory]
    [MemberData(nameof(Toolchain.EachCompose), MemberType = typeof(Toolchain))]
    public async Task A_pull_that_fails_after_compose_started_gives_compose_no_file_and_creates_no_container(string toolchain)
    {
        await using var deployment = Deployment.Create("early-compose", Toolchain.Named(toolchain));
        await deployment.PushImageAsync();
        deployment.Approve("sha256:" + new string('d', 64));

        var run = await deployment.LauncherAsync("run");

        run.ExitCode.Should().Be(5, run.Error);
        File.Exists(deployment.EventLog).Should().BeFalse();
        ProcessesNaming(deployment.Config.Project).Should().BeEmpty("the pending compose is killed with the failed launch");
        await Task.Delay(TimeSpan.FromSeconds(2));
        (await deployment.ContainersAsync(all: true)).Should().BeEmpty(
            "compose must never see the file of a launch that was not measured");
    }

    private static IEnumerable<string> ProcessesNaming(string project) =>
        Directory.EnumerateDirectories("/proc")
            .Select(dir => Path.Combine(dir, "cmdline"))
            .Select(file =>
            {
                try
                {
                    return File.ReadAllText(file).Replace('\0', ' ');
                }
                catch (IOException)
                {
                    return "";
                }
                catch (UnauthorizedAccessException)
                {
                    return "";
                }
            })
            .Where(command => command.Contains($"--project-name {project} "));
}
