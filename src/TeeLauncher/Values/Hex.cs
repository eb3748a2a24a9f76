using System.Diagnostics.CodeAnalysis;

namespace TeeLauncher.Values;

/// <summary>Hex as operators and auditors write it: digits in either case, an optional <c>0x</c>.</summary>
internal static class Hex
{
    public static string WithoutPrefix(string text) =>
        text.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? text[2..] : text;

    public static bool TryDecode(string hex, [NotNullWhen(true)] out byte[]? bytes)
    {
        bytes = null;
        if (hex.Length % 2 != 0 || !hex.All(char.IsAsciiHexDigit))
            return false;
        bytes = Convert.FromHexString(hex);
        return true;
    }

    /// <summary>
    /// Lower-case hex of a digest, by table: <see cref="Convert.ToHexStringLower(byte[])"/> takes a vector path whose
    /// shuffle the NativeAOT baseline instruction set runs in software, several times slower for the 48 bytes verify
    /// writes per event.
    /// </summary>
    public static string Lower(ReadOnlySpan<byte> bytes)
    {
        Span<char> text = bytes.Length <= 64 ? stackalloc char[bytes.Length * 2] : new char[bytes.Length * 2];
        for (var i = 0; i < bytes.Length; i++)
        {
            text[2 * i] = LowerDigits[bytes[i] >> 4];
            text[2 * i + 1] = LowerDigits[bytes[i] & 0xf];
        }
        return new string(text);
    }

    private const string LowerDigits = "0123456789abcdef";
}
