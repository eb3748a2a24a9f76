using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace TeeLauncher.Files;

/// <summary>
/// Text that is not JSON, or nests deeper than its reader's limit, at <see cref="Offset"/> bytes into the text; each
/// format's reader says it in its own words. The message is System.Text.Json's reason, without its position.
/// </summary>
public sealed class JsonSyntaxException(int offset, string reason, bool tooDeep) : Exception(reason)
{
    public int Offset { get; } = offset;

    public bool TooDeep { get; } = tooDeep;
}

/// <summary>
/// The one JSON reader of the launcher's hostile inputs (evidence, the approved list): System.Text.Json's
/// <see cref="Utf8JsonReader"/> over a whole text, with a depth limit, no comments, every position a byte offset into
/// that text (a reader may resume mid-text), and its syntax errors as <see cref="JsonSyntaxException"/> at their offset.
/// <see cref="TextPosition.InUtf8"/> turns an offset into the line and column a message shows.
/// </summary>
public ref struct JsonCursor
{
    private readonly ReadOnlySpan<byte> _text;

    /// <summary>Where this reader's span starts, and where the first reader of its JSON value started (its line numbers count from there).</summary>
    private readonly int _base, _documentStart;

    private Utf8JsonReader _reader;

    /// <summary>A reader of the value at <paramref name="start"/>, to the end of the text or <paramref name="end"/>.</summary>
    public JsonCursor(ReadOnlySpan<byte> text, int maxDepth, int start = 0, int? end = null)
    {
        _text = text;
        (_base, _documentStart) = (start, start);
        _reader = new Utf8JsonReader(text[start..(end ?? text.Length)], Options(maxDepth));
    }

    /// <summary>A reader that resumes, at <paramref name="position"/>, the value a reader from <paramref name="documentStart"/> left in <paramref name="state"/>.</summary>
    public JsonCursor(ReadOnlySpan<byte> text, int documentStart, int position, JsonReaderState state)
    {
        _text = text;
        (_base, _documentStart) = (position, documentStart);
        _reader = new Utf8JsonReader(text[position..], isFinalBlock: true, state);
    }

    public static JsonReaderOptions Options(int maxDepth) => new() { MaxDepth = maxDepth, CommentHandling = JsonCommentHandling.Disallow };

    public readonly JsonTokenType TokenType => _reader.TokenType;

    /// <summary>The offset of the current token in the text.</summary>
    public readonly int Offset => _base + (int)_reader.TokenStartIndex;

    /// <summary>The offset just past what has been read.</summary>
    public readonly int End => _base + (int)_reader.BytesConsumed;

    public readonly JsonReaderState State => _reader.CurrentState;

    /// <summary>The length of the current token's raw (still escaped) value.</summary>
    public readonly int ValueLength => (int)(_reader.HasValueSequence ? _reader.ValueSequence.Length : _reader.ValueSpan.Length);

    public bool Read()
    {
        try
        {
            return _reader.Read();
        }
        catch (JsonException e)
        {
            throw Syntax(e);
        }
    }

    public void Skip()
    {
        try
        {
            _reader.Skip();
        }
        catch (JsonException e)
        {
            throw Syntax(e);
        }
    }

    /// <summary>Whether the current property name or string is <paramref name="utf8"/>, after unescaping.</summary>
    public readonly bool ValueIs(ReadOnlySpan<byte> utf8) => _reader.ValueTextEquals(utf8);

    /// <summary>The current string or property name; false when an escape in it is no Unicode text (a lone surrogate such as \ud800).</summary>
    public readonly bool TryGetString([NotNullWhen(true)] out string? value)
    {
        try
        {
            value = _reader.GetString()!;
            return true;
        }
        catch (InvalidOperationException)
        {
            value = null;
            return false;
        }
    }

    /// <summary>The current string unescaped into <paramref name="utf8"/> (at least <see cref="ValueLength"/> bytes); false on a lone surrogate.</summary>
    public readonly bool TryCopyString(Span<byte> utf8, out int written)
    {
        try
        {
            written = _reader.CopyString(utf8);
            return true;
        }
        catch (InvalidOperationException)
        {
            written = 0;
            return false;
        }
    }

    public readonly bool TryGetUInt32(out uint value) => _reader.TryGetUInt32(out value);

    /// <summary>The error's place: the reader counts lines and bytes from where the value's first reader began.</summary>
    private readonly JsonSyntaxException Syntax(JsonException e)
    {
        var message = e.Message;
        var cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        message = (cut > 0 ? message[..cut] : message).TrimEnd(' ', '.');
        return new JsonSyntaxException(ErrorOffset(e), message, message.Contains("depth", StringComparison.OrdinalIgnoreCase));
    }

    private readonly int ErrorOffset(JsonException e)
    {
        if (e.LineNumber is not { } lines || e.BytePositionInLine is not { } column)
            return Math.Min(End, _text.Length);
        var offset = _documentStart;
        for (var line = 0L; line < lines && offset < _text.Length; line++)
        {
            var next = _text[offset..].IndexOf((byte)'\n');
            offset = next < 0 ? _text.Length : offset + next + 1;
        }
        return (int)Math.Min(offset + column, _text.Length);
    }
}
