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
}
