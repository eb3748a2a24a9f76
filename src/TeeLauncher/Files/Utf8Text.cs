using System.Buffers;
using System.Text;

namespace TeeLauncher.Files;

/// <summary>Where UTF-8 input stops being UTF-8, as a 1-based line and column (columns count bytes, as JSON readers do).</summary>
public static class Utf8Text
{
    public static (int Line, int Column)? FirstInvalid(ReadOnlySpan<byte> bytes)
    {
        var offset = 0;
        while (offset < bytes.Length)
        {
            if (Rune.DecodeFromUtf8(bytes[offset..], out _, out var consumed) == OperationStatus.Done)
            {
                offset += consumed;
                continue;
            }
            return Position(bytes, offset);
        }
        return null;
    }

    public static (int Line, int Column) Position(ReadOnlySpan<byte> bytes, int offset)
    {
        var before = bytes[..Math.Min(offset, bytes.Length)];
        return (before.Count((byte)'\n') + 1, before.Length - (before.LastIndexOf((byte)'\n') + 1) + 1);
    }
}
