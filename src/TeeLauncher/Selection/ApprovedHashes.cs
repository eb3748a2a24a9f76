using System.Text.Json;
using TeeLauncher.Errors;
using TeeLauncher.Files;
using TeeLauncher.Values;

namespace TeeLauncher.Selection;

/// <summary>The NEAR MPC approved-hashes file: <c>{"approved_hashes": ["sha256:...", ...]}</c>, newest first (docs/spec.md §4).</summary>
public sealed class ApprovedHashes
{
    public const int MaxBytes = 1 << 20;

    /// <summary>The list is at depth 2; a field NEAR adds may nest a little deeper, far less than serde_json's 128.</summary>
    private const int MaxDepth = 32;

    private ApprovedHashes(string path, IReadOnlyList<ImageDigest> digests)
    {
        Path = path;
        Digests = digests;
    }

    public string Path { get; }

    public IReadOnlyList<ImageDigest> Digests { get; }

    public ImageDigest Newest => Digests[0];

    /// <summary>The 1-based position of <paramref name="digest"/> in the list, or null when it is not listed.</summary>
    public int? PositionOf(ImageDigest digest)
    {
        for (var i = 0; i < Digests.Count; i++)
            if (Digests[i] == digest)
                return i + 1;
        return null;
    }

    /// <summary>Reads the file; any malformation refuses the digest choice (exit 4), never a fallback.</summary>
    public static ApprovedHashes Load(string path)
    {
        byte[] bytes;
        try
        {
            bytes = InputFile.Read(path, MaxBytes);
        }
        catch (InputFileException e)
        {
            throw Refused(path, e.Reason);
        }
        return Parse(path, bytes);
    }

    public static ApprovedHashes Parse(string path, ReadOnlySpan<byte> json)
    {
        if (Utf8Text.FirstInvalid(json) is { } invalid)
            throw Refused(path, "is not valid UTF-8", invalid);
        var reader = new JsonCursor(json, MaxDepth);
        var digests = new List<ImageDigest>();
        try
        {
            Expect(json, ref reader, JsonTokenType.StartObject, path, "must be a JSON object {\"approved_hashes\": [...]}");
            var sawList = false;
            while (Next(ref reader, path) != JsonTokenType.EndObject)
            {
                // Fields NEAR may add are skipped, as NEAR's own reader does (serde without deny_unknown_fields): a
                // newer writer must not stop a boot (docs/spec.md §4).
                if (Text(path, json, reader) != "approved_hashes")
                {
                    Next(ref reader, path);
                    reader.Skip();
                    continue;
                }
                if (sawList)
                    throw Refused(path, "names \"approved_hashes\" twice", At(json, reader));
                sawList = true;
                Expect(json, ref reader, JsonTokenType.StartArray, path, "\"approved_hashes\" must be an array of digests");
                while (Next(ref reader, path) != JsonTokenType.EndArray)
                {
                    var text = reader.TokenType == JsonTokenType.String ? Text(path, json, reader) : null;
                    if (!ImageDigest.TryParse(text, out var digest))
                        throw Refused(path, $"entry {digests.Count + 1}: " +
                            (text is null ? "must be a string \"sha256:<64 hex>\"" : ImageDigest.WhyNotADigest(text)), At(json, reader));
                    digests.Add(digest);
                }
            }
            if (reader.Read())
                throw Refused(path, "has content after the JSON object", At(json, reader));
            if (!sawList)
                throw Refused(path, "has no \"approved_hashes\" field");
        }
        catch (JsonSyntaxException e)
        {
            throw Refused(path, "is not valid JSON", TextPosition.InUtf8(json, e.Offset));
        }

        if (digests.Count == 0)
            throw Refused(path, "lists no digest: \"approved_hashes\" needs at least one entry");
        return new ApprovedHashes(path, digests);
    }

    /// <summary>The token's string; an escape that is no character (a lone surrogate such as \ud800) is refused at its position.</summary>
    private static string Text(string path, ReadOnlySpan<byte> json, JsonCursor reader) =>
        reader.TryGetString(out var text) ? text : throw Refused(path, "has a string that is not valid Unicode", At(json, reader));

    private static JsonTokenType Next(ref JsonCursor reader, string path)
    {
        if (!reader.Read())
            throw Refused(path, "ends before the JSON object is complete");
        return reader.TokenType;
    }

    private static void Expect(ReadOnlySpan<byte> json, ref JsonCursor reader, JsonTokenType expected, string path, string message)
    {
        if (Next(ref reader, path) != expected)
            throw Refused(path, message, At(json, reader));
    }

    private static TextPosition At(ReadOnlySpan<byte> json, JsonCursor reader) => TextPosition.InUtf8(json, reader.Offset);

    private static DigestRefusedException Refused(string path, string problem, TextPosition? at = null) =>
        new($"{path}{(at is { } p ? $":{p}" : "")}: approved hashes file {problem}; " +
            "fix or replace the file (the launcher never falls back to the default digest)");
}
