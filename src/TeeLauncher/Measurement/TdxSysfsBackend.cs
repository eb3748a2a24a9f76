using TeeLauncher.Errors;

namespace TeeLauncher.Measurement;

/// <summary>Extends RTMR3 through the kernel's TDX guest sysfs attribute (Linux 6.16+): each 48-byte write is one extend.</summary>
public sealed class TdxSysfsBackend(string rtmrPath) : IMeasurementBackend
{
    public string Name => "tdx-sysfs";

    public int RegisterIndex => 3;

    public Task EnsureAvailableAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(rtmrPath))
            throw new MeasurementException(
                $"RTMR file {rtmrPath} does not exist: this is not a TDX guest with kernel 6.16 or later (measurement.tdx_rtmr_path)");
        try
        {
            // Opening does not extend; only a write does.
            using var _ = Open();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new MeasurementException($"RTMR file {rtmrPath} is not writable: {e.Message}");
        }
        return Task.CompletedTask;
    }

    public async Task ExtendAsync(RuntimeEvent runtimeEvent, CancellationToken cancellationToken)
    {
        try
        {
            await using var stream = Open();
            await stream.WriteAsync(runtimeEvent.Digest(), cancellationToken);
            await stream.FlushAsync(cancellationToken);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new MeasurementException($"writing event '{runtimeEvent.Name}' to {rtmrPath} failed: {e.Message}");
        }
    }

    private FileStream Open() => new(rtmrPath, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, bufferSize: 0);
}
