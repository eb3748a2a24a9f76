using TeeLauncher.Errors;
using TeeLauncher.Measurement;
using TeeLauncher.Tests.Support;

namespace TeeLauncher.Tests.Measurement;

/// <summary>
/// The tdx-sysfs backend. No TDX guest exists here, so a regular file stands in for the RTMR3 sysfs attribute:
/// the kernel takes each write at offset 0 as one extend, so after each extend the file holds exactly that write.
/// </summary>
public sealed class TdxSysfsBackendTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    [Fact]
    public async Task Each_extend_writes_exactly_the_48_byte_event_digest_in_order()
    {
        var rtmr = _dir.File("rtmr3:sha384", "");
        var backend = new TdxSysfsBackend(rtmr);
        RuntimeEvent[] events = [RuntimeEvent.ForImage("image-digest", Digests.A), RuntimeEvent.ForCompose("services: {}"u8)];

        await backend.EnsureAvailableAsync(CancellationToken.None);
        File.ReadAllBytes(rtmr).Should().BeEmpty("checking availability opens the file but writes nothing");
        foreach (var runtimeEvent in events)
        {
            await backend.ExtendAsync(runtimeEvent, CancellationToken.None);

            File.ReadAllBytes(rtmr).Should().Equal(runtimeEvent.Digest());
        }
    }

    [Fact]
    public async Task A_missing_rtmr_file_is_reported_before_anything_is_written()
    {
        var check = () => new TdxSysfsBackend(_dir.Combine("absent")).EnsureAvailableAsync(CancellationToken.None);

        (await check.Should().ThrowAsync<MeasurementException>()).Which.Message.Should()
            .Contain(_dir.Combine("absent")).And.Contain("kernel 6.16").And.Contain("measurement.tdx_rtmr_path");
    }

    [Fact]
    public async Task A_failed_write_is_a_measurement_failure()
    {
        var rtmr = _dir.File("rtmr3:sha384", "");
        var backend = new TdxSysfsBackend(rtmr);
        await backend.EnsureAvailableAsync(CancellationToken.None);
        File.Delete(rtmr);

        var extend = () => backend.ExtendAsync(new RuntimeEvent("app-id", [0xde, 0xad]), CancellationToken.None);

        (await extend.Should().ThrowAsync<MeasurementException>()).Which.Message.Should().StartWith($"writing event 'app-id' to {rtmr} failed");
    }

    public void Dispose() => _dir.Dispose();
}
