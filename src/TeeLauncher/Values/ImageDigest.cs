using System.Diagnostics.CodeAnalysis;

namespace TeeLauncher.Values;

/// <summary>A manifest digest <c>sha256:&lt;64 lowercase hex&gt;</c>.</summary>
public sealed record ImageDigest
{
    private const string Prefix = "sha256:";

    private ImageDigest(string hex) => Hex = hex;

    /// <summary>The 64 lowercase hex digits, without the algorithm.</summary>
    public string Hex { get; }

    public byte[] ToBytes() => Convert.FromHexString(Hex);

    public override string ToString() => Prefix + Hex;

    public static bool TryParse(string? text, [NotNullWhen(true)] out ImageDigest? digest)
    {
        digest = null;
        if (text is null || text.Length != Prefix.Length + 64 || !text.StartsWith(Prefix, StringComparison.Ordinal))
            return false;
        var hex = text[Prefix.Length..];
        if (!hex.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f'))
            return false;
        digest = new ImageDigest(hex);
        return true;
    }

    public static ImageDigest Parse(string text) =>
        TryParse(text, out var digest) ? digest : throw new FormatException(WhyNotADigest(text));

    public static ImageDigest FromBytes(ReadOnlySpan<byte> sha256) =>
        sha256.Length == 32
            ? new ImageDigest(Convert.ToHexStringLower(sha256))
            : throw new ArgumentException("a sha256 digest has 32 bytes", nameof(sha256));

    /// <summary>Why <paramref name="text"/> is not a digest, for error messages.</summary>
    public static string WhyNotADigest(string text) =>
        $"'{Shorten(text)}' is not a digest: expected 'sha256:' followed by 64 lowercase hex digits";

    private static string Shorten(string text) => text.Length <= 80 ? text : text[..77] + "...";
}
