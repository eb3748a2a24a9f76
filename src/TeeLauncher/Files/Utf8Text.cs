using System.Buffers;
using System.Text;

namespace TeeLauncher.Files;

/// <summary>
/// Positions in UTF-8 input as every message shows them: 1-based line and 1-based column counted in characters (Unicode
/// scalar values, so an emoji is one column), the convention of docs/spec.md §10; and where input stops being UTF-8.
/// </summary>
public static class Utf8Text
{
    public static (int Line, int Column)? FirstInvalid(ReadOnlySpan<byte> bytes) =>
        FirstInvalidOffset(bytes) is { } offset ? Position(bytes, offset) : null;

    /// <summary>The offset of the first byte that is not UTF-8, or null when all of it is (checked in one vectorised pass first).</summary>
    public static int? FirstInvalidOffset(ReadOnlySpan<byte> bytes)
    {
        if (System.Text.Unicode.Utf8.IsValid(bytes))
            return null;
        for (var offset = 0; offset < bytes.Length;)
        {
            if (Rune.DecodeFromUtf8(bytes[offset..], out _, out var consumed) != OperationStatus.Done)
                return offset;
            offset += consumed;
        }
        return null;
    }

    /// <summary>The line and column of byte <paramref name="offset"/>; the text before it is UTF-8.</summary>
    public static (int Line, int Column) Position(ReadOnlySpan<byte> bytes, int offset)
    {
        var before = bytes[..Math.Clamp(offset, 0, bytes.Length)];
        var lineStart = before.LastIndexOf((byte)'\n') + 1;
        return (before.Count((byte)'\n') + 1, Characters(before[lineStart..]) + 1);
    }

    /// <summary>The Unicode scalar values in UTF-8 text: every byte that is not a continuation byte (10xxxxxx) starts one.</summary>
    private static int Characters(ReadOnlySpan<byte> utf8)
    {
        var continuations = 0;
        foreach (var b in utf8)
            continuations += (b & 0xC0) == 0x80 ? 1 : 0;
        return utf8.Length - continuations;
    }
}
