using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using TeeLauncher.Errors;
using TeeLauncher.Files;
using TeeLauncher.Values;
using TeeLauncher.Events;

namespace TeeLauncher.Verification;

/// <summary>
/// One recorded event: index is 1-based in the order of the evidence. <see cref="Preimage"/> is the hex preimage
/// dstack adds to version-2 entries of GetQuote and tcb_info, when the evidence carries one.
/// </summary>
public sealed record EvidenceEntry(int Index, int Imr, uint EventType, string Event, byte[] Payload, byte[] RecordedDigest, int Version = 1, byte[]? Preimage = null)
{
    public bool IsRuntimeEvent => EventType == RuntimeEvent.EventType;

    public RuntimeEvent ToRuntimeEvent() => new(Event, Payload, Version);
}

/// <summary>
/// An event log as an auditor receives it, with the register value the evidence itself carries, if any. Its entries are
/// read again from the evidence's bytes at each enumeration, so that a log of any number of events takes memory for one
/// entry at a time (docs/spec.md §5.4); <see cref="Parse"/> has already read them once, so a reading never fails.
/// </summary>
public sealed class Evidence
{
    private readonly Func<IEnumerable<EvidenceEntry>> _entries;

    private readonly Scanned _scanned;

    private Evidence(string format, Scanned entries, byte[]? rtmr3, string? rtmr3Source) =>
        (Format, _entries, _scanned, Rtmr3, Rtmr3Source) = (format, entries.Read, entries, rtmr3, rtmr3Source);

    public string Format { get; }

    public byte[]? Rtmr3 { get; }

    public string? Rtmr3Source { get; }

    public int Count => _scanned.Count;

    /// <summary>The registers the entries name, in the order they first appear (at most 24: a larger index is refused).</summary>
    public IReadOnlyList<int> Registers => _scanned.Registers;

    /// <summary>How many entries name register <paramref name="imr"/>, and how many of those are runtime events.</summary>
    public (int Entries, int RuntimeEvents) CountOf(int imr) =>
        imr is >= 0 and < RegisterCount ? (_scanned.Entries[imr], _scanned.RuntimeEvents[imr]) : (0, 0);

    private const int RegisterCount = 24;

    public IEnumerable<EvidenceEntry> Entries => _entries();

    /// <summary>Entries read once through, which finds every problem in them, with what the evidence says of its registers.</summary>
    private sealed record Scanned(Func<IEnumerable<EvidenceEntry>> Read, int Count, IReadOnlyList<int> Registers, int[] Entries, int[] RuntimeEvents)
    {
        public static Scanned From(Func<IEnumerable<EvidenceEntry>> read)
        {
            var (count, registers, entries, runtimeEvents) = (0, new List<int>(), new int[RegisterCount], new int[RegisterCount]);
            foreach (var entry in read())
            {
                count++;
                if (entries[entry.Imr]++ == 0)
                    registers.Add(entry.Imr);
                if (entry.IsRuntimeEvent)
                    runtimeEvents[entry.Imr]++;
            }
            return new Scanned(read, count, registers, entries, runtimeEvents);
        }
    }

    public const string LauncherLog = "launcher event log (JSON lines)";
    public const string DstackRuntimeLog = "dstack runtime_events.log (JSON lines)";
    public const string EntryArray = "JSON array of event log entries";
    public const string TcbInfo = "tcb_info JSON";
    public const string GetQuote = "GetQuote response";

    /// <summary>RTMR3 is bytes 520..568 of a version-4 TDX quote: 48 bytes of header, then the TD report's RTMR3 at 472.</summary>
    private const int QuoteRtmr3Offset = 520;

    /// <summary>In a version-5 quote the TD report follows the header and a 6-byte body descriptor (type 2: TD 1.0, 3: TD 1.5).</summary>
    private const int QuoteV5Rtmr3Offset = 526;

    /// <summary>Far above any real event log or quote; a bound so that a device or a runaway file cannot exhaust memory.</summary>
    private const int MaxBytes = 16 << 20;

    private const int MaxDepth = 16;

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

    /// <summary>
    /// Reads the formats of docs/spec.md §5.4, recognised by content: JSON lines (the launcher's log, or dstack's
    /// runtime_events.log with base64 payloads), a JSON array of entries, a tcb_info document (<c>event_log</c>
    /// array and <c>rtmr3</c>) and a GetQuote response (<c>event_log</c> as a JSON string and <c>quote</c> as hex).
    /// Entries follow dstack's <c>TdxEvent</c> and <c>RuntimeEvent</c> (project Dstack-TEE/dstack,
    /// dstack/cc-eventlog/src/tdx.rs and runtime_events.rs). Any problem is an input error at its line and column.
    /// </summary>
    public static Evidence Parse(string path, ReadOnlyMemory<byte> bytes)
    {
        var text = new SourceText(path, bytes);
        text.RequireUtf8();
        var start = text.FirstNonBlank();
        if (start < 0)
            throw text.Problem(0, "the event log is empty");
        return bytes.Span[start] switch
        {
            (byte)'[' => new Evidence(EntryArray, Scanned.From(() => text.ArrayEntries(start, topLevel: true)), null, null),
            (byte)'{' when text.IsSingleDocument(start) && text.HasEventLog(start) => text.Document(start, (ref Utf8JsonReader reader, SourceText at) => at.TopObject(ref reader)),
            (byte)'{' => JsonLines(text),
            _ => throw text.Problem(start, "not JSON: expected JSON lines, a JSON array or a JSON object"),
        };
    }

    private static Evidence JsonLines(SourceText text)
    {
        var base64 = text.FirstLineIsBase64();
        return new Evidence(base64 ? DstackRuntimeLog : LauncherLog, Scanned.From(() => text.LineEntries(base64)), null, null);
    }

    private delegate T ReadValue<out T>(ref Utf8JsonReader reader, SourceText text);

    /// <summary>The fields of an entry that are read, in the order of <see cref="What.Field"/>; others are skipped.</summary>
    private static readonly byte[][] EntryFields =
        ["imr"u8.ToArray(), "event_type"u8.ToArray(), "event"u8.ToArray(), "digest"u8.ToArray(), "event_payload"u8.ToArray(),
         "payload"u8.ToArray(), "preimage"u8.ToArray(), "version"u8.ToArray()];

    /// <summary>What a value is, for a message: "event 3: \"imr\"", or a document-level name. Formatted only for a problem.</summary>
    private readonly record struct What(int Index, int Field = -1, string? Name = null)
    {
        public What(string name) : this(0, -1, name) { }

        public override string ToString() =>
            Name ?? $"event {Index}" + (Field < 0 ? "" : $": \"{Encoding.UTF8.GetString(EntryFields[Field])}\"");
    }

    /// <summary>JSON text with the file's name and the byte offset it starts at, so that every problem says where it is.</summary>
    private sealed class SourceText(string path, ReadOnlyMemory<byte> bytes, (int Line, int Column)? within = null)
    {
        private static readonly JsonReaderOptions Options = new() { MaxDepth = MaxDepth, CommentHandling = JsonCommentHandling.Disallow };

        /// <summary>Where the current reader's span starts, and where the first reader of its JSON value started.</summary>
        private int _base, _documentStart;

        public ConfigException Problem(long offset, string message)
        {
            var span = bytes.Span;
            var end = (int)Math.Clamp(offset, 0, span.Length);
            var line = 1 + span[..end].Count((byte)'\n');
            var lineStart = span[..end].LastIndexOf((byte)'\n') + 1;
            var column = 1 + Encoding.UTF8.GetCharCount(span[lineStart..end]);
            return new ConfigException(within is { } outer
                ? new InputProblem(path, outer.Line, outer.Column, $"in the JSON of this \"event_log\" string, at its line {line} column {column}: {message}")
                : new InputProblem(path, line, column, message));
        }

        public void RequireUtf8()
        {
            if (Utf8Text.FirstInvalidOffset(bytes.Span) is { } offset)
                throw Problem(offset, $"invalid UTF-8 (byte 0x{bytes.Span[offset]:x2}): evidence is JSON text");
        }

        public int FirstNonBlank()
        {
            var span = bytes.Span;
            var trimmed = span.TrimStart(" \t\r\n"u8);
            return trimmed.IsEmpty ? -1 : span.Length - trimmed.Length;
        }

        /// <summary>Whether the text from <paramref name="start"/> is one JSON value (else: JSON lines, one object a line).</summary>
        public bool IsSingleDocument(int start)
        {
            var reader = new Utf8JsonReader(bytes.Span[start..], Options);
            try
            {
                reader.Read();
                reader.Skip();
                return bytes.Span[(start + (int)reader.BytesConsumed)..].Trim(" \t\r\n"u8).IsEmpty;
            }
            catch (JsonException)
            {
                // A syntax error inside the first line's object is reported by the JSON-lines reader at that line.
                return bytes.Span[start..].IndexOf((byte)'\n') < 0;
            }
        }

        /// <summary>Whether the object at <paramref name="start"/> has a top-level <c>event_log</c> (else it is one log line).</summary>
        public bool HasEventLog(int start)
        {
            var reader = new Utf8JsonReader(bytes.Span[start..], Options);
            try
            {
                reader.Read();
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    if (reader.ValueTextEquals("event_log"u8))
                        return true;
                    reader.Read();
                    reader.Skip();
                }
            }
            catch (JsonException)
            {
            }
            return false;
        }

        public T Document<T>(int start, ReadValue<T> read) =>
            Guard(start, start, new Utf8JsonReader(bytes.Span[start..], Options), read);

        /// <summary>Whether the first line is a dstack runtime_events.log line (base64 "payload"); every line must be of its kind.</summary>
        public bool FirstLineIsBase64()
        {
            foreach (var (start, end) in Lines())
            {
                var base64 = false;
                Guard(start, start, new Utf8JsonReader(bytes.Span[start..end], Options), (ref Utf8JsonReader r, SourceText at) => at.Entry(ref r, 1, out base64));
                return base64;
            }
            return false;
        }

        public IEnumerable<EvidenceEntry> LineEntries(bool base64)
        {
            var index = 0;
            foreach (var (start, end) in Lines())
                yield return LineEntry(start, end, ++index, base64);
        }

        private EvidenceEntry LineEntry(int start, int end, int index, bool base64) =>
            Guard(start, start, new Utf8JsonReader(bytes.Span[start..end], Options), (ref Utf8JsonReader r, SourceText at) =>
            {
                var entry = at.Entry(ref r, index, out var isBase64);
                if (isBase64 != base64)
                    throw at.Problem(start, "this line mixes formats: dstack runtime_events.log lines (\"payload\" in base64) and event log entries (\"event_payload\" in hex)");
                // A second value on the line is a JSON error, reported at its position.
                r.Read();
                return entry;
            });

        /// <summary>The lines that are not blank, as (start, end) byte offsets.</summary>
        private IEnumerable<(int Start, int End)> Lines()
        {
            for (var lineStart = 0; lineStart < bytes.Length;)
            {
                var length = bytes.Span[lineStart..].IndexOf((byte)'\n');
                var lineEnd = length < 0 ? bytes.Length : lineStart + length;
                if (!bytes.Span[lineStart..lineEnd].Trim(" \t\r"u8).IsEmpty)
                    yield return (lineStart, lineEnd);
                lineStart = lineEnd + 1;
            }
        }

        /// <summary>
        /// The entries of the JSON array at <paramref name="arrayStart"/>, one at a time: each is read by a reader that
        /// resumes from where the previous one stopped (its state carries the depth and the line numbers).
        /// </summary>
        public IEnumerable<EvidenceEntry> ArrayEntries(int arrayStart, bool topLevel)
        {
            var (position, state) = (arrayStart, new JsonReaderState(Options));
            for (var index = 1; ; index++)
            {
                var (entry, consumed, next) = ArrayItem(arrayStart, position, state, index, topLevel);
                if (entry is null)
                    yield break;
                (position, state) = (position + consumed, next);
                yield return entry;
            }
        }

        private (EvidenceEntry? Entry, int Consumed, JsonReaderState State) ArrayItem(int arrayStart, int position, JsonReaderState state, int index, bool topLevel) =>
            Guard(arrayStart, position, new Utf8JsonReader(bytes.Span[position..], isFinalBlock: true, state), (ref Utf8JsonReader r, SourceText at) =>
            {
                if (index == 1)
                    at.Expect(ref r, JsonTokenType.StartArray, "the event log");
                if (at.Next(ref r) == JsonTokenType.EndArray)
                {
                    // Anything after a document's array is a JSON error, reported at its position.
                    if (topLevel)
                        r.Read();
                    return ((EvidenceEntry?)null, 0, default(JsonReaderState));
                }
                var entry = at.Entry(ref r, index, out _);
                return (entry, (int)r.BytesConsumed, r.CurrentState);
            });

        public Evidence TopObject(ref Utf8JsonReader reader)
        {
            Expect(ref reader, JsonTokenType.StartObject, "the document");
            Scanned? entries = null;
            string? format = null;
            byte[]? rtmr3 = null;
            byte[]? quote = null;
            var seen = new HashSet<string>();
            while (NextProperty(ref reader, "the document", seen) is { } name)
            {
                switch (name)
                {
                    case "event_log" when reader.TokenType == JsonTokenType.StartArray:
                        var arrayStart = (int)Offset(ref reader);
                        reader.Skip();
                        (entries, format) = (Scanned.From(() => ArrayEntries(arrayStart, topLevel: false)), TcbInfo);
                        break;
                    case "event_log" when reader.TokenType == JsonTokenType.String:
                        (entries, format) = (InnerEntries(ref reader), GetQuote);
                        break;
                    case "event_log":
                        throw Problem(Offset(ref reader), "\"event_log\" must be an array (tcb_info) or a JSON string holding one (GetQuote response)");
                    case "rtmr3":
                        rtmr3 = Hex(ref reader, new What("\"rtmr3\""), 48);
                        break;
                    case "quote":
                        quote = QuoteRtmr3(ref reader);
                        break;
                    default:
                        reader.Skip();
                        break;
                }
            }
            if (entries is null)
                throw Problem(0, "a JSON object here must be a tcb_info document or a GetQuote response, with an \"event_log\" field");
            var register = format == GetQuote ? quote : rtmr3;
            return new Evidence(format!, entries, register,
                register is null ? null : format == GetQuote ? "the quote's RTMR3" : "the document's rtmr3");
        }

        /// <summary>
        /// GetQuote's <c>event_log</c>: JSON text inside a JSON string, unescaped straight into UTF-8 and read with
        /// positions inside that text.
        /// </summary>
        private Scanned InnerEntries(ref Utf8JsonReader reader)
        {
            var at = LineAndColumn(Offset(ref reader));
            var inner = new byte[reader.HasValueSequence ? reader.ValueSequence.Length : reader.ValueSpan.Length];
            try
            {
                inner = inner[..reader.CopyString(inner)];
            }
            catch (InvalidOperationException)
            {
                throw Problem(Offset(ref reader), "\"event_log\" holds an escape that is no Unicode text (a lone surrogate)");
            }
            var text = new SourceText(path, inner, at);
            var start = text.FirstNonBlank();
            if (start < 0 || inner[start] != '[')
                throw text.Problem(Math.Max(start, 0), "\"event_log\" of a GetQuote response must hold a JSON array of entries");
            return Scanned.From(() => text.ArrayEntries(start, topLevel: true));
        }

        /// <summary>One entry; its field names are matched as UTF-8 and its messages made only for a problem, as logs can be long.</summary>
        private EvidenceEntry Entry(ref Utf8JsonReader reader, int index, out bool base64)
        {
            var what = new What(index);
            Expect(ref reader, JsonTokenType.StartObject, what.ToString());
            var entryStart = Offset(ref reader);
            (uint? imr, uint? type, string? name, byte[]? digest, int version) = (null, null, null, null, 1);
            (byte[]? hexPayload, byte[]? base64Payload, byte[]? preimage) = (null, null, null);
            var seen = 0;
            while (Next(ref reader) != JsonTokenType.EndObject)
            {
                var nameOffset = Offset(ref reader);
                var field = FieldIndex(ref reader);
                if (field >= 0 && (seen & (1 << field)) != 0)
                    throw Problem(nameOffset, $"{what} has the field \"{Encoding.UTF8.GetString(EntryFields[field])}\" twice");
                seen |= field >= 0 ? 1 << field : 0;
                Next(ref reader);
                var at = what with { Field = field };
                switch (field)
                {
                    case 0: imr = Number(ref reader, at); break;
                    case 1: type = Number(ref reader, at); break;
                    case 2: name = String(ref reader, at); break;
                    case 3: digest = Hex(ref reader, at, null); break;
                    case 4: hexPayload = Hex(ref reader, at, null); break;
                    case 5: base64Payload = Base64(ref reader, at); break;
                    case 6 when reader.TokenType != JsonTokenType.Null: preimage = Hex(ref reader, at, null); break;
                    case 7:
                        var offset = Offset(ref reader);
                        version = Number(ref reader, at) is var v && v is 1 or 2
                            ? (int)v
                            : throw Problem(offset, $"{at} must be 1 or 2, the runtime event digest versions");
                        break;
                    default: reader.Skip(); break;
                }
            }
            if (name is null)
                throw Problem(entryStart, $"{what} has no \"event\" name");
            if (hexPayload is not null && base64Payload is not null)
                throw Problem(entryStart, $"{what} has both \"event_payload\" (hex) and \"payload\" (base64)");
            if (imr is > 23)
                throw Problem(entryStart, $"{what with { Field = 0 }} {imr} is no register of a TDX guest or a TPM");
            base64 = base64Payload is not null;
            return new EvidenceEntry(index, (int)(imr ?? 3), type ?? RuntimeEvent.EventType, name, base64Payload ?? hexPayload ?? [], digest ?? [], version, preimage);
        }

        private static int FieldIndex(ref Utf8JsonReader reader)
        {
            for (var i = 0; i < EntryFields.Length; i++)
            {
                if (reader.ValueTextEquals(EntryFields[i]))
                    return i;
            }
            return -1;
        }

        private byte[] QuoteRtmr3(ref Utf8JsonReader reader)
        {
            var offset = Offset(ref reader);
            var quote = Hex(ref reader, new What("\"quote\""), null);
            if (quote.Length < QuoteRtmr3Offset + 48)
                throw Problem(offset, $"the quote is {quote.Length} bytes, too short for a TDX quote");
            var start = BinaryPrimitives.ReadUInt16LittleEndian(quote) switch
            {
                4 => QuoteRtmr3Offset,
                5 when BinaryPrimitives.ReadUInt16LittleEndian(quote.AsSpan(48)) is 2 or 3 && quote.Length >= QuoteV5Rtmr3Offset + 48 => QuoteV5Rtmr3Offset,
                var version => throw Problem(offset, $"the quote is version {version}{(version == 5 ? " without a TD report body" : "")}; RTMR3 is read from TDX quotes of version 4, or 5 with a TD 1.0 or 1.5 body"),
            };
            return quote[start..(start + 48)];
        }

        /// <summary>
        /// Reads with a reader over the bytes from <paramref name="position"/>; a JSON error is placed by the reader's line
        /// numbers, which count from <paramref name="documentStart"/>, where the first reader of this JSON value began.
        /// </summary>
        private T Guard<T>(int documentStart, int position, Utf8JsonReader reader, ReadValue<T> read)
        {
            var outer = (_documentStart, _base);
            (_documentStart, _base) = (documentStart, position);
            try
            {
                return read(ref reader, this);
            }
            catch (JsonException e)
            {
                throw Problem(ErrorOffset(ref reader, e), JsonMessage(e));
            }
            finally
            {
                // A tcb_info's entries are read through while the document's reader waits at its "event_log".
                (_documentStart, _base) = outer;
            }
        }

        private long ErrorOffset(ref Utf8JsonReader reader, JsonException e)
        {
            if (e.LineNumber is not { } lines || e.BytePositionInLine is not { } column)
                return Math.Min(_base + reader.BytesConsumed, bytes.Length);
            var span = bytes.Span;
            var offset = _documentStart;
            for (var line = 0L; line < lines && offset < span.Length; line++)
            {
                var next = span[offset..].IndexOf((byte)'\n');
                offset = next < 0 ? span.Length : offset + next + 1;
            }
            return Math.Min(offset + column, span.Length);
        }

        private static string JsonMessage(JsonException e)
        {
            var message = e.Message;
            var cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
            message = (cut > 0 ? message[..cut] : message).TrimEnd(' ', '.');
            return message.Contains("depth", StringComparison.OrdinalIgnoreCase)
                ? $"nested deeper than {MaxDepth} levels: no event log is"
                : $"not valid JSON: {message}";
        }

        private (int Line, int Column) LineAndColumn(long offset)
        {
            var problem = Problem(offset, "").Problems[0];
            return (problem.Line, problem.Column);
        }

        private long Offset(ref Utf8JsonReader reader) => _base + reader.TokenStartIndex;

        private JsonTokenType Next(ref Utf8JsonReader reader)
        {
            if (!reader.Read())
                throw Problem(_base + reader.BytesConsumed, "the JSON ends early");
            return reader.TokenType;
        }

        private void Expect(ref Utf8JsonReader reader, JsonTokenType type, string what)
        {
            if (reader.TokenType == JsonTokenType.None)
                Next(ref reader);
            if (reader.TokenType != type)
                throw Problem(Offset(ref reader), $"{what} must be a JSON {(type == JsonTokenType.StartArray ? "array" : "object")}, found {Describe(reader.TokenType)}");
        }

        /// <summary>The next property's name, with the reader on its value; null at the end of the object.</summary>
        private string? NextProperty(ref Utf8JsonReader reader, string what, HashSet<string> seen)
        {
            if (Next(ref reader) == JsonTokenType.EndObject)
                return null;
            var offset = Offset(ref reader);
            var name = String(ref reader, new What($"a field name of {what}"));
            if (!seen.Add(name))
                throw Problem(offset, $"{what} has the field \"{name}\" twice");
            Next(ref reader);
            return name;
        }

        private string String(ref Utf8JsonReader reader, What what)
        {
            if (reader.TokenType is not (JsonTokenType.String or JsonTokenType.PropertyName))
                throw Problem(Offset(ref reader), $"{what} must be a string, found {Describe(reader.TokenType)}");
            try
            {
                return reader.GetString()!;
            }
            catch (InvalidOperationException)
            {
                throw Problem(Offset(ref reader), $"{what} holds an escape that is no Unicode text (a lone surrogate)");
            }
        }

        private uint Number(ref Utf8JsonReader reader, What what)
        {
            if (reader.TokenType != JsonTokenType.Number)
                throw Problem(Offset(ref reader), $"{what} must be a number, found {Describe(reader.TokenType)}");
            return reader.TryGetUInt32(out var value)
                ? value
                : throw Problem(Offset(ref reader), $"{what} must be a whole number from 0 to 4294967295");
        }

        private byte[] Hex(ref Utf8JsonReader reader, What what, int? length)
        {
            var offset = Offset(ref reader);
            var text = Values.Hex.WithoutPrefix(String(ref reader, what));
            byte[] value;
            try
            {
                value = Convert.FromHexString(text);
            }
            catch (FormatException)
            {
                throw Problem(offset, $"{what} is not hex");
            }
            if (length is { } expected && value.Length != expected)
                throw Problem(offset, $"{what} must be {expected} bytes ({expected * 2} hex digits), found {value.Length}");
            return value;
        }

        /// <summary>Standard base64 with padding, as dstack's serde writes it; any other spelling is refused.</summary>
        private byte[] Base64(ref Utf8JsonReader reader, What what)
        {
            var offset = Offset(ref reader);
            var text = String(ref reader, what);
            var buffer = new byte[text.Length * 3 / 4 + 3];
            if (!Convert.TryFromBase64String(text, buffer, out var written) || Convert.ToBase64String(buffer, 0, written) != text)
                throw Problem(offset, $"{what} is not standard base64 (dstack's runtime_events.log encodes payloads so)");
            return buffer[..written];
        }

        private static string Describe(JsonTokenType type) => type switch
        {
            JsonTokenType.StartObject => "an object",
            JsonTokenType.StartArray => "an array",
            JsonTokenType.String => "a string",
            JsonTokenType.Number => "a number",
            JsonTokenType.True or JsonTokenType.False => "a boolean",
            JsonTokenType.Null => "null",
            _ => "the end",
        };
    }
}
