using System.Text.Json.Serialization;
using TeeLauncher.Events;

namespace TeeLauncher.Measurement;

/// <summary>
/// What this boot extended, with the platform and backend that extended it, kept in the state directory so a second
/// run in the same boot knows. <see cref="Pending"/> is written once an extend may happen (before its entry goes to the
/// log) and cleared after the extend: if a run finds it set, that run died between the two.
/// </summary>
public sealed record BootRecord(
    [property: JsonPropertyName("boot_id")] string BootId,
    [property: JsonPropertyName("image_digest")] string ImageDigest,
    [property: JsonPropertyName("platform")] string? Platform,
    [property: JsonPropertyName("backend")] string Backend,
    [property: JsonPropertyName("event_log")] string EventLog,
    [property: JsonPropertyName("extended")] IReadOnlyList<EventLogEntry> Extended,
    [property: JsonPropertyName("pending")] EventLogEntry? Pending);

[JsonSourceGenerationOptions(WriteIndented = false)]
[JsonSerializable(typeof(EventLogEntry))]
[JsonSerializable(typeof(BootRecord))]
internal sealed partial class MeasurementJsonContext : JsonSerializerContext;
