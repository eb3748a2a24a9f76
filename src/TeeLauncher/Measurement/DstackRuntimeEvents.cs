using System.Globalization;
using System.Text;
using Microsoft.Win32.SafeHandles;
using TeeLauncher.Errors;
using TeeLauncher.Files;

namespace TeeLauncher.Measurement;

/// <summary>
/// dstack's own runtime-event protocol, for dstack releases without <c>/EmitEvent</c> (docs/spec.md §5.2), as dstack's services
/// follow it in <c>emit_runtime_event</c> (project Dstack-TEE/dstack, dstack/dstack-attest/src/lib.rs, and
/// dstack/cc-eventlog/src/runtime_events.rs for the log line): an exclusive flock on <c>runtime_event.lock</c> held
/// across both steps, the digest version from <c>runtime_event_version</c>, the RTMR3 extend, and only then one line
/// <c>{"event","payload" (standard base64)[,"version":2]}</c> appended to <c>runtime_events.log</c> (mode 0600).
/// </summary>
public sealed class DstackRuntimeEvents(string directory, RtmrAttribute rtmr)
{
    private static readonly TimeSpan LockPoll = TimeSpan.FromMilliseconds(20);

    public string Directory { get; } = directory;

    public string LockFile => Path.Combine(Directory, "runtime_event.lock");

    public string VersionFile => Path.Combine(Directory, "runtime_event_version");

    public string LogFile => Path.Combine(Directory, "runtime_events.log");

    /// <summary>Before the pull: the directory, dstack's version file and the RTMR attribute are there; returns the version.</summary>
    public int EnsureUsable()
    {
        if (!System.IO.Directory.Exists(Directory))
            throw new MeasurementException(
                $"dstack's runtime event directory {Directory} does not exist: mount it into the launcher's container (measurement.dstack_event_dir)");
        var version = ReadVersion();
        if (File.Exists(LogFile))
            ProbeWritable(LogFile);
        rtmr.EnsureUsable();
        return version;
    }

    /// <summary>Extends RTMR3 and appends dstack's log line, both under dstack's lock; waits, as dstack does, for as long as another holds it.</summary>
    public async Task EmitAsync(RuntimeEvent runtimeEvent, CancellationToken cancellationToken)
    {
        using var held = await LockAsync(cancellationToken);
        var version = ReadVersion();
        if (version != runtimeEvent.Version)
            throw new MeasurementException(
                $"dstack's runtime event version in {VersionFile} is now {version}, but this boot's events were logged in version {runtimeEvent.Version}: reboot to measure afresh");
        rtmr.Extend(runtimeEvent.Digest(), runtimeEvent.Name);
        Append(LogLine(runtimeEvent));
    }

    /// <summary>The line exactly as dstack's serde writes a <c>RuntimeEvent</c>: fields in this order, no spaces.</summary>
    public static string LogLine(RuntimeEvent runtimeEvent) =>
        $"{{\"event\":{RuntimeEvent.JsonString(runtimeEvent.Name)},\"payload\":\"{Convert.ToBase64String(runtimeEvent.Payload)}\"" +
        (runtimeEvent.Version == 1 ? "}" : $",\"version\":{runtimeEvent.Version.ToString(CultureInfo.InvariantCulture)}}}");

    private int ReadVersion()
    {
        string text;
        try
        {
            using var stream = new FileStream(VersionFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 0);
            var buffer = new byte[16];
            text = Encoding.UTF8.GetString(buffer, 0, stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false)).Trim();
        }
        catch (FileNotFoundException)
        {
            throw new MeasurementException(
                $"dstack's runtime event version file {VersionFile} does not exist: dstack's system setup has not run, or this is not the directory dstack uses (measurement.dstack_event_dir)");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new MeasurementException($"dstack's runtime event version file {VersionFile} cannot be read: {e.Message}");
        }
        return text switch
        {
            "1" => 1,
            "2" => 2,
            _ => throw new MeasurementException(
                $"dstack's runtime event version file {VersionFile} holds {RuntimeEvent.JsonString(text)}, not 1 or 2: this launcher does not know that digest version"),
        };
    }

    /// <summary>The exclusive lock dstack's services take, waited for as they do, but stoppable by a signal.</summary>
    private async Task<SafeFileHandle> LockAsync(CancellationToken cancellationToken)
    {
        SafeFileHandle handle;
        try
        {
            handle = UnixFile.OpenLockFile(LockFile);
        }
        catch (IOException e)
        {
            throw new MeasurementException($"dstack's runtime event lock {LockFile} cannot be opened: {e.Message}");
        }
        try
        {
            while (!TryLock(handle))
                await Task.Delay(LockPoll, cancellationToken);
            return handle;
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    private bool TryLock(SafeFileHandle handle)
    {
        try
        {
            return UnixFile.TryLockExclusive(handle);
        }
        catch (IOException e)
        {
            throw new MeasurementException($"dstack's runtime event lock {LockFile} cannot be taken: {e.Message}");
        }
    }

    private void Append(string line)
    {
        try
        {
            using var stream = new FileStream(LogFile, new FileStreamOptions
            {
                Mode = FileMode.Append, Access = FileAccess.Write, Share = FileShare.ReadWrite,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            });
            stream.Write(Encoding.UTF8.GetBytes(line + "\n"));
            stream.Flush(flushToDisk: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new MeasurementException(
                $"RTMR3 was extended but dstack's runtime event log {LogFile} could not be appended ({e.Message}): dstack's log and RTMR3 now disagree; reboot to measure afresh");
        }
    }

    private static void ProbeWritable(string path)
    {
        try
        {
            using var _ = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, bufferSize: 0);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new MeasurementException($"dstack's runtime event log {path} is not writable: {e.Message} (measurement.dstack_event_dir)");
        }
    }
}
