using TeeLauncher.Events;
using TeeLauncher.Values;
namespace TeeLauncher.Measurement;

/// <summary>Extends RTMR3 through the kernel's TDX guest sysfs attribute (Linux 6.16+), each extend checked by reading it back.</summary>
public sealed class TdxSysfsBackend(string rtmrPath, EventVersion eventVersion = default) : IMeasurementBackend
{
    private readonly RtmrAttribute _rtmr = new(rtmrPath);

    public string Name => "tdx-sysfs";

    public int RegisterIndex => 3;

    public EventVersion EventVersion => eventVersion;

    public Task EnsureAvailableAsync(CancellationToken cancellationToken)
    {
        _rtmr.EnsureUsable();
        return Task.CompletedTask;
    }

    public Task ExtendAsync(RuntimeEvent runtimeEvent, Action commit, CancellationToken cancellationToken)
    {
        commit();
        _rtmr.Extend(runtimeEvent.Digest(), runtimeEvent.Name);
        return Task.CompletedTask;
    }
}
