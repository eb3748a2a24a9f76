using System.Globalization;
using System.Text.Json;
using Tomlyn;
using TeeLauncher.TomlModel;

namespace TomlTestDecoder;

/// <summary>The toml-test encoding of a document: tables as objects, arrays as arrays, every leaf as {"type","value"}.</summary>
public static class TaggedJson
{
    public static void Write(Utf8JsonWriter writer, object value)
    {
        switch (value)
        {
            case TomlTable table:
                writer.WriteStartObject();
                foreach (var (key, item) in table)
                {
                    writer.WritePropertyName(key);
                    Write(writer, item);
                }
                writer.WriteEndObject();
                break;
            case TomlTableArray tables:
                writer.WriteStartArray();
                foreach (var table in tables)
                    Write(writer, table);
                writer.WriteEndArray();
                break;
            case TomlArray array:
                writer.WriteStartArray();
                foreach (var item in array)
                    Write(writer, item);
                writer.WriteEndArray();
                break;
            default:
                var (type, text) = Leaf(value);
                writer.WriteStartObject();
                writer.WriteString("type", type);
                writer.WriteString("value", text);
                writer.WriteEndObject();
                break;
        }
    }

    private static (string Type, string Text) Leaf(object value) => value switch
    {
        string s => ("string", s),
        long l => ("integer", l.ToString(CultureInfo.InvariantCulture)),
        double d => ("float", Float(d)),
        bool b => ("bool", b ? "true" : "false"),
        TomlDateTime t => (t.Kind switch
        {
            TomlDateTimeKind.OffsetDateTimeByZ or TomlDateTimeKind.OffsetDateTimeByNumber => "datetime",
            TomlDateTimeKind.LocalDateTime => "datetime-local",
            TomlDateTimeKind.LocalDate => "date-local",
            _ => "time-local",
        }, t.ToString()),
        _ => throw new ArgumentException($"not a TOML value: {value.GetType()}"),
    };

    private static string Float(double d) =>
        double.IsNaN(d) ? "nan"
        : double.IsPositiveInfinity(d) ? "inf"
        : double.IsNegativeInfinity(d) ? "-inf"
        : d.ToString("R", CultureInfo.InvariantCulture);
}
