using System.Text.Json;

namespace TeeLauncher.Measurement;

/// <summary>The launcher's JSON-lines event log: each entry reaches the disk before its register is extended.</summary>
public sealed class EventLog(string path)
{
    public string Path { get; } = path;

    public IReadOnlyList<EventLogEntry> Read()
    {
        if (!File.Exists(Path))
            return [];
        var entries = new List<EventLogEntry>();
        var number = 0;
        foreach (var line in File.ReadLines(Path))
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
                throw new Errors.MeasurementException($"event log {Path}:{number}: not an event entry ({e.Message}); the log was damaged, reboot to measure afresh");
            }
        }
        return entries;
    }

    public void Append(EventLogEntry entry)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path))!);
        using var stream = new FileStream(Path, new FileStreamOptions
        {
            Mode = FileMode.Append, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
        });
        JsonSerializer.Serialize(stream, entry, MeasurementJsonContext.Default.EventLogEntry);
        stream.WriteByte((byte)'\n');
        stream.Flush(flushToDisk: true);
    }
}
