using System.Text.Json;
using TeeLauncher.IntegrationTests.Support;

namespace TeeLauncher.IntegrationTests.LaunchPath;

/// <summary>
/// Issue 22, docs/spec.md §4.1 and §8: a supervising launcher against the real dockerd and docker-compose, while the
/// stack runs: the approved list changed under it (through inotify, the interval is left at one minute), and a
/// container that docker's restart policy keeps restarting.
/// </summary>
public sealed class RunningTests
{
    private static readonly TimeSpan Soon = TimeSpan.FromSeconds(30);

    /// <summary>A supervising launcher that is up (READY=1), with its notify socket.</summary>
    private sealed class Running(Deployment deployment, LauncherProcess launcher, NotifySocket notify) : IAsyncDisposable
    {
        public LauncherProcess Launcher => launcher;

        public NotifySocket Notify => notify;

        public static async Task<Running> StartAsync(Deployment deployment)
        {
            deployment.Config = deployment.Config with { Supervise = true, StopTimeout = "5s" };
            File.WriteAllText(deployment.ConfigPath, deployment.Config.Render());
            var notify = new NotifySocket(deployment.Directory);
            var launcher = LauncherProcess.Start(["run", "--config", deployment.ConfigPath],
                new Dictionary<string, string?> { ["NOTIFY_SOCKET"] = notify.Path });
            var running = new Running(deployment, launcher, notify);
            await running.UntilAsync(() => notify.Messages.Contains("READY=1"), TimeSpan.FromMinutes(2), "READY=1");
            return running;
        }

        public Task UntilAsync(Func<bool> condition, TimeSpan timeout, string what) => UntilAsync(() => Task.FromResult(condition()), timeout, what);

        private async Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
        {
            var deadline = DateTime.UtcNow + timeout;
            while (!await condition())
            {
                if (DateTime.UtcNow > deadline)
                    throw new TimeoutException($"{what} not seen within {timeout}; STATUS= lines:\n{string.Join("\n", notify.Messages)}\nlauncher log:\n{launcher.ErrorSoFar}");
                await Task.Delay(200);
            }
        }

        /// <summary>Polls <c>status --json</c> until <paramref name="condition"/> holds of it, and returns it.</summary>
        public async Task<JsonElement> StatusAsync(Func<JsonElement, bool> condition, string what)
        {
            JsonElement status = default;
            await UntilAsync(async () =>
            {
                var result = await deployment.LauncherAsync("status", "--json");
                result.ExitCode.Should().Be(0, result.Error);
                status = JsonDocument.Parse(result.Out).RootElement.Clone();
                return condition(status);
            }, Soon, what);
            return status;
        }

        public async ValueTask DisposeAsync()
        {
            await launcher.DisposeAsync();
            notify.Dispose();
        }
    }

    private static string State(JsonElement status) =>
        status.TryGetProperty("approval", out var approval) ? approval.GetProperty("state").GetString()! : "";

    /// <summary>As a careful writer replaces the list: a new file renamed over the old one.</summary>
    private static void ReplaceList(Deployment deployment, string content)
    {
        var temporary = deployment.Config.ApprovedHashesFile + ".new";
        File.WriteAllText(temporary, content);
        File.Move(temporary, deployment.Config.ApprovedHashesFile!, overwrite: true);
    }

    private static string List(params string[] digests) =>
        $"{{\"approved_hashes\": [{string.Join(", ", digests.Select(d => $"\"{d}\""))}]}}";

    [Fact]
    public async Task The_running_digest_removed_from_the_list_under_policy_stop_takes_the_stack_down_and_exits_10()
    {
        await using var deployment = Deployment.Create("revoked-stop", Toolchain.Debian12);
        var digest = await deployment.PushImageAsync();
        var other = await deployment.PushImageAsync("other");
        deployment.Approve(digest);
        await using var running = await Running.StartAsync(deployment);
        await running.StatusAsync(s => State(s) == "approved", "approval checked");

        ReplaceList(deployment, List(other));
        var result = await running.Launcher.WaitAsync(TimeSpan.FromSeconds(60));

        result.ExitCode.Should().Be(10, result.Error);
        result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1].Should()
            .Contain($"the running image {digest} is no longer approved: {digest} is no longer listed in {deployment.Config.ApprovedHashesFile} (1 approved digest)")
            .And.Contain("reboot");
        (await Containers.OfProjectAsync(DockerEngine.Engine20, deployment.Config.Project, all: true)).Should().BeEmpty("the stack was taken down");
        running.Notify.Messages.Should().Contain("STATUS=stopping the stack");
        using var status = JsonDocument.Parse((await deployment.LauncherAsync("status", "--json")).Out);
        status.RootElement.GetProperty("phase").GetString().Should().Be("stopped");
        status.RootElement.GetProperty("error").GetString().Should().Contain("is no longer approved");
        status.RootElement.GetProperty("approval").GetProperty("state").GetString().Should().Be("unapproved");
        status.RootElement.GetProperty("approval").GetProperty("policy").GetString().Should().Be("stop");
    }

    [Fact]
    public async Task Under_policy_report_a_removed_digest_and_a_newer_approved_one_are_reported_and_the_stack_keeps_running()
    {
        await using var deployment = Deployment.Create("revoked-report", Toolchain.Debian12);
        var digest = await deployment.PushImageAsync();
        var other = await deployment.PushImageAsync("other");
        deployment.Approve(digest);
        deployment.Config = deployment.Config with { ImageExtra = "on_unapproved = \"report\"\n" };
        await using var running = await Running.StartAsync(deployment);
        var container = (await Containers.OfProjectAsync(DockerEngine.Engine20, deployment.Config.Project)).Single();
        var before = DateTimeOffset.UtcNow;

        ReplaceList(deployment, List(other));
        var revoked = await running.StatusAsync(s => State(s) == "unapproved", "unapproved in status");

        revoked.GetProperty("phase").GetString().Should().Be("running");
        var approval = revoked.GetProperty("approval");
        approval.GetProperty("policy").GetString().Should().Be("report");
        approval.GetProperty("detail").GetString().Should().Be($"{digest} is no longer listed in {deployment.Config.ApprovedHashesFile} (1 approved digest)");
        approval.GetProperty("since").GetDateTimeOffset().Should().BeOnOrAfter(before.AddSeconds(-1)).And.BeOnOrBefore(DateTimeOffset.UtcNow);
        await running.UntilAsync(() => running.Notify.Messages.Any(m => m.StartsWith($"STATUS=running {deployment.Pinned(digest)}; the image is no longer approved since ", StringComparison.Ordinal)
            && m.EndsWith("(on_unapproved = report)", StringComparison.Ordinal)), Soon, "STATUS= of the unapproved image");
        running.Launcher.ErrorSoFar.Should().Contain($"The running image {digest} is no longer approved: {digest} is no longer listed");
        (await Containers.OfProjectAsync(DockerEngine.Engine20, deployment.Config.Project)).Should().ContainSingle().Which.Should().Be(container, "report keeps the stack as it is");

        ReplaceList(deployment, List(other, digest));
        var newer = await running.StatusAsync(s => State(s) == "approved", "approved again");

        newer.GetProperty("approval").GetProperty("newer_digest").GetString().Should().Be(other);
        newer.GetProperty("approval").GetProperty("position").GetInt32().Should().Be(2);
        newer.GetProperty("approval").GetProperty("detail").GetString().Should().EndWith($"a newer image is approved ({other}); it runs after the next boot");
        await running.UntilAsync(() => running.Notify.Messages.Contains($"STATUS=running {deployment.Pinned(digest)}; a newer image is approved; it runs after the next boot"),
            Soon, "STATUS= of the newer image");
        running.Launcher.ErrorSoFar.Should().Contain("a newer image is approved");
        deployment.EventLogLines().Should().HaveCount(2, "nothing is measured again: the image event and the compose event of the boot");
        (await Containers.OfProjectAsync(DockerEngine.Engine20, deployment.Config.Project)).Should().ContainSingle().Which.Should().Be(container);

        await running.Launcher.SignalAsync("TERM");
        (await running.Launcher.WaitAsync(TimeSpan.FromSeconds(60))).ExitCode.Should().Be(0);
    }

    [Fact]
    public async Task A_list_made_corrupt_is_reported_as_unreadable_under_policy_stop_and_the_stack_is_left_unchanged()
    {
        await using var deployment = Deployment.Create("corrupt-list", Toolchain.Debian12);
        var digest = await deployment.PushImageAsync();
        deployment.Approve(digest);
        await using var running = await Running.StartAsync(deployment);
        var container = (await Containers.OfProjectAsync(DockerEngine.Engine20, deployment.Config.Project)).Single();
        await running.StatusAsync(s => State(s) == "approved", "approval checked");

        // Written in place, as a careless writer does: the launcher reads the bytes once they have settled. An unknown field
        // is skipped as NEAR's reader skips it (docs/spec.md §4), so the corruption is an entry that is not a digest.
        File.WriteAllText(deployment.Config.ApprovedHashesFile!, "{\"approved_hashes\": [\"evil\\u001b[2J\"]}");
        var corrupt = await running.StatusAsync(s => State(s) == "unreadable", "unreadable in status");

        corrupt.GetProperty("phase").GetString().Should().Be("running");
        corrupt.GetProperty("approval").GetProperty("detail").GetString().Should()
            .StartWith($"{deployment.Config.ApprovedHashesFile}:1:").And.Contain("approved hashes file entry 1: 'evil\u001b[2J' is not a digest");
        await running.UntilAsync(() => running.Notify.Messages.Any(m => m.StartsWith($"STATUS=running {deployment.Pinned(digest)}; the approved list cannot be read since ", StringComparison.Ordinal)
            && m.EndsWith(": approval unknown", StringComparison.Ordinal)), Soon, "STATUS= of the unreadable list");
        running.Launcher.ErrorSoFar.Should().Contain("The approved list cannot be read, so the running image's approval is unknown; the stack keeps running")
            .And.NotContain("\u001b", "text from the file reaches the journal escaped");
        var text = await deployment.LauncherAsync("status");
        text.Out.Should().Contain("approval:    unreadable since ").And.NotContain("\u001b");
        (await Containers.OfProjectAsync(DockerEngine.Engine20, deployment.Config.Project)).Should().ContainSingle().Which.Should().Be(container);

        ReplaceList(deployment, List(digest));
        await running.StatusAsync(s => State(s) == "approved", "approved again");
        running.Launcher.ErrorSoFar.Should().Contain($"The running image {digest} is approved: listed at position 1");
        (await Containers.OfProjectAsync(DockerEngine.Engine20, deployment.Config.Project)).Should().ContainSingle().Which.Should().Be(container);
    }

    [Fact]
    public async Task A_container_that_exits_again_and_again_under_a_restart_policy_shows_its_restarts_last_exit_code_and_time()
    {
        await using var deployment = Deployment.Create("restarts", Toolchain.Debian12);
        var digest = await deployment.PushImageAsync();
        deployment.Approve(digest);
        deployment.WriteTemplate(Deployment.DefaultTemplate + """

              crashing:
                image: ${TEE_LAUNCHER_IMAGE}
                network_mode: none
                restart: always
                command: ["/bin/sh", "-c", "sleep 1; exit 3"]
            """);
        var launched = DateTimeOffset.UtcNow;
        await using var running = await Running.StartAsync(deployment);

        var status = await running.StatusAsync(s => s.TryGetProperty("services", out var services)
            && services.EnumerateArray().Any(x => x.GetProperty("name").GetString() == "crashing" && x.GetProperty("restarts").GetInt32() >= 3), "3 restarts");

        var services = status.GetProperty("services").EnumerateArray().ToDictionary(s => s.GetProperty("name").GetString()!);
        services.Keys.Should().BeEquivalentTo("app", "crashing");
        services["app"].GetProperty("restarts").GetInt32().Should().Be(0);
        services["app"].GetProperty("last_exit_code").ValueKind.Should().Be(JsonValueKind.Null, "app never exited");
        var crashing = services["crashing"];
        crashing.GetProperty("last_exit_code").GetInt32().Should().Be(3);
        crashing.GetProperty("last_exit_at").GetDateTimeOffset().Should().BeAfter(launched).And.BeOnOrBefore(DateTimeOffset.UtcNow);
        var id = (await DockerEngine.Engine20.DockerAsync("ps", "--all", "--no-trunc", "--filter", $"label=com.docker.compose.project={deployment.Config.Project}",
            "--filter", "label=com.docker.compose.service=crashing", "--format", "{{.ID}}")).Succeeded("docker ps").Out.Trim();
        var dockerCount = int.Parse((await DockerEngine.Engine20.DockerAsync("inspect", "--format", "{{.RestartCount}}", id)).Succeeded("docker inspect").Out.Trim());
        crashing.GetProperty("restarts").GetInt32().Should().BeInRange(3, dockerCount, "the count is docker's own, read at the last exit");
        status.GetProperty("phase").GetString().Should().Be("running", "a service docker keeps restarting does not fail the stack");

        await running.UntilAsync(() => running.Notify.Messages.Any(m => m.StartsWith("STATUS=restarting crashing (", StringComparison.Ordinal)), Soon, "STATUS=restarting");
        running.Launcher.ErrorSoFar.Should().Contain($"Service crashing of project {deployment.Config.Project} was restarted by docker: ")
            .And.Contain("exited with code 3");
        var text = await deployment.LauncherAsync("status");
        text.Out.Should().MatchRegex(@"  service crashing: \d+ restarts since launch, last exit 3 at \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ");

        await running.Launcher.SignalAsync("TERM");
        (await running.Launcher.WaitAsync(TimeSpan.FromSeconds(60))).ExitCode.Should().Be(0);
    }
}
