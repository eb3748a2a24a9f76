using System.Text.Json.Serialization;
using TeeLauncher.Values;

namespace TeeLauncher.Events;

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
        runtimeEvent.Name, Convert.ToHexStringLower(runtimeEvent.Payload), runtimeEvent.Version == EventVersion.V1 ? null : runtimeEvent.Version.Number);
}
