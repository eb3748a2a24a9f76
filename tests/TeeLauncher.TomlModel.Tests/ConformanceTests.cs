using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using TomlTestDecoder;

namespace TeeLauncher.TomlModel.Tests;

/// <summary>Every TOML 1.1 case of the toml-test suite, through the reader the launcher and the toml-test decoder use.</summary>
public sealed class ConformanceTests
{
    public static TheoryData<string> ValidCases() => [.. Corpus.Listed("valid/")];

    public static TheoryData<string> InvalidCases() => [.. Corpus.Listed("invalid/")];

    [Theory]
    [MemberData(nameof(ValidCases))]
    public void Valid_documents_decode_to_the_expected_values(string file)
    {
        var document = TomlDocument.Parse(Corpus.Read(file), file);

        var actual = JsonNode.Parse(Encode(document))!;
        var expected = JsonNode.Parse(Corpus.Read(Path.ChangeExtension(file, ".json")))!;
        var difference = TaggedEquality.FirstDifference(expected, actual, "$");
        difference.Should().BeNull();
    }

    [Theory]
    [MemberData(nameof(InvalidCases))]
    public void Invalid_documents_are_rejected_with_a_position(string file)
    {
        var parse = () => TomlDocument.Parse(Corpus.Read(file), file);

        var error = parse.Should().Throw<TomlReadException>().Which.Errors.Should().NotBeEmpty().And.Subject.First();
        error.At.Line.Should().BePositive();
        error.At.Column.Should().BePositive();
    }

    [Fact]
    public void The_corpus_lists_every_case_of_toml_1_1()
    {
        Corpus.Listed("valid/").Should().HaveCount(220);
        Corpus.Listed("invalid/").Should().HaveCount(492);
    }

    private static byte[] Encode(TomlTable document)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
            TaggedJson.Write(writer, document);
        return buffer.ToArray();
    }
}

/// <summary>Compares tagged JSON by meaning: floats numerically, date-times by their instant and precision.</summary>
internal static class TaggedEquality
{
    public static string? FirstDifference(JsonNode? expected, JsonNode? actual, string path)
    {
        switch (expected)
        {
            case JsonObject leaf when leaf.Count == 2 && leaf["type"] is JsonValue && leaf["value"] is JsonValue:
                if (actual is not JsonObject other || other["type"]?.GetValue<string>() != leaf["type"]!.GetValue<string>())
                    return $"{path}: expected {leaf.ToJsonString()}, found {actual?.ToJsonString()}";
                return SameLeaf(leaf["type"]!.GetValue<string>(), leaf["value"]!.GetValue<string>(), other["value"]!.GetValue<string>())
                    ? null
                    : $"{path}: expected {leaf.ToJsonString()}, found {actual.ToJsonString()}";
            case JsonObject table:
                if (actual is not JsonObject actualTable || actualTable.Count != table.Count)
                    return $"{path}: expected {table.ToJsonString()}, found {actual?.ToJsonString()}";
                foreach (var (key, value) in table)
                {
                    if (!actualTable.ContainsKey(key))
                        return $"{path}.{key}: missing";
                    if (FirstDifference(value, actualTable[key], $"{path}.{key}") is { } difference)
                        return difference;
                }
                return null;
            case JsonArray array:
                if (actual is not JsonArray actualArray || actualArray.Count != array.Count)
                    return $"{path}: expected {array.ToJsonString()}, found {actual?.ToJsonString()}";
                for (var i = 0; i < array.Count; i++)
                {
                    if (FirstDifference(array[i], actualArray[i], $"{path}[{i}]") is { } difference)
                        return difference;
                }
                return null;
            default:
                return $"{path}: unexpected expected-node {expected?.ToJsonString()}";
        }
    }

    private static bool SameLeaf(string type, string expected, string actual) => type switch
    {
        "float" => SameFloat(expected, actual),
        "integer" => long.Parse(expected, CultureInfo.InvariantCulture) == long.Parse(actual, CultureInfo.InvariantCulture),
        "datetime" or "datetime-local" or "date-local" or "time-local" => NormalDateTime(expected) == NormalDateTime(actual),
        _ => expected == actual,
    };

    private static bool SameFloat(string expected, string actual)
    {
        static double Read(string s) => s switch
        {
            "nan" or "+nan" or "-nan" => double.NaN,
            "inf" or "+inf" => double.PositiveInfinity,
            "-inf" => double.NegativeInfinity,
            _ => double.Parse(s, CultureInfo.InvariantCulture),
        };
        var (e, a) = (Read(expected), Read(actual));
        return double.IsNaN(e) ? double.IsNaN(a) : e.Equals(a);
    }

    /// <summary>Upper-case separators, a zero offset as Z, no trailing zeros in the fraction.</summary>
    private static string NormalDateTime(string value)
    {
        var text = value.ToUpperInvariant().Replace(' ', 'T');
        if (text.EndsWith("+00:00", StringComparison.Ordinal) || text.EndsWith("-00:00", StringComparison.Ordinal))
            text = text[..^6] + "Z";
        var dot = text.IndexOf('.');
        if (dot < 0)
            return text;
        var end = dot + 1;
        while (end < text.Length && char.IsAsciiDigit(text[end]))
            end++;
        var fraction = text[(dot + 1)..end].TrimEnd('0');
        return text[..dot] + (fraction.Length > 0 ? "." + fraction : "") + text[end..];
    }
}
