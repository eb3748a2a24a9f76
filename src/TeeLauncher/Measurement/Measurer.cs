using System.Text.Json;
using Microsoft.Extensions.Logging;
using TeeLauncher.Configuration;
using TeeLauncher.Errors;
using TeeLauncher.Files;
using TeeLauncher.State;
using TeeLauncher.Values;
using TeeLauncher.Events;

namespace TeeLauncher.Measurement;

/// <summary>An event of this launch and whether this run extended it (false: an earlier run of the same boot did).</summary>
public sealed record MeasuredEvent(RuntimeEvent Event, string DigestHex, bool ExtendedNow);

/// <summary>
/// Measures once per boot and fails closed (docs/spec.md §5.3): the backend is checked before the pull, each event
/// is logged and flushed before it is extended, and the boot record says what this boot already extended.
/// </summary>
public sealed class Measurer
{
    private const int RecordMaxBytes = 1 << 20;

    private const int BootIdMaxBytes = 256;

    private readonly string _recordFile;
    private readonly EventLog _log;
    private readonly ILogger _logger;
    private readonly BootIdentity _boot;
    private readonly string _platform;
    private readonly MeasurementSettings _settings;

    public Measurer(MeasurementSettings settings, string stateDir, Platform platform, ILogger logger, IMeasurementBackend? backend = null, BootIdentity? boot = null)
    {
        _recordFile = Path.Combine(stateDir, "measured.json");
        _log = new EventLog(settings.EventLog);
        _logger = logger;
        _boot = boot ?? BootIdentity.Current();
        _platform = ConfigSpellings.Of(ConfigSpellings.Platforms, platform);
        _settings = settings;
        Backend = backend ?? CreateBackend(settings);
    }

    /// <summary>Beside the launcher's event log: the id of the boot that started it, so a log is told from an earlier boot's by id.</summary>
    private string LogBootIdFile => _log.Path + ".boot_id";

    public IMeasurementBackend Backend { get; }

    public static IMeasurementBackend CreateBackend(MeasurementSettings settings) => settings.Backend switch
    {
        MeasurementBackendKind.Dstack => new DstackBackend(
            settings.DstackSocket, settings.DstackEventDir, settings.TdxRtmrPath, settings.DstackPlatform, settings.TpmTcti),
        MeasurementBackendKind.TdxSysfs => new TdxSysfsBackend(settings.TdxRtmrPath, settings.EventVersion),
        MeasurementBackendKind.Tpm => new TpmBackend(settings.TpmPcr, settings.TpmTcti, settings.EventVersion),
        _ => new NoneBackend(settings.EventVersion),
    };

    /// <summary>
    /// Before the pull: the backend answers, this boot measured no other digest, and log and record agree. What is
    /// measured later is bound to <paramref name="digest"/>: the digest reaches the measurement only here.
    /// </summary>
    public async Task<PreparedMeasurement> PrepareAsync(ImageDigest digest, CancellationToken cancellationToken)
    {
        if (Backend is NoneBackend)
            _logger.LogWarning("Measurement backend is none: nothing is measured; this is for the dev platform only");
        await Backend.EnsureAvailableAsync(cancellationToken);
        _log.EnsureWritable();

        var record = ReadRecord();
        if (record is null)
        {
            StartLogForThisBoot();
            return new PreparedMeasurement(this, digest, null);
        }
        if (record.Pending is { } pending)
            throw new MeasurementException(
                $"event '{pending.Event}' (digest {pending.Digest}) was logged in {_log.Path} but its extend was never confirmed: " +
                "a run stopped between the two, so log and register may disagree; reboot to measure afresh");
        if (record.Platform != _platform || record.Backend != Backend.Name)
            throw new AlreadyMeasuredException(
                $"this boot was measured by backend '{record.Backend}' on platform '{record.Platform ?? "unknown"}' (record {_recordFile}), " +
                $"not by backend '{Backend.Name}' on platform '{_platform}': that is not this run's measurement; reboot to measure with this configuration");
        if (record.ImageDigest != digest.ToString())
            throw new AlreadyMeasuredException(
                $"this boot already measured {record.ImageDigest}; refusing to launch {digest} in the same boot: reboot to launch another digest");
        if (!_log.Read().SequenceEqual(record.Extended))
            throw new MeasurementException(
                $"event log {_log.Path} does not match what this boot extended (record {_recordFile}): it was changed or truncated; reboot to measure afresh");
        return new PreparedMeasurement(this, digest, record);
    }

    /// <summary>The launch events of <paramref name="digest"/> and <paramref name="renderedCompose"/>, as the config asks for them, in the backend's version.</summary>
    internal async Task<IReadOnlyList<MeasuredEvent>> MeasureAsync(
        ImageDigest digest, BootRecord? prepared, byte[] renderedCompose, CancellationToken cancellationToken)
    {
        IReadOnlyList<RuntimeEvent> events = [.. LaunchEvents.For(_settings, digest, renderedCompose).Select(e => e.InVersion(Backend.EventVersion))];
        var entries = events.Select(e => EventLogEntry.For(e, Backend.RegisterIndex)).ToList();
        var record = prepared ?? new BootRecord(_boot.Id, digest.ToString(), _platform, Backend.Name, _log.Path, [], null);
        for (var i = 0; i < record.Extended.Count; i++)
        {
            if (i >= entries.Count || record.Extended[i] != entries[i])
                throw new AlreadyMeasuredException(
                    $"this boot already measured event '{record.Extended[i].Event}' with digest {record.Extended[i].Digest}, but this run would emit " +
                    (i < entries.Count ? $"digest {entries[i].Digest}" : "no such event") + ": reboot to launch a changed configuration");
        }

        var measured = new List<MeasuredEvent>();
        for (var i = 0; i < entries.Count; i++)
        {
            if (i < record.Extended.Count)
            {
                measured.Add(new MeasuredEvent(events[i], entries[i].Digest, ExtendedNow: false));
                continue;
            }
            var confirmed = record;
            var entry = entries[i];
            // Runs once the backend waited and checked all it could: from here an extend may happen, so a run that
            // stops now leaves the pending mark for the next one.
            void Commit()
            {
                WriteRecord(confirmed with { Pending = entry });
                try
                {
                    _log.Append(entry);
                }
                catch (MeasurementException)
                {
                    // Nothing was extended: the pending mark would only block every later run of this boot.
                    if (confirmed.Extended.Count > 0)
                        WriteRecord(confirmed);
                    else
                        File.Delete(_recordFile);
                    throw;
                }
            }
            await Backend.ExtendAsync(events[i], Commit, cancellationToken);
            WriteRecord(record = confirmed with { Extended = [.. confirmed.Extended, entry], Pending = null });
            _logger.LogInformation("Extended {Backend} register {Register} with event {Event} (digest {Digest})",
                Backend.Name, Backend.RegisterIndex, entry.Event, entry.Digest);
            measured.Add(new MeasuredEvent(events[i], entry.Digest, ExtendedNow: true));
        }
        if (measured.All(m => !m.ExtendedNow))
            _logger.LogInformation("This boot already measured {Digest}: nothing extended again", digest);
        return measured;
    }

    /// <summary>
    /// The register starts from zero at boot, so the log does too; an earlier boot's log is kept beside it. Which boot
    /// wrote a log is the boot id recorded beside it: a log of this boot without this boot's record means the record was
    /// lost, and the register may already hold its events, so nothing may be measured on top of it. A log whose boot is
    /// unknown is treated the same way (fail closed).
    /// </summary>
    private void StartLogForThisBoot()
    {
        if (InputFile.Exists(_log.Path) && _log.Read().Count > 0)
        {
            var writtenBy = LogBootId();
            if (writtenBy is null || writtenBy == _boot.Id)
                throw new MeasurementException(
                    $"event log {_log.Path} was written " + (writtenBy is null ? $"during an unknown boot ({LogBootIdFile} is missing)" : "during this boot") +
                    $" but this boot's record {_recordFile} is missing: log and register may disagree; reboot, or move the log away if it is not this boot's");
            var previous = _log.Path + ".previous-boot";
            File.Move(_log.Path, previous, overwrite: true);
            _logger.LogInformation("Moved the event log of an earlier boot to {Previous}", previous);
        }
        StateDirectory.WriteAtomically(LogBootIdFile, System.Text.Encoding.UTF8.GetBytes(_boot.Id + "\n"));
    }

    private string? LogBootId()
    {
        if (!InputFile.Exists(LogBootIdFile))
            return null;
        try
        {
            return System.Text.Encoding.UTF8.GetString(InputFile.Read(LogBootIdFile, BootIdMaxBytes)).Trim();
        }
        catch (InputFileException e)
        {
            throw new MeasurementException($"the boot id of event log {_log.Path}: {e.Message}; remove it or reboot");
        }
    }

    private BootRecord? ReadRecord()
    {
        if (!InputFile.Exists(_recordFile))
            return null;
        BootRecord? record;
        try
        {
            record = JsonSerializer.Deserialize(InputFile.Read(_recordFile, RecordMaxBytes), MeasurementJsonContext.Default.BootRecord);
        }
        catch (Exception e) when (e is JsonException or InputFileException)
        {
            throw new MeasurementException($"this boot's measurement record {_recordFile} is damaged ({e.Message}); reboot to measure afresh");
        }
        if (record is not null && record.BootId != _boot.Id)
        {
            _logger.LogWarning("State directory holds the measurement record of an earlier boot ({BootId}); it should be on tmpfs", record.BootId);
            return null;
        }
        return record;
    }

    private void WriteRecord(BootRecord record) =>
        StateDirectory.WriteAtomically(_recordFile, JsonSerializer.SerializeToUtf8Bytes(record, MeasurementJsonContext.Default.BootRecord));
}
