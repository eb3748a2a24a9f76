using TeeLauncher.Errors;
using TeeLauncher.Values;

namespace TeeLauncher.Cli;

/// <summary>Register values given on the command line: hex, an optional 0x, one of the allowed lengths in bytes.</summary>
public static class HexArgument
{
    public static byte[] Parse(string option, string text, params int[] lengths)
    {
        if (!Hex.TryDecode(Hex.WithoutPrefix(text), out var bytes))
            throw new UsageException($"--{option} '{text}' is not hex");
        return lengths.Contains(bytes.Length)
            ? bytes
            : throw new UsageException($"--{option} is {bytes.Length} bytes; expected {string.Join(" or ", lengths.Select(l => $"{l} bytes ({l * 2} hex digits)"))}");
    }
}
