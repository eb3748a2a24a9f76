using TeeLauncher.Events;
namespace TeeLauncher.Measurement;

/// <summary>Measures nothing: for the dev platform only, where no attestation hardware exists.</summary>
public sealed class NoneBackend(int eventVersion = 1) : IMeasurementBackend
{
    public string Name => "none";

    public int RegisterIndex => 3;

    public int EventVersion => eventVersion;

    public Task EnsureAvailableAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task ExtendAsync(RuntimeEvent runtimeEvent, Action commit, CancellationToken cancellationToken)
    {
        commit();
        return Task.CompletedTask;
    }
}
