using System.Buffers;
using System.Text;

namespace TeeLauncher.Files;

/// <summary>Where UTF-8 input stops being UTF-8, as a 1-based line and column (columns count bytes, as JSON readers do).</summary>
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

    public static (int Line, int Column) Position(ReadOnlySpan<byte> bytes, int offset)
    {
        var before = bytes[..Math.Min(offset, bytes.Length)];
        return (before.Count((byte)'\n') + 1, before.Length - (before.LastIndexOf((byte)'\n') + 1) + 1);
    }
}
