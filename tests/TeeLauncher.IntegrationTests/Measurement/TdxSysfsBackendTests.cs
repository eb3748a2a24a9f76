using System.Text.Json;
using TeeLauncher.IntegrationTests.Support;

namespace TeeLauncher.IntegrationTests.Measurement;

/// <summary>
/// Issue 4: the tdx-sysfs backend. No TDX guest exists here, so <see cref="RtmrStandIn"/> takes the place of
/// the RTMR3 sysfs file and records every write.
/// </summary>
public sealed class TdxSysfsBackendTests
{
    [Fact]
    public async Task Each_event_digest_is_written_to_the_rtmr_file_in_log_order_and_verify_replays_them()
    {
        await using var deployment = Deployment.Create("tdx");
        var digest = await deployment.PushImageAsync();
        deployment.Approve(digest);
        await using var rtmr = await RtmrStandIn.CreateAsync(deployment.Directory);
        deployment.Config = deployment.Config with { Backend = "tdx-sysfs", MeasurementExtra = $"tdx_rtmr_path = \"{rtmr.Path}\"\n" };

        var run = await deployment.LauncherAsync("run");

        run.ExitCode.Should().Be(0, run.Error);
        var logged = deployment.EventLogLines().Select(l => JsonDocument.Parse(l).RootElement).ToList();
        rtmr.Writes.Select(Convert.ToHexStringLower).Should().Equal(logged.Select(e => e.GetProperty("digest").GetString()),
            "each extend writes exactly the 48-byte event digest, in the order of the log");
        var events = logged.Select(e => (e.GetProperty("event").GetString()!, e.GetProperty("event_payload").GetString()!));
        var rtmr3 = Convert.ToHexStringLower(EventLogReplay.Rtmr3(events));

        var verify = await LauncherProcess.RunAsync(["verify", "--event-log", deployment.EventLog, "--rtmr3", rtmr3]);
        verify.ExitCode.Should().Be(0, verify.Output);

        var second = deployment.WriteFile("two-images.jsonl", string.Join('\n', deployment.EventLogLines().Append(deployment.EventLogLines()[0])));
        var refused = await LauncherProcess.RunAsync(["verify", "--event-log", second, "--rtmr3", rtmr3]);
        refused.ExitCode.Should().Be(1);
        refused.Output.Should().Contain("2 image events named 'image-digest'");
    }
}
