using TeeLauncher.Errors;

namespace TeeLauncher.Cli;

/// <summary>Register values given on the command line: hex, an optional 0x, one of the allowed lengths in bytes.</summary>
public static class HexArgument
{
    public static byte[] Parse(string option, string text, params int[] lengths)
    {
        var hex = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? text[2..] : text;
        byte[] bytes;
        try
        {
            bytes = Convert.FromHexString(hex);
        }
        catch (FormatException)
        {
            throw new UsageException($"--{option} '{text}' is not hex");
        }
        return lengths.Contains(bytes.Length)
            ? bytes
            : throw new UsageException($"--{option} is {bytes.Length} bytes; expected {string.Join(" or ", lengths.Select(l => $"{l} bytes ({l * 2} hex digits)"))}");
    }
}
