using TeeLauncher.Errors;
using TeeLauncher.Measurement;
using TeeLauncher.Tests.Support;
using TeeLauncher.Events;

namespace TeeLauncher.Tests.Measurement;

/// <summary>
/// The tdx-sysfs backend's refusals of anything that is not the kernel's RTMR attribute. What the attribute itself
/// does is tested against a stand-in with the kernel's semantics (RtmrStandIn, in the integration tests).
/// </summary>
public sealed class TdxSysfsBackendTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    [Fact]
    public async Task A_plain_file_that_reads_as_a_register_is_refused_at_the_extend_by_the_read_back_check()
    {
        var rtmr = _dir.Combine("rtmr3:sha384");
        File.WriteAllBytes(rtmr, new byte[48]);
        var backend = new TdxSysfsBackend(rtmr);
        await backend.EnsureAvailableAsync(CancellationToken.None);

        var extend = () => backend.ExtendAsync(new RuntimeEvent("app-id", [0xde, 0xad]), () => { }, CancellationToken.None);

        var failure = (await extend.Should().ThrowAsync<MeasurementException>()).Which;
        failure.ExitCode.Should().Be(ExitCode.MeasurementFailed);
        failure.Message.Should().StartWith($"writing event 'app-id' to {rtmr} did not extend RTMR3")
            .And.Contain("not SHA384(before || digest)");
    }

    [Fact]
    public async Task An_empty_plain_file_is_refused_before_the_pull()
    {
        var rtmr = _dir.File("rtmr3:sha384", "");

        var check = () => new TdxSysfsBackend(rtmr).EnsureAvailableAsync(CancellationToken.None);

        (await check.Should().ThrowAsync<MeasurementException>()).Which.Message.Should()
            .Contain("gave 0 bytes, not the 48-byte register").And.Contain("measurement.tdx_rtmr_path");
        File.ReadAllBytes(rtmr).Should().BeEmpty("the check writes nothing");
    }

    [Fact]
    public async Task A_fifo_is_refused_before_the_pull_without_waiting_for_a_peer()
    {
        var rtmr = _dir.Combine("rtmr3:sha384");
        System.Diagnostics.Process.Start("mkfifo", [rtmr])!.WaitForExit();

        var check = () => new TdxSysfsBackend(rtmr).EnsureAvailableAsync(CancellationToken.None);

        (await check.Should().ThrowAsync<MeasurementException>().WaitAsync(TimeSpan.FromSeconds(10))).Which.Message.Should()
            .Contain($"reading RTMR3 from {rtmr} failed");
    }

    [Fact]
    public async Task A_directory_is_refused_before_the_pull()
    {
        var check = () => new TdxSysfsBackend(_dir.Path).EnsureAvailableAsync(CancellationToken.None);

        (await check.Should().ThrowAsync<MeasurementException>()).Which.Message.Should().Contain("is a directory");
    }

    [Fact]
    public async Task A_missing_rtmr_file_is_reported_before_anything_is_written()
    {
        var check = () => new TdxSysfsBackend(_dir.Combine("absent")).EnsureAvailableAsync(CancellationToken.None);

        (await check.Should().ThrowAsync<MeasurementException>()).Which.Message.Should()
            .Contain(_dir.Combine("absent")).And.Contain("kernel 6.16").And.Contain("measurement.tdx_rtmr_path");
    }

    public void Dispose() => _dir.Dispose();
}
