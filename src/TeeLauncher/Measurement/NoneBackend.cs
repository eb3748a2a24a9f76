using TeeLauncher.Events;
using TeeLauncher.Values;
namespace TeeLauncher.Measurement;

/// <summary>Measures nothing: for the dev platform only, where no attestation hardware exists.</summary>
public sealed class NoneBackend(EventVersion eventVersion = default) : IMeasurementBackend
{
    public string Name => "none";

    public int RegisterIndex => 3;

    public EventVersion EventVersion => eventVersion;

    public Task EnsureAvailableAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task ExtendAsync(RuntimeEvent runtimeEvent, Action commit, CancellationToken cancellationToken)
    {
        commit();
        return Task.CompletedTask;
    }
}
