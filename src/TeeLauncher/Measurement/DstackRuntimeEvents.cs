using System.Text;
using Microsoft.Win32.SafeHandles;
using TeeLauncher.Configuration;
using TeeLauncher.Errors;
using TeeLauncher.Files;
using TeeLauncher.Events;
using TeeLauncher.Values;

namespace TeeLauncher.Measurement;

/// <summary>
/// dstack's own runtime-event protocol, for dstack releases without <c>/EmitEvent</c> (docs/spec.md §5.2), step for step as
/// dstack's <c>emit_runtime_event</c> (project Dstack-TEE/dstack, dstack/dstack-attest/src/lib.rs; the log line from
/// dstack/cc-eventlog/src/runtime_events.rs): an exclusive flock on <c>runtime_event.lock</c> held throughout, the digest
/// version read whole from <c>runtime_event_version</c>, RTMR3 extended, on GCP also TPM PCR 14 with the SHA-256 of the
/// same preimage, and only then one line <c>{"event","payload" (standard base64)[,"version":2]}</c> appended to
/// <c>runtime_events.log</c> (mode 0600). Every file is refused when it is not a regular file, without blocking on it.
/// </summary>
public sealed class DstackRuntimeEvents(string directory, RtmrAttribute rtmr, DstackPlatformKind platform, Tpm2Tools tpm)
{
    /// <summary>dstack's PCR for runtime events on GCP, extended in the sha256 bank (dstack-types, <c>tpm_event_pcr_and_bank</c>).</summary>
    public const int GcpPcr = 14;

    /// <summary>dstack writes "1" or "2"; a larger file is refused unread rather than read into memory.</summary>
    private const int VersionMaxBytes = 4096;

    private static readonly TimeSpan LockPoll = TimeSpan.FromMilliseconds(20);

    public string Directory { get; } = directory;

    public string LockFile => Path.Combine(Directory, "runtime_event.lock");

    public string VersionFile => Path.Combine(Directory, "runtime_event_version");

    public string LogFile => Path.Combine(Directory, "runtime_events.log");

    /// <summary>
    /// Before the pull: the directory, dstack's version file, a lock and a log that can be written (both created as dstack
    /// creates them when missing), RTMR3 and on GCP the TPM; returns the version.
    /// </summary>
    public async Task<EventVersion> EnsureUsableAsync(CancellationToken cancellationToken)
    {
        switch (Status(Directory, "runtime event directory"))
        {
            case null:
                throw new MeasurementException(
                    $"dstack's runtime event directory {Directory} does not exist: mount it into the launcher's container (measurement.dstack_event_dir)");
            case { Type: not UnixFileType.Directory } status:
                throw new MeasurementException(
                    $"dstack's runtime event directory {Directory} is {InputFile.Describe(status.Type)}, not a directory (measurement.dstack_event_dir)");
        }
        var version = ReadVersion();
        OpenForWriting(LockFile, "lock", append: false).Dispose();
        OpenForWriting(LogFile, "log", append: true).Dispose();
        rtmr.EnsureUsable();
        if (platform == DstackPlatformKind.GcpTdx)
            await tpm.ReadPcrAsync(GcpPcr, ["sha256"], cancellationToken);
        return version;
    }

    /// <summary>
    /// Under dstack's lock, waited for as dstack's services wait (stoppable by a signal): the version is still the boot's,
    /// the log is open for its line, and only then <paramref name="commit"/> and the extends.
    /// </summary>
    public async Task EmitAsync(RuntimeEvent runtimeEvent, Action commit, CancellationToken cancellationToken)
    {
        using var held = await LockAsync(cancellationToken);
        var version = ReadVersion();
        if (version != runtimeEvent.Version)
            throw new MeasurementException(
                $"dstack's runtime event version in {VersionFile} is now {version}, but this boot's events were logged in version {runtimeEvent.Version}: reboot to measure afresh");
        using var log = OpenForWriting(LogFile, "log", append: true);
        commit();
        rtmr.Extend(runtimeEvent.Digest(), runtimeEvent.Name);
        if (platform == DstackPlatformKind.GcpTdx)
        {
            try
            {
                await tpm.ExtendPcrAsync(GcpPcr, [("sha256", MeasurementRegister.Measurement(runtimeEvent, HashBank.Sha256))], runtimeEvent.Name, CancellationToken.None);
            }
            catch (MeasurementException e)
            {
                throw new MeasurementException(
                    $"RTMR3 was extended with event '{runtimeEvent.Name}' but PCR {GcpPcr} was not ({e.Message}): dstack's log, RTMR3 and PCR {GcpPcr} now disagree; reboot to measure afresh");
            }
        }
        Append(log, LogLine(runtimeEvent));
    }

    /// <summary>The line exactly as dstack's serde writes a <c>RuntimeEvent</c>: fields in this order, no spaces.</summary>
    public static string LogLine(RuntimeEvent runtimeEvent) =>
        $"{{\"event\":{RuntimeEvent.JsonString(runtimeEvent.Name)},\"payload\":\"{Convert.ToBase64String(runtimeEvent.Payload)}\"" +
        (runtimeEvent.Version == EventVersion.V1 ? "}" : $",\"version\":{runtimeEvent.Version}}}");

    /// <summary>As dstack's <c>runtime_event_version_file</c>: the whole file as UTF-8, trimmed, must be "1" or "2".</summary>
    private EventVersion ReadVersion()
    {
        string text;
        try
        {
            text = Utf8Text.Decode(InputFile.Read(VersionFile, VersionMaxBytes))?.Trim()
                ?? throw new MeasurementException($"dstack's runtime event version file {VersionFile} is not UTF-8 text: dstack cannot read it either");
        }
        catch (InputFileException e) when (e.Missing)
        {
            throw new MeasurementException(
                $"dstack's runtime event version file {VersionFile} does not exist: dstack's system setup has not run, or this is not the directory dstack uses (measurement.dstack_event_dir)");
        }
        catch (InputFileException e)
        {
            throw new MeasurementException($"dstack's runtime event version file {e.Message} (measurement.dstack_event_dir)");
        }
        return EventVersion.TryParse(text, out var version)
            ? version
            : throw new MeasurementException(
                $"dstack's runtime event version file {VersionFile} holds {RuntimeEvent.JsonString(text[..Math.Min(text.Length, 40)])}, not {EventVersion.Choices}: this launcher does not know that digest version");
    }

    /// <summary>The exclusive lock dstack's services take, waited for as they do, but stoppable by a signal.</summary>
    private async Task<FileLock> LockAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await FileLock.TakeAsync(LockFile, LockPoll, cancellationToken);
        }
        catch (NotRegularFileException e)
        {
            throw NotRegular(LockFile, "lock", e.Type);
        }
        catch (IOException e)
        {
            throw new MeasurementException($"dstack's runtime event lock {LockFile} cannot be taken: {e.Message}");
        }
    }

    /// <summary>Opens (creating 0600 as dstack does when missing) a file of the protocol for writing; anything but a regular file is refused unopened.</summary>
    private static SafeFileHandle OpenForWriting(string path, string role, bool append)
    {
        if (Status(path, role) is { Type: not UnixFileType.Regular } named)
            throw NotRegular(path, role, named.Type);
        SafeFileHandle handle;
        FileStatus opened;
        try
        {
            (handle, opened) = UnixFile.OpenForWriting(path, append);
        }
        catch (IOException e)
        {
            throw new MeasurementException($"dstack's runtime event {role} {path} cannot be written: {e.Message} (measurement.dstack_event_dir)");
        }
        if (opened.Type == UnixFileType.Regular)
            return handle;
        handle.Dispose();
        throw NotRegular(path, role, opened.Type);
    }

    private static FileStatus? Status(string path, string role)
    {
        try
        {
            return UnixFile.Status(path);
        }
        catch (IOException e)
        {
            throw new MeasurementException($"dstack's runtime event {role} {path} cannot be examined: {e.Message} (measurement.dstack_event_dir)");
        }
    }

    private static MeasurementException NotRegular(string path, string role, UnixFileType type) =>
        new($"dstack's runtime event {role} {path} is {InputFile.Describe(type)}, not a regular file; dstack's own services cannot use it either (measurement.dstack_event_dir)");

    private void Append(SafeFileHandle log, string line)
    {
        try
        {
            UnixFile.Append(log, Encoding.UTF8.GetBytes(line + "\n"));
        }
        catch (IOException e)
        {
            throw new MeasurementException(
                $"RTMR3 was extended but dstack's runtime event log {LogFile} could not be appended ({e.Message}): dstack's log and RTMR3 now disagree; reboot to measure afresh");
        }
    }
}
