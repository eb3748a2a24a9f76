using System.Text.Json;
using TeeLauncher.IntegrationTests.Support;

namespace TeeLauncher.IntegrationTests.LaunchPath;

/// <summary>
/// Issue 11: the template is checked as the YAML document compose reads, and every image of the stack is pulled by
/// the launcher (real registries; each compose and engine of <see cref="Toolchain"/>).
/// </summary>
public sealed class StackTests
{
    private const string Base = "services:\n  app:\n    image: ${TEE_LAUNCHER_IMAGE}\n    network_mode: none\n";
    private const string PinnedSide = "busybox@sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc";
    private const string SideUser = "side-bot";
    private const string SidePassword = "side-password-51aa";
    private const string MirrorUser = "side-mirror-bot";
    private const string MirrorPassword = "side-mirror-password-03fe";

    public static TheoryData<string, string, string, string, string> Bypasses => OnEachCompose(new TheoryData<string, string, string, string>
    {
        { "flow-style second service", Base + "  side: {image: \"busybox:latest\"}\n", "{}", "compose.yml:5:17: image 'busybox:latest' of service 'side' is not pinned" },
        { "quoted image key", Base + "  side:\n    \"image\": busybox:latest\n", "{}", "compose.yml:6:14: image 'busybox:latest' of service 'side' is not pinned" },
        { "quoted build key", Base + "  side:\n    \"build\": .\n    image: " + PinnedSide + "\n", "{}", "compose.yml:6:5: 'build' is not allowed" },
        { "merge key anchor", "x-base: &base\n  image: busybox:latest\n" + Base + "  side:\n    <<: *base\n", "{}", "compose.yml:2:10: image 'busybox:latest' of service 'side' is not pinned" },
        { "JSON form", "{\"services\": {\"app\": {\"image\": \"${TEE_LAUNCHER_IMAGE}\", \"network_mode\": \"none\"},\n  \"side\": {\"image\": \"busybox:latest\"}}}\n", "{}", "compose.yml:2:21: image 'busybox:latest' of service 'side' is not pinned" },
        { "CR line endings", (Base + "  side:\n    image: busybox:latest\n").Replace('\n', '\r'), "{}", "compose.yml:6:12: image 'busybox:latest' of service 'side' is not pinned" },
        { "interpolation in a multi-line scalar", Base + "    command: |\n      echo start\n      echo $HOME\n", "{}", "compose.yml:7:12: '$HOME' is not allowed" },
        { "extends", Base + "  side:\n    image: " + PinnedSide + "\n    extends: {file: other.yml, service: s}\n", "{}", "compose.yml:7:5: 'extends' is not allowed" },
        { "env_file", Base + "    env_file: app.env\n", "{}", "compose.yml:5:5: 'env_file' is not allowed" },
        { "include", Base + "include: [other.yml]\n", "{}", "compose.yml:5:1: 'include' is not allowed" },
        { "env value that closes its quote", Base + "    environment:\n      NOTE: \"${NOTE}\"\n", "{ NOTE = 'a\", \"build\": \".' }", "compose.yml:6:14: after substitution the rendered file is not what the template says" },
        { "env value with U+2028", Base + "    environment:\n      NOTE: \"${NOTE}\"\n", "{ NOTE = \"a\\u2028    build: .\" }", "compose.yml:6:14: the value of compose.env NOTE contains U+2028" },
    });

    private static TheoryData<string, string, string, string, string> OnEachCompose(TheoryData<string, string, string, string> cases)
    {
        var each = new TheoryData<string, string, string, string, string>();
        foreach (string toolchain in Toolchain.EachCompose)
            foreach (var row in cases)
                each.Add(toolchain, (string)row[0], (string)row[1], (string)row[2], (string)row[3]);
        return each;
    }

    [Theory]
    [MemberData(nameof(Bypasses))]
    public async Task A_bypass_of_the_template_rules_is_refused_at_validate_and_run_with_its_position(
        string toolchain, string kind, string template, string env, string problem)
    {
        await using var deployment = Deployment.Create("bypass", Toolchain.Named(toolchain));
        var digest = await deployment.PushImageAsync();
        deployment.Approve(digest);
        deployment.WriteTemplate(template);
        deployment.Config = deployment.Config with { ComposeEnv = env };

        var validate = await deployment.LauncherAsync("validate");
        var run = await deployment.LauncherAsync("run");

        validate.ExitCode.Should().Be(3, "{0}: {1}", kind, validate.Error);
        validate.Error.Should().Contain(problem, kind);
        run.ExitCode.Should().Be(3, "{0}: {1}", kind, run.Error);
        run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries).Should().ContainSingle("one line, no stack trace: {0}", run.Error)
            .Which.Should().Contain(problem);
        (await deployment.ImagePresentAsync(deployment.Pinned(digest))).Should().BeFalse("nothing is pulled");
        File.Exists(deployment.EventLog).Should().BeFalse("nothing is measured");
        (await deployment.ContainersAsync(all: true)).Should().BeEmpty("nothing is started");
    }

    [Theory]
    [MemberData(nameof(Toolchain.EachCompose), MemberType = typeof(Toolchain))]
    public async Task Three_images_are_pulled_by_the_launcher_each_with_its_hosts_credentials_and_mirror_and_compose_pulls_nothing(string toolchain)
    {
        await using var deployment = Deployment.Create("stack", Toolchain.Named(toolchain));
        await using var side = await RegistryServer.StartAsync(deployment.Directory, SideUser, SidePassword);
        await using var mirrorRegistry = await RegistryServer.StartAsync(deployment.Directory, MirrorUser, MirrorPassword);
        await using var mirror = new RecordingProxy(mirrorRegistry.Host);
        var digest = await deployment.PushImageAsync();
        deployment.Approve(digest);
        var sideLogin = new RegistryLogin(side.Host, SideUser, SidePassword);
        var logA = $"{deployment.Repository}-log";
        var logB = $"{deployment.Repository}-metrics";
        var digestA = await Images.PushNewAsync(logA, "v1", sideLogin, new RegistryLogin(mirrorRegistry.Host, MirrorUser, MirrorPassword));
        var digestB = await Images.PushNewAsync(logB, "v1", sideLogin);
        deployment.WriteTemplate(Base + "    command: [\"/bin/sleep\", \"3600\"]\n" +
            $"  log:\n    image: {side.Host}/{logA}@{digestA}\n    network_mode: none\n" +
            $"  metrics: {{image: \"{side.Host}/{logB}@{digestB}\", network_mode: none}}\n");
        deployment.Config = deployment.Config with
        {
            Registries = $$"""
                [[registry]]
                host = "{{side.Host}}"
                mirrors = ["{{mirror.Host}}"]
                username = "{{SideUser}}"
                password_file = "{{deployment.SecretFile("side-password", SidePassword)}}"

                """ + Registries.PrivateRegistryTests.Credentials(mirror.Host, MirrorUser, deployment.SecretFile("mirror-password", MirrorPassword)),
        };
        var plan = await deployment.LauncherAsync("plan", "--json");
        var since = DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 1;

        var run = await deployment.RunWithoutDockerConfigAsync("run");

        run.ExitCode.Should().Be(0, run.Error);
        var app = deployment.Pinned(digest);
        var pulledA = $"{mirror.Host}/{logA}@{digestA}";
        var pulledB = $"{side.Host}/{logB}@{digestB}";
        (await deployment.ContainersAsync()).Select(c => c.Image).Should().BeEquivalentTo(
            [app, pulledA, pulledB], "the rendered file names each image by the reference the launcher pulled");
        var pulls = (await deployment.Toolchain.Engine.DockerAsync("events", "--since", since.ToString(), "--until", (DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 1).ToString(),
            "--filter", "type=image", "--filter", "event=pull", "--format", "{{.Actor.ID}}")).Succeeded("docker events").Out
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(e => e.Contains(deployment.Name)).ToList();
        pulls.Should().BeEquivalentTo([app, pulledA, pulledB], "dockerd saw one pull per image, the launcher's, and none by compose");
        mirror.BasicCredentials.Should().NotBeEmpty().And.OnlyContain(c => c == $"{MirrorUser}:{MirrorPassword}", "the mirror gets its own credentials only");
        mirror.Requests.Should().Contain($"GET /v2/{logB}/manifests/{digestB}", "the mirror was asked for the image it lacks first");
        side.Log.Should().Contain($"/v2/{logB}/manifests/{digestB}").And.NotContain($"/v2/{logA}/manifests/{digestA}", "the mirror served the log image");
        run.Error.Should().Contain("pulling 3 images:").And.Contain("layers done", "progress is logged during the pull");

        using var status = JsonDocument.Parse((await deployment.LauncherAsync("status", "--json")).Out);
        status.RootElement.GetProperty("images").EnumerateArray().Select(i => (i.GetProperty("reference").GetString(), i.GetProperty("source").GetString()))
            .Should().Equal((app, $"origin {TestEnvironment.Registry}"), (pulledA, $"mirror {mirror.Host}"), (pulledB, $"origin {side.Host}"));
        plan.ExitCode.Should().Be(0, plan.Error);
        using var planned = JsonDocument.Parse(plan.Out);
        planned.RootElement.GetProperty("images").EnumerateArray().Select(i => i.GetProperty("image").GetString())
            .Should().Equal(app, $"{side.Host}/{logA}@{digestA}", $"{side.Host}/{logB}@{digestB}");
    }

    [Theory]
    [MemberData(nameof(Toolchain.EachCompose), MemberType = typeof(Toolchain))]
    public async Task Each_images_layers_reach_STATUS_while_it_is_pulled(string toolchain)
    {
        await using var deployment = Deployment.Create("progress", Toolchain.Named(toolchain));
        var digest = await deployment.PushImageAsync();
        deployment.Approve(digest);
        var side = $"{deployment.Repository}-side";
        var sideDigest = await Images.PushNewAsync(TestEnvironment.Registry, side, "v1");
        deployment.WriteTemplate(Deployment.DefaultTemplate + $"\n  side:\n    image: {TestEnvironment.Registry}/{side}@{sideDigest}\n    network_mode: none\n");
        using var notify = new NotifySocket(deployment.Directory);

        var run = await deployment.LauncherAsync(["run"], new Dictionary<string, string?> { ["NOTIFY_SOCKET"] = notify.Path });

        run.ExitCode.Should().Be(0, run.Error);
        var messages = notify.Messages.ToList();
        var progress = messages.FindAll(m => m.StartsWith("STATUS=pulling 2 images: ", StringComparison.Ordinal));
        progress.Should().Contain(m => m.Contains($"{deployment.Repository} 1/1 layers done"), string.Join("\n", messages));
        progress.Should().Contain(m => m.Contains($"{side} 1/1 layers done"), string.Join("\n", messages));
        messages.FindIndex(m => m.StartsWith("STATUS=measuring", StringComparison.Ordinal)).Should().BeGreaterThan(messages.FindLastIndex(progress.Contains),
            "progress comes during the pull, before the measurement");
    }

    [Theory]
    [MemberData(nameof(Toolchain.EachCompose), MemberType = typeof(Toolchain))]
    public async Task A_missing_sidecar_is_exit_5_before_any_measurement(string toolchain)
    {
        await using var deployment = Deployment.Create("nosidecar", Toolchain.Named(toolchain));
        var digest = await deployment.PushImageAsync();
        deployment.Approve(digest);
        var missing = $"{TestEnvironment.Registry}/{deployment.Repository}-gone@sha256:{new string('d', 64)}";
        deployment.WriteTemplate(Base + $"  side:\n    image: {missing}\n");

        var run = await deployment.LauncherAsync("run");

        run.ExitCode.Should().Be(5, run.Error);
        run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1].Should().Contain($"does not have {missing}");
        File.Exists(deployment.EventLog).Should().BeFalse("nothing is measured");
        (await deployment.ContainersAsync(all: true)).Should().BeEmpty("nothing is started");
    }
}
