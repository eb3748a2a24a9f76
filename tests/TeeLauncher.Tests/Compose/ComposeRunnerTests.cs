using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using TeeLauncher.Compose;
using TeeLauncher.Configuration;
using TeeLauncher.Docker;
using TeeLauncher.Errors;
using TeeLauncher.Testing;
using TeeLauncher.Values;

namespace TeeLauncher.Tests.Compose;

/// <summary>The compose command lines, and compose down after a failed or interrupted up, against a scripted docker.</summary>
public sealed class ComposeRunnerTests : IDisposable
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("compose-runner-tests-");
    private readonly ComposeSeal _seal;

    public ComposeRunnerTests() => _seal = ComposeSeal.Create(_folder.FullName);

    public void Dispose() => _folder.Delete(recursive: true);

    private string Sealed => $"--project-directory {_seal.ProjectDirectory}";

    private string In => $"(in {_seal.ProjectDirectory})";

    private const string RenderedFile = "/var/lib/tee-launcher/compose.rendered.yml";
    private static readonly byte[] Rendered = Encoding.UTF8.GetBytes("services:\n  app:\n    image: app@sha256:00\n");

    private readonly ScriptedDocker _docker = new();
    private int _stoppingTold;

    private ComposeRunner Runner(ComposeCommandKind command = ComposeCommandKind.DockerComposePlugin, double stopSeconds = 30) =>
        new(_docker, ComposeSettings.Default with { Project = "app", Command = command, StopTimeout = TimeSpan.FromSeconds(stopSeconds) },
            _seal, NullLogger.Instance);

    private async Task UpAsync(ComposeRunner compose, CancellationToken cancellationToken = default)
    {
        await using var up = compose.StartUp(cancellationToken);
        await compose.UpElseDownAsync(up, Rendered, RenderedFile, () => Task.CompletedTask, () => _stoppingTold++, cancellationToken);
    }

    [Fact]
    public async Task The_plugin_is_run_through_docker_with_the_measured_file_on_its_input_and_never_pulls()
    {
        byte[]? given = null;
        _docker.Compose = (_, file) => { given = file; return ScriptedDocker.Ok; };

        await UpAsync(Runner());

        _docker.Calls.Should().Equal(
            $"docker compose --project-name app {Sealed} --file - up --detach --remove-orphans --no-build --pull never {In}");
        given.Should().Equal(Rendered);
        _stoppingTold.Should().Be(0);
    }

    [Fact]
    public async Task Standalone_compose_is_run_as_docker_compose_without_the_pull_flag_it_does_not_have()
    {
        await UpAsync(Runner(ComposeCommandKind.DockerComposeStandalone));

        _docker.Calls.Should().Equal($"docker-compose --project-name app {Sealed} --file - up --detach --remove-orphans --no-build {In}");
    }

    [Theory]
    [InlineData(true, 0, "docker compose")]
    [InlineData(true, 1, "docker-compose")]
    [InlineData(false, 0, "docker-compose")]
    public async Task Auto_takes_the_plugin_only_when_it_is_installed_and_answers(bool installed, int versionExit, string expected)
    {
        _docker.Docker = arguments => arguments is ["compose", "version"] ? new DockerOutput(versionExit, "", "", TimeSpan.Zero) : ScriptedDocker.Ok;
        var compose = new ComposeRunner(_docker, ComposeSettings.Default with { Command = ComposeCommandKind.Auto }, _seal, NullLogger.Instance, () => installed);

        var command = await compose.CommandAsync(CancellationToken.None);
        await compose.CommandAsync(CancellationToken.None);

        string.Join(' ', command).Should().Be(expected);
        _docker.Calls.Should().Equal(installed ? ["docker compose version"] : Array.Empty<string>(), "the answer is kept, and no plugin means no process");
    }

    [Fact]
    public async Task A_failed_up_is_followed_by_down_and_reported_in_compose_words()
    {
        _docker.Compose = (arguments, _) => arguments.Contains("up") ? new DockerOutput(1, "", "service app: unhealthy", TimeSpan.Zero) : ScriptedDocker.Ok;

        var up = () => UpAsync(Runner(stopSeconds: 1.5));

        (await up.Should().ThrowAsync<ComposeException>()).WithMessage("compose failed to start project 'app': service app: unhealthy");
        _docker.Calls[^1].Should().Be($"docker compose --project-name app {Sealed} --file {RenderedFile} down --timeout 2 {In}");
        _stoppingTold.Should().Be(1);
    }

    [Fact]
    public async Task A_stop_while_up_waits_runs_down_and_says_nothing_is_left_running()
    {
        using var stop = new CancellationTokenSource();
        _docker.Compose = (arguments, _) => arguments.Contains("up") ? null : ScriptedDocker.Ok;
        var compose = Runner();

        var up = UpAsync(compose, stop.Token);
        await WaitForAsync(() => _docker.Calls.Count == 1);
        await stop.CancelAsync();

        var stopped = () => up;
        (await stopped.Should().ThrowAsync<ComposeException>()).WithMessage(
            "stopped by a signal while compose was starting project 'app'; what it had started was stopped with compose down and nothing is left running");
        _docker.Calls[^1].Should().Contain(" down --timeout 30");
    }

    [Fact]
    public async Task A_failed_down_after_a_failed_up_is_what_is_reported()
    {
        _docker.Compose = (arguments, _) => new DockerOutput(1, "", arguments.Contains("up") ? "up failed" : "down failed", TimeSpan.Zero);

        var up = () => UpAsync(Runner());

        (await up.Should().ThrowAsync<ComposeException>()).WithMessage("compose failed to stop project 'app': down failed");
    }

    [Fact]
    public async Task Only_running_leftovers_are_stopped_within_the_stop_timeout()
    {
        _docker.Containers =
        [
            ScriptedDocker.Container("aaa", "running", "app-web-1"), ScriptedDocker.Container("bbb", "exited", "app-db-1"),
            ScriptedDocker.Container("ccc", "restarting", "app-job-1"),
        ];

        var stopped = await Runner(stopSeconds: 10).StopLeftoversAsync(CancellationToken.None);

        stopped.Should().Be(2);
        _docker.Calls[^1].Should().Be("docker stop --time 10 aaa ccc");
    }

    [Fact]
    public async Task No_leftovers_means_no_stop()
    {
        (await Runner().StopLeftoversAsync(CancellationToken.None)).Should().Be(0);
        _docker.Calls.Should().ContainSingle().Which.Should().StartWith("docker ps --all --no-trunc --filter label=com.docker.compose.project=app");
    }

    [Fact]
    public async Task Leftovers_are_listed_at_once_but_stopped_only_after_the_model_check()
    {
        _docker.Containers = [ScriptedDocker.Container("aaa", "running", "app-web-1")];
        var check = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var stop = Runner().StopLeftoversAsync(CancellationToken.None, check.Task);
        await WaitForAsync(() => _docker.Calls.Count == 1);
        await Task.Delay(50);
        _docker.Calls.Should().ContainSingle("the stop waits for the check");
        check.SetResult();

        (await stop).Should().Be(1);
        _docker.Calls[^1].Should().Be("docker stop --time 30 aaa");
    }

    [Fact]
    public async Task A_failed_model_check_stops_no_leftover()
    {
        _docker.Containers = [ScriptedDocker.Container("aaa", "running", "app-web-1")];

        var stopped = await Runner().StopLeftoversAsync(CancellationToken.None, Task.FromException(new ConfigException("compose refuses it")));

        stopped.Should().Be(0);
        _docker.Calls.Should().ContainSingle().Which.Should().StartWith("docker ps ");
    }

    private static readonly PinnedImage Measured = new(ImageReference.Parse("registry.test/app"), ImageDigest.Parse("sha256:" + new string('a', 64)));

    [Fact]
    public async Task A_measured_service_listed_running_with_the_measured_reference_needs_one_ps()
    {
        _docker.Containers = [$"app\trunning\t{Measured.Reference}", "side\trunning\tsha256:" + new string('b', 64)];

        await Runner().CheckMeasuredRunningAsync(["app"], Measured, CancellationToken.None);

        _docker.Calls.Should().Equal(
            "docker ps --all --no-trunc --filter label=com.docker.compose.project=app --format {{.Label \"com.docker.compose.service\"}}\t{{.State}}\t{{.Image}}");
    }

    [Fact]
    public async Task A_measured_service_listed_with_another_image_is_checked_by_image_id_and_named()
    {
        // dockerd lists the image ID when the container's reference no longer resolves to its image.
        _docker.Containers = ["app\trunning\tsha256:" + new string('b', 64)];
        _docker.Docker = arguments => arguments[0] == "image" ? new DockerOutput(0, "sha256:" + new string('c', 64) + "\n", "", TimeSpan.Zero) : ScriptedDocker.Ok;

        var check = () => Runner().CheckMeasuredRunningAsync(["app"], Measured, CancellationToken.None);

        (await check.Should().ThrowAsync<ComposeException>()).WithMessage(
            $"compose reported project 'app' up, but measured service(s) 'app' have no running container of the measured image {Measured.Reference} (sha256:ccc*)");
        _docker.Calls.Select(c => string.Join(' ', c.Split(' ').Take(2))).Should().Equal("docker ps", "docker image", "docker ps");
    }

    [Fact]
    public async Task An_unreachable_daemon_is_told_apart_from_a_compose_failure()
    {
        _docker.Docker = _ => new DockerOutput(1, "", "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?", TimeSpan.Zero);
        _docker.Containers = [ScriptedDocker.Container("aaa", "running", "app-web-1")];

        var stop = () => Runner().StopLeftoversAsync(CancellationToken.None);

        (await stop.Should().ThrowAsync<DaemonUnreachableException>()).WithMessage("cannot stop the containers of project 'app' left from before: the docker daemon cannot be reached: *");
    }

    internal static Task WaitForAsync(Func<bool> condition) => Eventually.HoldsAsync(condition, TimeSpan.FromSeconds(5), poll: TimeSpan.FromMilliseconds(5));
}
