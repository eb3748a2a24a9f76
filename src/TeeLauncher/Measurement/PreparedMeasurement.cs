using TeeLauncher.Values;

namespace TeeLauncher.Measurement;

/// <summary>
/// A measurement checked before the pull and bound to the digest it was checked for: the events it extends are built
/// from that digest, so the digest checked and the digest measured cannot differ.
/// </summary>
public sealed class PreparedMeasurement
{
    private readonly Measurer _measurer;
    private readonly BootRecord? _record;

    internal PreparedMeasurement(Measurer measurer, ImageDigest digest, BootRecord? record)
    {
        _measurer = measurer;
        _record = record;
        Digest = digest;
    }

    public ImageDigest Digest { get; }

    public IMeasurementBackend Backend => _measurer.Backend;

    /// <summary>Whether an earlier run of this boot already extended events (then nothing may be stopped or extended again).</summary>
    public bool HasMeasuredThisBoot => _record is { Extended.Count: > 0 };

    /// <summary>Extends the launch events of the digest and <paramref name="renderedCompose"/> (docs/spec.md §5.1), once per boot.</summary>
    public Task<IReadOnlyList<MeasuredEvent>> MeasureAsync(byte[] renderedCompose, CancellationToken cancellationToken) =>
        _measurer.MeasureAsync(Digest, _record, renderedCompose, cancellationToken);
}
