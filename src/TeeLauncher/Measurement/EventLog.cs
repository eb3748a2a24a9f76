using System.Text;
using System.Text.Json;
using TeeLauncher.Errors;
using TeeLauncher.Files;
using TeeLauncher.Events;

namespace TeeLauncher.Measurement;

/// <summary>The launcher's JSON-lines event log: each entry reaches the disk before its register is extended.</summary>
public sealed class EventLog(string path)
{
    private const int MaxBytes = 16 << 20;

    public string Path { get; } = path;

    public IReadOnlyList<EventLogEntry> Read()
    {
        if (!InputFile.Exists(Path))
            return [];
        string text;
        try
        {
            text = Utf8Text.Decode(InputFile.Read(Path, MaxBytes))
                ?? throw new MeasurementException($"event log {Path} is not valid UTF-8; the log was damaged, reboot to measure afresh");
        }
        catch (InputFileException e)
        {
            throw new MeasurementException($"event log {Path} {e.Reason}");
        }
        var entries = new List<EventLogEntry>();
        var number = 0;
        foreach (var line in text.Split('\n'))
        {
            number++;
            if (line.Length == 0)
                continue;
            try
            {
                entries.Add(JsonSerializer.Deserialize(line, MeasurementJsonContext.Default.EventLogEntry)
                    ?? throw new JsonException("null entry"));
            }
            catch (JsonException e)
            {
                throw new MeasurementException($"event log {Path}:{number}: not an event entry ({e.Message}); the log was damaged, reboot to measure afresh");
            }
        }
        return entries;
    }

    /// <summary>Before the pull (docs/spec.md §10): the log is a regular file that can be appended to, or its folder can take one.</summary>
    public void EnsureWritable()
    {
        try
        {
            if (UnixFile.Status(Path) is { } status)
            {
                if (status.Type != UnixFileType.Regular)
                    throw new MeasurementException(
                        $"event log {Path} is {InputFile.Describe(status.Type)}, not a regular file; remove it or set measurement.event_log");
                new FileStream(Path, FileMode.Open, FileAccess.Write).Dispose();
                return;
            }
            var directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path))!;
            Directory.CreateDirectory(directory);
            OutputFile.ProveWritable(directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Unwritable(e);
        }
    }

    public void Append(EventLogEntry entry)
    {
        try
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path))!);
            OutputFile.Append(Path, [.. JsonSerializer.SerializeToUtf8Bytes(entry, MeasurementJsonContext.Default.EventLogEntry), (byte)'\n'],
                OutputFile.OwnerReadWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Unwritable(e);
        }
    }

    private MeasurementException Unwritable(Exception e) =>
        new($"event log {Path} cannot be written ({(e is UnauthorizedAccessException ? "permission denied" : e.Message)}); " +
            "make its folder writable by the launcher or set measurement.event_log", e);
}
