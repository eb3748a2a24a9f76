using TeeLauncher.Events;
using TeeLauncher.Values;
namespace TeeLauncher.Measurement;

/// <summary>Extends the attestation register of one platform (docs/spec.md §5.2).</summary>
public interface IMeasurementBackend
{
    /// <summary>The config name: dstack, tdx-sysfs, tpm or none.</summary>
    string Name { get; }

    /// <summary>The register index recorded in the event log's <c>imr</c> field.</summary>
    int RegisterIndex { get; }

    /// <summary>The digest version (docs/spec.md §5.1) of the events this backend extends; known once <see cref="EnsureAvailableAsync"/> ran.</summary>
    EventVersion EventVersion { get; }

    /// <summary>Fails fast (before any pull) when the device or socket is not there.</summary>
    Task EnsureAvailableAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Extends the register with the event. <paramref name="commit"/> runs once, after every wait and check that can still
    /// refuse without changing a register and right before the first step that may change one; a failure before it
    /// extended nothing. It may throw, and then nothing is extended.
    /// </summary>
    Task ExtendAsync(RuntimeEvent runtimeEvent, Action commit, CancellationToken cancellationToken);
}
