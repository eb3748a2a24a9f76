using TeeLauncher.IntegrationTests.Support;
using TeeLauncher.State;
using TeeLauncher.Testing;
using TeeLauncher.Values;

namespace TeeLauncher.IntegrationTests.LaunchPath;

/// <summary>
/// Issue 14: the launcher as dstack runs it, the one service of the app's compose file, from the image that
/// packaging/build-image.sh builds and pushed by digest to the real registry. docker-compose 1.29 starts it on the
/// real dockerd 20.10 (whose bind mounts are paths of this machine; dockerd 26 runs in a root of its own) with the
/// docker socket, dstack's socket and the per-boot state directory mounted, and with
/// config/dstack's confinement: read-only root, all capabilities dropped but DAC_OVERRIDE, no new privileges.
/// The dstack guest agent cannot run here: <see cref="DstackStandIn"/> answers as v0.5.11's (Dstack-TEE/dstack commit
/// 40eaf35e6b3f112998d01569f2a26110baab123b) with /EmitEvent. The
/// launcher's files are bind-mounted because compose 1.29 here has no inline `configs` (dstack's has).
/// </summary>
public sealed class DstackImageTests
{
    [Fact]
    public async Task The_image_measures_and_starts_the_workload_beside_itself_once_per_boot()
    {
        var image = await LauncherImage.GetAsync();
        await using var deployment = Deployment.Create("dstack-image", Toolchain.Debian12);
        var launcherImage = await image.PushAsync(TestEnvironment.Registry, $"it/{deployment.Name}-launcher");
        var digest = await deployment.PushImageAsync();
        var boot = Directory.CreateDirectory(Path.Combine(deployment.Directory, "run")).FullName;
        using var dstack = new DstackStandIn(Path.Combine(deployment.Directory, "dstack.sock"));
        deployment.WriteTemplate(Deployment.DefaultTemplate.Replace("network_mode: none", "network_mode: host"));
        var template = deployment.Config.ComposeFile;
        deployment.Config = deployment.Config with
        {
            Platform = "tee", StateDir = "/run/tee-launcher", ComposeFile = "/etc/tee-launcher/compose.yml", ApprovedHashesFile = null,
            DefaultDigest = digest, Backend = "dstack", Supervise = true, ComposeCommand = "docker compose",
            MeasurementExtra = "dstack_socket = \"/var/run/dstack.sock\"\ncompose_event = true\n",
        };
        // The compose plugin of the image.
        File.WriteAllText(deployment.ConfigPath, deployment.Config.Render());
        var app = deployment.WriteFile("docker-compose.yml", AppCompose(launcherImage, deployment.ConfigPath, template, dstack.SocketPath, boot));
        var appProject = $"{deployment.Config.Project}_app";
        var status = Path.Combine(boot, "status.json");

        try
        {
            (await Compose(appProject, app, "up", "-d")).Succeeded("docker-compose up of the app");
            var first = await RunningAsync(status, DateTimeOffset.MinValue, () => Compose(appProject, app, "logs"));

            dstack.Events.Select(e => e.Event).Should().Equal("image-digest", EventNames.Compose);
            dstack.Events[0].Payload.Should().Be(digest["sha256:".Length..]);
            first.Events.Should().OnlyContain(e => e.ExtendedNow);
            var workload = await deployment.ContainersAsync();
            workload.Should().ContainSingle().Which.Image.Should().Be(deployment.Pinned(digest));
            var launcher = (await Containers.OfProjectAsync(DockerEngine.Engine20, appProject)).Should().ContainSingle().Subject;
            (await DockerEngine.Engine20.DockerAsync("inspect", "--format", "{{json .RepoDigests}}", launcher.Image)).Succeeded("docker inspect").Out
                .Should().Contain(launcherImage, "the registry served the manifest that build-image.sh built");

            var restarted = DateTimeOffset.UtcNow;
            (await DockerEngine.Engine20.DockerAsync("restart", "--time", "60", launcher.Id)).Succeeded("docker restart of the launcher");
            var second = await RunningAsync(status, restarted, () => Compose(appProject, app, "logs"));

            dstack.Events.Should().HaveCount(2, "a restart in the same boot measures nothing again");
            second.Events.Select(e => e.Name).Should().Equal(first.Events.Select(e => e.Name));
            second.Events.Should().OnlyContain(e => !e.ExtendedNow);
            (await deployment.ContainersAsync()).Should().ContainSingle()
                .Which.Image.Should().Be(deployment.Pinned(digest));
        }
        finally
        {
            await Compose(appProject, app, "down", "--timeout", "60");
            await DockerEngine.Engine20.DockerAsync("image", "rm", launcherImage);
        }
    }

    [Fact]
    public async Task The_image_runs_nothing_but_the_launcher_docker_and_compose()
    {
        var image = await LauncherImage.GetAsync();
        var files = await image.LayerListingAsync();

        var executables = files.Split('\n')
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f.Length >= 6 && f[0][0] == '-' && f[0].Contains('x'))
            .Select(f => f[^1].TrimStart('.'))
            .Where(path => !path.Contains(".so"));
        executables.Should().BeEquivalentTo("/usr/bin/docker", "/usr/bin/tee-launcher", "/usr/libexec/docker/cli-plugins/docker-compose");
        files.Should().NotContainAny(["/usr/bin/dpkg", "/usr/bin/apt", "/usr/bin/perl", "/usr/bin/sh", "/usr/bin/bash", "/usr/bin/openssl"]);
        files.Should().Contain("./etc/ssl/certs/ca-certificates.crt");
    }

    private static string AppCompose(string launcherImage, string config, string template, string dstackSocket, string boot) => $"""
        version: "2.4"
        services:
          tee-launcher:
            image: {launcherImage}
            entrypoint: ["/usr/bin/tee-launcher"]
            command: ["run", "--config", "/etc/tee-launcher/launcher.toml"]
            restart: on-failure
            init: true
            stop_grace_period: 2m
            network_mode: host
            read_only: true
            cap_drop: [ALL]
            cap_add: [DAC_OVERRIDE]
            security_opt:
              - no-new-privileges:true
            environment:
              DOCKER_CONFIG: /tmp/docker
            tmpfs:
              - /tmp
            volumes:
              - {TestEnvironment.DockerHost["unix://".Length..]}:/var/run/docker.sock
              - {dstackSocket}:/var/run/dstack.sock
              - {boot}:/run/tee-launcher
              - {config}:/etc/tee-launcher/launcher.toml:ro
              - {template}:/etc/tee-launcher/compose.yml:ro
        """;

    private static Task<ToolResult> Compose(string project, string file, params string[] arguments) =>
        ToolRun.RunAsync(TestEnvironment.ComposeV1, ["--project-name", project, "--file", file, .. arguments],
            environment: new Dictionary<string, string?> { ["DOCKER_HOST"] = TestEnvironment.DockerHost }, timeout: TimeSpan.FromMinutes(5));

    /// <summary>Waits for the launcher in the container to report the stack running, in a status written after <paramref name="since"/>.</summary>
    private static async Task<LaunchStatus> RunningAsync(string statusFile, DateTimeOffset since, Func<Task<ToolResult>> logs)
    {
        var deadline = DateTimeOffset.UtcNow.AddMinutes(3);
        LaunchStatus? status = null;
        while (DateTimeOffset.UtcNow < deadline)
        {
            status = LaunchStatus.Read(statusFile);
            if (status is { Phase: LaunchPhase.Running } && status.UpdatedAt > since)
                return status;
            if (status is { Phase: LaunchPhase.Failed } && status.UpdatedAt > since)
                break;
            await Task.Delay(200);
        }
        throw new InvalidOperationException($"the launcher did not report the stack running: {status?.Phase} {status?.Error}\n{(await logs()).Output}");
    }
}
