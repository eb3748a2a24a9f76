using System.Buffers;
using System.Text;

namespace TeeLauncher.Files;

/// <summary>The one check that input is UTF-8: where it stops being UTF-8, and its text when it is.</summary>
public static class Utf8Text
{
    /// <summary>Where the first byte that is not UTF-8 is, or null when all of it is.</summary>
    public static TextPosition? FirstInvalid(ReadOnlySpan<byte> bytes) =>
        FirstInvalidOffset(bytes) is { } offset ? TextPosition.InUtf8(bytes, offset) : null;

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

    /// <summary>The text of <paramref name="bytes"/>, or null when they are not UTF-8 (a byte order mark is kept as U+FEFF).</summary>
    public static string? Decode(ReadOnlySpan<byte> bytes) =>
        System.Text.Unicode.Utf8.IsValid(bytes) ? Encoding.UTF8.GetString(bytes) : null;
}
