using System.Text.Json.Serialization;
using TeeLauncher.Values;

namespace TeeLauncher.Measurement;

/// <summary>One line of the launcher's event log, in dstack's runtime event format (docs/spec.md §5.2).</summary>
public sealed record EventLogEntry(
    [property: JsonPropertyName("imr")] int Imr,
    [property: JsonPropertyName("event_type")] uint EventType,
    [property: JsonPropertyName("digest")] string Digest,
    [property: JsonPropertyName("event")] string Event,
    [property: JsonPropertyName("event_payload")] string EventPayload,
    [property: JsonPropertyName("version"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? Version = null)
{
    /// <summary>Version 1 entries carry no version field, as in dstack's own logs; version 2 ones <c>"version":2</c>.</summary>
    public static EventLogEntry For(RuntimeEvent runtimeEvent, int registerIndex) => new(
        registerIndex, RuntimeEvent.EventType, Convert.ToHexStringLower(runtimeEvent.Digest()),
        runtimeEvent.Name, Convert.ToHexStringLower(runtimeEvent.Payload), runtimeEvent.Version == 1 ? null : runtimeEvent.Version);
}

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
