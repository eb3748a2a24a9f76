using System.Buffers;
using System.Text;

namespace TeeLauncher.Files;

/// <summary>
/// A place in an input text as every message gives it (docs/spec.md §10): 1-based line and column; a line ends at LF,
/// CR LF or CR; the column counts characters (Unicode scalar values, so an emoji is one and a tab is one; a byte that
/// is not UTF-8 counts as one).
/// </summary>
public readonly record struct TextPosition(int Line, int Column)
{
    public static readonly TextPosition Start = new(1, 1);

    public override string ToString() => $"{Line}:{Column}";

    /// <summary>The position of the byte at <paramref name="offset"/> in UTF-8 <paramref name="text"/>.</summary>
    public static TextPosition InUtf8(ReadOnlySpan<byte> text, long offset)
    {
        var before = text[..(int)Math.Clamp(offset, 0, text.Length)];
        var lineStart = before.LastIndexOfAny((byte)'\n', (byte)'\r') + 1;
        var column = 1;
        for (var rest = before[lineStart..]; !rest.IsEmpty; column++)
        {
            Rune.DecodeFromUtf8(rest, out _, out var consumed);
            rest = rest[Math.Max(consumed, 1)..];
        }
        return new TextPosition(Lines(before, (byte)'\r', (byte)'\n'), column);
    }

    /// <summary>The position of the character at <paramref name="index"/> in <paramref name="text"/>.</summary>
    public static TextPosition InText(ReadOnlySpan<char> text, long index)
    {
        var before = text[..(int)Math.Clamp(index, 0, text.Length)];
        var lineStart = before.LastIndexOfAny('\n', '\r') + 1;
        var column = 1;
        foreach (var _ in before[lineStart..].EnumerateRunes())
            column++;
        return new TextPosition(Lines(before, '\r', '\n'), column);
    }

    private static int Lines<T>(ReadOnlySpan<T> before, T cr, T lf) where T : IEquatable<T> =>
        1 + before.Count(lf) + before.Count(cr) - before.Count([cr, lf]);
}
