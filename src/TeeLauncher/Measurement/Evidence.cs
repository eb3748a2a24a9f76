using System.Buffers.Binary;
using System.Text.Json;
using TeeLauncher.Errors;
using TeeLauncher.Files;

namespace TeeLauncher.Measurement;

/// <summary>One recorded event: index is 1-based in the order of the evidence.</summary>
public sealed record EvidenceEntry(int Index, int Imr, uint EventType, string Event, byte[] Payload, string RecordedDigest)
{
    public bool IsRuntimeEvent => EventType == RuntimeEvent.EventType;

    public RuntimeEvent ToRuntimeEvent() => new(Event, Payload);
}

/// <summary>An event log as an auditor receives it, with the register value the evidence itself carries, if any.</summary>
public sealed record Evidence(string Format, IReadOnlyList<EvidenceEntry> Entries, byte[]? Rtmr3, string? Rtmr3Source)
{
    /// <summary>RTMR3 is bytes 520..568 of a version-4 TDX quote: 48 bytes of header, then the TD report's RTMR3 at 472.</summary>
    private const int QuoteRtmr3Offset = 520;

    /// <summary>Far above any real event log or quote; a bound so that a device or a runaway file cannot exhaust memory.</summary>
    private const int MaxBytes = 16 << 20;

    /// <summary>
    /// Reads the four formats of SPEC 5.4: the launcher's JSON lines, dstack's runtime_events.log (JSON lines),
    /// a tcb_info document (<c>event_log</c> array and <c>rtmr3</c>) and a GetQuote response (<c>event_log</c> as a
    /// JSON string and <c>quote</c> as hex).
    /// </summary>
    public static Evidence Read(string path)
    {
        byte[] bytes;
        try
        {
            bytes = InputFile.Read(path, MaxBytes);
        }
        catch (InputFileException e)
        {
            throw new ConfigException(InputProblem.InFile(path, $"event log {e.Reason}"));
        }
        return Parse(path, bytes);
    }

    public static Evidence Parse(string path, ReadOnlyMemory<byte> bytes)
    {
        var reader = new EvidenceReader(path);
        if (Files.Utf8Text.FirstInvalid(bytes.Span) is { } invalid)
            throw new ConfigException(new InputProblem(path, invalid.Line, invalid.Column, "the event log is not valid UTF-8"));
        var text = bytes.Span.TrimStart(" \t\r\n"u8);
        if (text.IsEmpty)
            throw reader.Problem(0, "the event log is empty");
        if (text[0] == '{' && reader.TryDocument(bytes) is { } document)
            return document;
        return reader.JsonLines(bytes);
    }

    private sealed class EvidenceReader(string path)
    {
        public ConfigException Problem(int line, string message) =>
            new(new InputProblem(path, line, line > 0 ? 1 : 0, message));

        /// <summary>A single JSON document with an <c>event_log</c> field, or null when the file is JSON lines.</summary>
        public Evidence? TryDocument(ReadOnlyMemory<byte> bytes)
        {
            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(bytes);
            }
            catch (JsonException)
            {
                return null;
            }
            using (document)
            {
                var root = document.RootElement;
                if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("event_log", out var log))
                    return null;
                if (log.ValueKind == JsonValueKind.Array)
                {
                    var rtmr3 = root.TryGetProperty("rtmr3", out var r) && r.ValueKind == JsonValueKind.String
                        ? Hex(r.GetString()!, 48, "rtmr3", 0)
                        : null;
                    return new Evidence("tcb_info JSON", Entries(log), rtmr3, rtmr3 is null ? null : "the document's rtmr3");
                }
                if (log.ValueKind == JsonValueKind.String)
                {
                    using var inner = ParseInner(log.GetString()!);
                    if (inner.RootElement.ValueKind != JsonValueKind.Array)
                        throw Problem(0, "event_log of the GetQuote response must be a JSON array encoded as a string");
                    var quote = root.TryGetProperty("quote", out var q) && q.ValueKind == JsonValueKind.String
                        ? QuoteRtmr3(q.GetString()!)
                        : null;
                    return new Evidence("GetQuote response", Entries(inner.RootElement), quote, quote is null ? null : "the quote's RTMR3");
                }
                throw Problem(0, "event_log must be an array (tcb_info) or a JSON string (GetQuote response)");
            }
        }

        public Evidence JsonLines(ReadOnlyMemory<byte> bytes)
        {
            var entries = new List<EvidenceEntry>();
            var lineNumber = 0;
            var withDigest = true;
            foreach (var range in bytes.Span.Split((byte)'\n'))
            {
                lineNumber++;
                var line = bytes[range];
                if (line.Span.Trim(" \t\r"u8).IsEmpty)
                    continue;
                try
                {
                    using var entry = JsonDocument.Parse(line);
                    entries.Add(Entry(entry.RootElement, entries.Count + 1, lineNumber));
                    withDigest &= entry.RootElement.TryGetProperty("digest", out _);
                }
                catch (JsonException e)
                {
                    throw Problem(lineNumber, $"not a JSON event entry: {e.Message}");
                }
            }
            if (entries.Count == 0)
                throw Problem(0, "the event log has no entries");
            return new Evidence(withDigest ? "event log (JSON lines)" : "dstack runtime_events.log", entries, null, null);
        }

        private JsonDocument ParseInner(string json)
        {
            try
            {
                return JsonDocument.Parse(json);
            }
            catch (JsonException e)
            {
                throw Problem(0, $"event_log of the GetQuote response is not valid JSON: {e.Message}");
            }
        }

        private List<EvidenceEntry> Entries(JsonElement array)
        {
            var entries = new List<EvidenceEntry>();
            foreach (var item in array.EnumerateArray())
                entries.Add(Entry(item, entries.Count + 1, 0));
            return entries;
        }

        private EvidenceEntry Entry(JsonElement item, int index, int line)
        {
            if (item.ValueKind != JsonValueKind.Object)
                throw Problem(line, $"event {index} is not a JSON object");
            var name = String(item, "event", index, line) ?? throw Problem(line, $"event {index} has no \"event\" name");
            var payload = String(item, "event_payload", index, line) ?? String(item, "payload", index, line) ?? "";
            var digest = String(item, "digest", index, line) ?? "";
            var imr = item.TryGetProperty("imr", out var i) && i.TryGetInt32(out var imrValue) ? imrValue : 3;
            var type = item.TryGetProperty("event_type", out var t) && t.TryGetUInt32(out var typeValue) ? typeValue : RuntimeEvent.EventType;
            return new EvidenceEntry(index, imr, type, name, Hex(payload, null, $"event {index} payload", line), digest.ToLowerInvariant());
        }

        private string? String(JsonElement item, string field, int index, int line)
        {
            if (!item.TryGetProperty(field, out var value))
                return null;
            return value.ValueKind == JsonValueKind.String
                ? value.GetString()
                : throw Problem(line, $"event {index}: \"{field}\" must be a string");
        }

        private byte[] Hex(string hex, int? length, string what, int line)
        {
            if (!TeeLauncher.Hex.TryDecode(TeeLauncher.Hex.WithoutPrefix(hex), out var bytes))
                throw Problem(line, $"{what} is not hex");
            if (length is { } expected && bytes.Length != expected)
                throw Problem(line, $"{what} must be {expected} bytes ({expected * 2} hex digits), found {bytes.Length}");
            return bytes;
        }

        private byte[] QuoteRtmr3(string hex)
        {
            var quote = Hex(hex, null, "quote", 0);
            if (quote.Length < QuoteRtmr3Offset + 48)
                throw Problem(0, $"the quote is {quote.Length} bytes, too short for a TDX quote");
            var version = BinaryPrimitives.ReadUInt16LittleEndian(quote);
            if (version != 4)
                throw Problem(0, $"the quote is version {version}; RTMR3 is read from version-4 TDX quotes");
            return quote[QuoteRtmr3Offset..(QuoteRtmr3Offset + 48)];
        }
    }
}
