using TeeLauncher.IntegrationTests.Support;

namespace TeeLauncher.IntegrationTests.LaunchPath;

/// <summary>
/// Issue 19: the launcher judges the model the real compose makes of the rendered file before anything is pulled, runs
/// compose sealed, and checks after up that the measured services run the measured image (real dockerd and registry,
/// docker-compose 1.29 on dockerd 20.10, compose 2.26 as the plugin and 2.40 standalone on dockerd 26, each with its engine's own CLI: Toolchain).
/// </summary>
public sealed class ComposeModelTests
{
    private const string App = "services:\n  app:\n    image: ${TEE_LAUNCHER_IMAGE}\n    network_mode: none\n    command: [\"/bin/sleep\", \"3600\"]\n";

    public static TheoryData<string> Composes => Toolchain.EachCompose;

    public static TheoryData<string, string, string, string> Refusals => new()
    {
        { Toolchain.Debian12.Key, "empty compose.env value", App + "    environment:\n      TOKEN: ${TOKEN}\n", "{ TOKEN = \"\" }" },
        { Toolchain.Debian13.Key, "empty compose.env value", App + "    environment:\n      TOKEN: ${TOKEN}\n", "{ TOKEN = \"\" }" },
        { Toolchain.Debian13.Key, "'null' compose.env value", App + "    environment:\n      TOKEN: ${TOKEN}\n", "{ TOKEN = \"null\" }" },
        { Toolchain.Debian12.Key, "profiles", App + "    profiles: [later]\n", "{}" },
        { Toolchain.Debian13.Key, "profiles", App + "    profiles: [later]\n", "{}" },
        { Toolchain.Debian12.Key, "scale 0", App + "    scale: 0\n", "{}" },
        { Toolchain.Debian13.Key, "scale 0", App + "    scale: 0\n", "{}" },
        { Toolchain.Debian13.Key, "deploy.replicas 0", App + "    deploy: {replicas: 0}\n", "{}" },
        { Toolchain.Debian13.Key, "image volume", App + "    volumes: [{type: image, source: \"busybox:latest\", target: /img}]\n", "{}" },
        { Toolchain.Debian13.Key, "relative bind", App + "    volumes: [\".:/state\"]\n", "{}" },
        { Toolchain.Debian12.Key, "relative bind", App + "    volumes: [\".:/state\"]\n", "{}" },
        { Toolchain.Debian13.Key, "'~' bind", App + "    volumes: [\"~/.ssh:/keys\"]\n", "{}" },
        { Toolchain.Debian13.Key, "provider", App + "    provider: {type: awesomecloud}\n", "{}" },
        { Toolchain.Debian13.Key, "use_api_socket", App + "    use_api_socket: true\n", "{}" },
        { Toolchain.Debian13.Key, "develop (not on the allow-list)", App + "    develop: {watch: [{action: restart, path: /tmp/x}]}\n", "{}" },
        { Toolchain.Debian12.Key, "refused by compose: boolean environment value", App + "    environment:\n      FLAG: true\n", "{}" },
    };

    private static readonly Dictionary<string, string> Reasons = new()
    {
        ["empty compose.env value"] = "environment variable 'TOKEN' without a value",
        ["'null' compose.env value"] = "environment variable 'TOKEN' without a value",
        ["profiles"] = "would not start it",
        ["scale 0"] = "scale 0: compose up would not start it",
        ["deploy.replicas 0"] = "compose up would not start it",
        ["image volume"] = "mounts the image 'busybox:latest', which the launcher does not pull",
        ["relative bind"] = "a relative or '~' host path",
        ["'~' bind"] = "a relative or '~' host path",
        ["provider"] = "compose refuses the rendered template: validating -: services.app Additional property provider is not allowed",
        ["use_api_socket"] = "compose refuses the rendered template: validating -: services.app Additional property use_api_socket is not allowed",
        ["develop (not on the allow-list)"] = "service 'app' has 'develop', which is not on the launcher's list",
        ["refused by compose: boolean environment value"] = "compose refuses the rendered template: The Compose file is invalid because: services.app.environment.FLAG contains true",
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task A_template_whose_compose_model_runs_something_unmeasured_is_a_config_error_at_validate_and_at_run_before_the_pull(
        string composeName, string kind, string template, string env)
    {
        var compose = Toolchain.Named(composeName);
        await using var deployment = Deployment.Create("model", compose);
        var digest = await deployment.PushImageAsync();
        deployment.Approve(digest);
        deployment.WriteTemplate(template);
        deployment.Config = deployment.Config with { ComposeEnv = env };

        var validate = await deployment.LauncherAsync(["validate"], null);
        var run = await deployment.LauncherAsync(["run"], null);

        validate.ExitCode.Should().Be(3, "{0} on {1}: {2}", kind, compose, validate.Output);
        validate.Error.Should().Contain(Reasons[kind], "{0} on {1}", kind, compose);
        run.ExitCode.Should().Be(3, "{0} on {1}: {2}", kind, compose, run.Output);
        run.Error.Should().Contain(Reasons[kind]);
        (await deployment.ImagePresentAsync(deployment.Pinned(digest))).Should().BeFalse("nothing is pulled");
        File.Exists(deployment.EventLog).Should().BeFalse("nothing is measured");
        (await deployment.ContainersAsync(all: true)).Should().BeEmpty("nothing is started");
    }

    [Theory]
    [MemberData(nameof(Composes))]
    public async Task Compose_runs_sealed_from_the_state_dirs_env_file_the_launchers_compose_variables_and_docker_config_proxies(string composeName)
    {
        var compose = Toolchain.Named(composeName);
        await using var deployment = Deployment.Create("sealed", compose);
        var digest = await deployment.PushImageAsync();
        deployment.Approve(digest);
        var side = deployment.Pinned(await deployment.PushImageAsync("side"));
        deployment.WriteTemplate(App + $"  extra:\n    image: {side}\n    network_mode: none\n    command: [\"/bin/sleep\", \"3600\"]\n    profiles: [extra]\n");
        Directory.CreateDirectory(deployment.StateDir);
        File.WriteAllText(Path.Combine(deployment.StateDir, ".env"), "COMPOSE_PROFILES=extra\n");
        var dockerConfig = compose.DockerConfig(Path.Combine(deployment.Directory, "user-docker"));
        File.WriteAllText(Path.Combine(dockerConfig, "config.json"),
            "{\"proxies\": {\"default\": {\"httpProxy\": \"http://proxy.invalid:3128\", \"noProxy\": \"planted\"}}}");
        var launcherEnvironment = new Dictionary<string, string?>
        {
            ["COMPOSE_PROFILES"] = "extra", ["DOCKER_CONFIG"] = dockerConfig, ["DOCKER_DEFAULT_PLATFORM"] = "linux/arm64",
        };

        var run = await deployment.LauncherAsync(["run"], launcherEnvironment);

        run.ExitCode.Should().Be(0, run.Output);
        var containers = await deployment.ContainersAsync(all: true);
        containers.Should().ContainSingle("the profiled service stays off: {0}", string.Join(", ", containers))
            .Which.Image.Should().Be(deployment.Pinned(digest));
        var environment = (await compose.Engine.DockerAsync("inspect", "--format", "{{json .Config.Env}}", containers[0].Id)).Succeeded("docker inspect").Out;
        environment.Should().NotContainAny(["proxy.invalid", "planted"], "the docker config's proxies are not copied into the container");
    }

    [Theory]
    [MemberData(nameof(Composes))]
    public async Task A_measured_service_that_is_not_running_after_up_fails_the_launch_with_exit_8_and_the_stack_goes_down(string composeName)
    {
        var compose = Toolchain.Named(composeName);
        await using var deployment = Deployment.Create("after-up", compose);
        var digest = await deployment.PushImageAsync();
        deployment.Approve(digest);
        var side = deployment.Pinned(await deployment.PushImageAsync("side"));
        // Compose returns only after the measured service has exited (it starts "after" once "app" completed): the check
        // after up sees it exited, however soon it looks.
        deployment.WriteTemplate("services:\n  app:\n    image: ${TEE_LAUNCHER_IMAGE}\n    network_mode: none\n    command: [\"/bin/true\"]\n" +
            $"  after:\n    image: {side}\n    network_mode: none\n    command: [\"/bin/sleep\", \"3600\"]\n" +
            "    depends_on:\n      app:\n        condition: service_completed_successfully\n");

        var run = await deployment.LauncherAsync(["run"], null);

        run.ExitCode.Should().Be(8, run.Output);
        run.Error.Should().Contain("measured service(s) 'app' have no running container of the measured image");
        deployment.EventLogLines().Should().NotBeEmpty("the image was measured before up");
        (await deployment.ContainersAsync(all: true)).Should().BeEmpty("compose down removed the stack");
    }

    [Theory]
    [MemberData(nameof(Composes))]
    public async Task Validate_says_which_compose_judged_the_model(string composeName)
    {
        var compose = Toolchain.Named(composeName);
        await using var deployment = Deployment.Create("validate-model", compose);
        deployment.Approve(await deployment.PushImageAsync());
        deployment.WriteTemplate(App);

        var validate = await deployment.LauncherAsync(["validate"], null);

        validate.ExitCode.Should().Be(0, validate.Output);
        validate.Out.Should().Contain($"compose's model checked by {compose.Compose.LauncherCommand}");
    }

    [Fact]
    public async Task Validate_says_so_when_no_compose_is_installed_to_ask()
    {
        await using var deployment = Deployment.Create("no-compose", Toolchain.Debian12);
        deployment.Approve(await deployment.PushImageAsync());
        deployment.WriteTemplate(App);
        File.WriteAllText(deployment.ConfigPath, (deployment.Config with { ComposeCommand = "docker-compose" }).Render());
        var emptyPath = Path.Combine(deployment.Directory, "empty-path");
        Directory.CreateDirectory(emptyPath);

        var validate = await LauncherProcess.RunAsync(["validate", "--config", deployment.ConfigPath],
            new Dictionary<string, string?> { ["PATH"] = emptyPath });

        validate.ExitCode.Should().Be(0, validate.Output);
        validate.Out.Should().Contain("compose's model not checked: no compose to ask");
    }
}
