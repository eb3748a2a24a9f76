using System.Text.Json;
using TeeLauncher.Files;

namespace TeeLauncher.Tests.Files;

/// <summary>The one JSON reader of hostile input: errors at their byte offset, a depth limit, no comments, readers that resume.</summary>
public sealed class JsonCursorTests
{
    [Fact]
    public void A_syntax_error_is_thrown_at_its_offset_with_the_readers_reason_and_no_position_text()
    {
        var text = "{\"a\": [1,\n  }"u8.ToArray();

        var error = ReadAll(text);

        error.Should().NotBeNull();
        error!.Offset.Should().Be(Array.IndexOf(text, (byte)'}'));
        error.Message.Should().NotContain("LineNumber").And.NotBeEmpty();
        error.TooDeep.Should().BeFalse();
        TextPosition.InUtf8(text, error.Offset).Should().Be(new TextPosition(2, 3));
    }

    [Fact]
    public void Nesting_past_the_limit_is_too_deep()
    {
        var text = System.Text.Encoding.UTF8.GetBytes(new string('[', 17) + new string(']', 17));

        ReadAll(text, maxDepth: 16)!.TooDeep.Should().BeTrue();
        ReadAll(text, maxDepth: 17).Should().BeNull();
    }

    [Fact]
    public void Comments_are_not_JSON()
    {
        ReadAll("[1 /* no */]"u8.ToArray()).Should().NotBeNull();
    }

    [Fact]
    public void A_resumed_reader_places_an_error_in_the_whole_text()
    {
        var text = "{\"x\": 1}\n[1,\n 2,\n ?]"u8.ToArray();
        var start = Array.IndexOf(text, (byte)'[');
        var first = new JsonCursor(text, 64, start);
        first.Read();
        first.Read();
        var (end, state) = (first.End, first.State);

        JsonSyntaxException? error = null;
        try
        {
            var resumed = new JsonCursor(text, start, end, state);
            while (resumed.Read())
            {
            }
        }
        catch (JsonSyntaxException e)
        {
            error = e;
        }

        error!.Offset.Should().Be(Array.IndexOf(text, (byte)'?'));
    }

    [Fact]
    public void A_lone_surrogate_escape_is_no_string()
    {
        var cursor = new JsonCursor("\"\\ud800\""u8, 8);
        cursor.Read();

        cursor.TryGetString(out var value).Should().BeFalse();
        value.Should().BeNull();
    }

    private static JsonSyntaxException? ReadAll(byte[] text, int maxDepth = 64)
    {
        var cursor = new JsonCursor(text, maxDepth);
        try
        {
            while (cursor.Read())
            {
            }
            return null;
        }
        catch (JsonSyntaxException e)
        {
            return e;
        }
    }
}
