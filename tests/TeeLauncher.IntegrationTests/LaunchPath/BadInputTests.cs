using System.Text.RegularExpressions;
using TeeLauncher.IntegrationTests.Support;

namespace TeeLauncher.IntegrationTests.LaunchPath;

/// <summary>
/// Issue 3, scenario 6: bad input stops <c>run</c> with its exit code and one line naming the position,
/// and nothing is pulled, measured or started.
/// </summary>
public sealed class BadInputTests
{
    [Theory]
    [InlineData("malformed TOML", 3, @"launcher\.toml:\d+:\d+: invalid TOML")]
    [InlineData("unknown key", 3, @"launcher\.toml:2:1: unknown key 'platfrom' in \[launcher\]; did you mean 'platform'\?")]
    [InlineData("digest in the reference", 3, @"launcher\.toml:\d+:13: .*digest")]
    [InlineData("uppercase reference", 3, @"launcher\.toml:\d+:13: .*lowercase")]
    [InlineData("dash-leading reference", 3, @"launcher\.toml:\d+:13: .*-")]
    [InlineData("malformed approved list", 4, @"approved-hashes\.json:1:\d+: ")]
    [InlineData("empty approved list", 4, @"approved-hashes\.json: approved hashes file lists no digest")]
    [InlineData("unconfigured variable in the template", 3, @"compose\.yml:8:\d+: .*\$\{SECRET_TOKEN\}")]
    [InlineData("unpinned second service", 3, @"compose\.yml:8:\d+: .*sha256")]
    [InlineData("backend none on platform tee", 3, @"launcher\.toml:\d+:\d+: .*none")]
    public async Task Bad_input_stops_run_with_its_code_and_position_and_touches_nothing(string kind, int code, string message)
    {
        await using var deployment = Deployment.Create("bad", Toolchain.Debian12);
        var digest = await deployment.PushImageAsync();
        deployment.Approve(digest);
        var stateDir = deployment.StateDir;
        Break(deployment, kind);

        var run = kind is "malformed TOML" or "unknown key"
            ? await LauncherProcess.RunAsync(["run", "--config", deployment.ConfigPath], toolchain: deployment.Toolchain)
            : await deployment.LauncherAsync("run");

        run.ExitCode.Should().Be(code, run.Error);
        var lines = run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines.Should().ContainSingle("an expected failure is one line, no stack trace: {0}", run.Error);
        lines[0].Should().MatchRegex(message);
        (await deployment.ImagePresentAsync(deployment.Pinned(digest))).Should().BeFalse("nothing is pulled");
        File.Exists(Path.Combine(stateDir, "events.jsonl")).Should().BeFalse("nothing is measured");
        (await deployment.ContainersAsync(all: true)).Should().BeEmpty("nothing is started");
    }

    private static void Break(Deployment deployment, string kind)
    {
        var config = deployment.Config;
        switch (kind)
        {
            case "malformed TOML":
                File.WriteAllText(deployment.ConfigPath, config.Render().Replace("[pull]", "[pull"));
                break;
            case "unknown key":
                File.WriteAllText(deployment.ConfigPath, config.Render().Replace("platform =", "platfrom ="));
                break;
            case "digest in the reference":
                deployment.Config = config with { Reference = $"{config.Reference}@sha256:{new string('a', 64)}" };
                break;
            case "uppercase reference":
                deployment.Config = config with { Reference = $"{TestEnvironment.Registry}/it/Shouting" };
                break;
            case "dash-leading reference":
                deployment.Config = config with { Reference = "-it/app" };
                break;
            case "malformed approved list":
                File.WriteAllText(config.ApprovedHashesFile!, "{\"approved_hashes\": [\"sha256:abc\"]}");
                break;
            case "empty approved list":
                File.WriteAllText(config.ApprovedHashesFile!, "{\"approved_hashes\": []}");
                break;
            case "unconfigured variable in the template":
                deployment.WriteTemplate(Deployment.DefaultTemplate + "\n    environment:\n      TOKEN: \"${SECRET_TOKEN}\"\n");
                break;
            case "unpinned second service":
                deployment.WriteTemplate(Deployment.DefaultTemplate + "\n  sidecar:\n    image: busybox:latest\n");
                break;
            case "backend none on platform tee":
                deployment.Config = config with { Platform = "tee" };
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, null);
        }
    }
}
