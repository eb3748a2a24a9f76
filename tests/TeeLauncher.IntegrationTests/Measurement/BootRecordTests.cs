using TeeLauncher.IntegrationTests.Support;
using TeeLauncher.Testing;

namespace TeeLauncher.IntegrationTests.Measurement;

/// <summary>Issue 18: this boot's record names the platform and backend that made it; another's never counts as this run's measurement.</summary>
public sealed class BootRecordTests
{
    [Fact]
    public async Task A_record_made_by_backend_none_on_platform_dev_does_not_count_for_tdx_sysfs_on_platform_tee()
    {
        await using var deployment = Deployment.Create("record-switch", Toolchain.Debian12);
        var digest = await deployment.PushImageAsync();
        deployment.Approve(digest);
        await using var rtmr = await RtmrStandIn.MountAsync(deployment.Directory);
        var dev = await deployment.LauncherAsync("run");
        dev.ExitCode.Should().Be(0, dev.Error);
        await Containers.RemoveProjectAsync(DockerEngine.Engine20, deployment.Config.Project);
        var before = rtmr.Rtmr3;
        deployment.Config = deployment.Config with
        {
            Platform = "tee", Backend = "tdx-sysfs", MeasurementExtra = $"tdx_rtmr_path = \"{rtmr.Rtmr3Path}\"\n",
        };

        var tee = await deployment.LauncherAsync("run");

        tee.ExitCode.Should().Be(9, tee.Error);
        tee.Error.TrimEnd().Split('\n')[^1].Should().Contain("this boot was measured by backend 'none' on platform 'dev'")
            .And.Contain("not by backend 'tdx-sysfs' on platform 'tee'").And.Contain("reboot");
        rtmr.Rtmr3.Should().Equal(before, "RTMR3 was never extended, so nothing may start as if it were");
        (await Containers.OfProjectAsync(DockerEngine.Engine20, deployment.Config.Project, all: true)).Should().BeEmpty();
    }
}
