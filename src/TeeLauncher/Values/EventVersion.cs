using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace TeeLauncher.Values;

/// <summary>
/// One of dstack's two runtime event digest versions (docs/spec.md §5.1). Its default is version 1, so no value of the type
/// is any other; in JSON it is the number.
/// </summary>
[JsonConverter(typeof(EventVersionJsonConverter))]
public readonly record struct EventVersion
{
    /// <summary>What every place a version enters says it must be.</summary>
    public const string Choices = "1 or 2";

    private readonly bool _isV2;

    private EventVersion(bool isV2) => _isV2 = isV2;

    public static EventVersion V1 => default;

    public static EventVersion V2 => new(isV2: true);

    public int Number => _isV2 ? 2 : 1;

    /// <summary>The one rule: a version is the number 1 or 2.</summary>
    public static bool TryFrom(long number, out EventVersion version)
    {
        version = new EventVersion(isV2: number == 2);
        return number is 1 or 2;
    }

    /// <summary>The number as its one digit, exactly: "1" or "2", nothing around it.</summary>
    public static bool TryParse(string? text, out EventVersion version) => TryFrom(text is [var digit] ? digit - '0' : 0, out version);

    public override string ToString() => Number.ToString(CultureInfo.InvariantCulture);
}

internal sealed class EventVersionJsonConverter : JsonConverter<EventVersion>
{
    public override EventVersion Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var number) && EventVersion.TryFrom(number, out var version)
            ? version
            : throw new JsonException($"an event version must be {EventVersion.Choices}");

    public override void Write(Utf8JsonWriter writer, EventVersion value, JsonSerializerOptions options) => writer.WriteNumberValue(value.Number);
}
