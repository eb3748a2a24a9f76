using System.Text.Json;
using TeeLauncher.IntegrationTests.Support;
using TeeLauncher.Testing;

namespace TeeLauncher.IntegrationTests.Measurement;

/// <summary>
/// Issues 4 and 12: the tdx-sysfs backend. No TDX guest exists here, so <see cref="RtmrStandIn"/>, a FUSE file
/// system with the kernel's semantics, stands in for the kernel's RTMR3 sysfs attribute.
/// </summary>
public sealed class TdxSysfsBackendTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task The_register_holds_the_replay_of_the_log_in_the_configured_version_and_verify_and_measure_agree(int version)
    {
        await using var deployment = Deployment.Create($"tdx{version}", Toolchain.Debian12);
        var digest = await deployment.PushImageAsync();
        deployment.Approve(digest);
        await using var rtmr = await RtmrStandIn.MountAsync(deployment.Directory);
        deployment.Config = deployment.Config with
        {
            Backend = "tdx-sysfs", MeasurementExtra = $"tdx_rtmr_path = \"{rtmr.Rtmr3Path}\"\nevent_version = {version}\n",
        };

        var run = await deployment.LauncherAsync("run");

        run.ExitCode.Should().Be(0, run.Error);
        var rtmr3 = Convert.ToHexStringLower(rtmr.Rtmr3);
        var logged = deployment.EventLogLines().Select(l => JsonDocument.Parse(l).RootElement).ToList();
        logged.Select(VersionOf).Should().Equal(version, version);
        Convert.ToHexStringLower(RtmrStandIn.Replay(logged.Select(e => Convert.FromHexString(e.GetProperty("digest").GetString()!))))
            .Should().Be(rtmr3, "the register went through exactly the logged digests, in order");
        DstackTool.Replay(deployment.EventLog).Should().Be(rtmr3, "the independent replay of the log gives the register");

        var verify = await LauncherProcess.RunAsync(["verify", "--event-log", deployment.EventLog, "--rtmr3", rtmr3]);
        verify.ExitCode.Should().Be(0, verify.Output);
        var measure = await LauncherProcess.RunAsync(["measure", "--digest", digest, "--compose", Path.Combine(deployment.StateDir, "compose.yml"),
            "--event-version", version.ToString(), "--json"]);
        JsonDocument.Parse(measure.Out).RootElement.GetProperty("rtmr3").GetString().Should().Be(rtmr3);

        var second = deployment.WriteFile("two-images.jsonl", string.Join('\n', deployment.EventLogLines().Append(deployment.EventLogLines()[0])));
        var refused = await LauncherProcess.RunAsync(["verify", "--event-log", second, "--rtmr3", rtmr3]);
        refused.ExitCode.Should().Be(1);
        refused.Output.Should().Contain("2 image events named 'image-digest'");
    }

    [Theory]
    [InlineData("moved", "did not extend RTMR3")]
    [InlineData("short", "failed")]
    public async Task A_register_moved_by_another_or_a_short_write_is_exit_7_with_nothing_started(string fault, string message)
    {
        await using var deployment = Deployment.Create($"tdx{fault}", Toolchain.Debian12);
        var digest = await deployment.PushImageAsync();
        deployment.Approve(digest);
        await using var rtmr = await RtmrStandIn.MountAsync(deployment.Directory);
        if (fault == "moved")
            rtmr.Interfere = true;
        else
            rtmr.ShortWrites = true;
        deployment.Config = deployment.Config with
        {
            Platform = "tee", Backend = "tdx-sysfs", MeasurementExtra = $"tdx_rtmr_path = \"{rtmr.Rtmr3Path}\"\n",
        };

        var run = await deployment.LauncherAsync("run");

        run.ExitCode.Should().Be(7, run.Error);
        run.Error.Should().Contain($"writing event 'image-digest' to {rtmr.Rtmr3Path} {message}");
        (await deployment.ContainersAsync(all: true)).Should().BeEmpty("nothing starts unless every event was extended");
    }

    private static int VersionOf(JsonElement entry) => entry.TryGetProperty("version", out var version) ? version.GetInt32() : 1;
}
