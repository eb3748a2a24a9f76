using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using TeeLauncher.Errors;
using TeeLauncher.Events;
using TeeLauncher.Files;
using TeeLauncher.Values;

namespace TeeLauncher.Verification;

public sealed partial class Evidence
{
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

    /// <summary>
    /// The evidence's JSON text, read with the launcher's one JSON reader (<see cref="JsonCursor"/>), with the file's name
    /// so that every problem says where it is; <paramref name="within"/> is the position of the JSON string that holds
    /// this text, for GetQuote's <c>event_log</c>.
    /// </summary>
    private sealed class SourceText(string path, ReadOnlyMemory<byte> bytes, (int Line, int Column)? within = null)
    {
        public ConfigException Problem(long offset, string message)
        {
            var (line, column) = TextPosition.InUtf8(bytes.Span, offset);
            return new ConfigException(within is { } outer
                ? new InputProblem(path, outer.Line, outer.Column, $"in the JSON of this \"event_log\" string, at its line {line} column {column}: {message}")
                : new InputProblem(path, line, column, message));
        }

        private ConfigException Problem(JsonSyntaxException e) =>
            Problem(e.Offset, e.TooDeep ? $"nested deeper than {MaxDepth} levels: no event log is" : $"not valid JSON: {e.Message}");

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
            var reader = new JsonCursor(bytes.Span, MaxDepth, start);
            try
            {
                reader.Read();
                reader.Skip();
                return bytes.Span[reader.End..].Trim(" \t\r\n"u8).IsEmpty;
            }
            catch (JsonSyntaxException)
            {
                // A syntax error inside the first line's object is reported by the JSON-lines reader at that line.
                return bytes.Span[start..].IndexOf((byte)'\n') < 0;
            }
        }

        /// <summary>Whether the object at <paramref name="start"/> has a top-level <c>event_log</c> (else it is one log line).</summary>
        public bool HasEventLog(int start)
        {
            var reader = new JsonCursor(bytes.Span, MaxDepth, start);
            try
            {
                reader.Read();
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    if (reader.ValueIs("event_log"u8))
                        return true;
                    reader.Read();
                    reader.Skip();
                }
            }
            catch (JsonSyntaxException)
            {
            }
            return false;
        }

        /// <summary>A tcb_info document or a GetQuote response at <paramref name="start"/>.</summary>
        public Evidence Document(int start)
        {
            var reader = new JsonCursor(bytes.Span, MaxDepth, start);
            try
            {
                return TopObject(ref reader);
            }
            catch (JsonSyntaxException e)
            {
                throw Problem(e);
            }
        }

        /// <summary>Whether the first line is a dstack runtime_events.log line (base64 "payload"); every line must be of its kind.</summary>
        public bool FirstLineIsBase64()
        {
            foreach (var (start, end) in Lines())
            {
                var reader = new JsonCursor(bytes.Span, MaxDepth, start, end);
                try
                {
                    Entry(ref reader, 1, out var base64);
                    return base64;
                }
                catch (JsonSyntaxException e)
                {
                    throw Problem(e);
                }
            }
            return false;
        }

        public IEnumerable<EvidenceEntry> LineEntries(bool base64)
        {
            var index = 0;
            foreach (var (start, end) in Lines())
                yield return LineEntry(start, end, ++index, base64);
        }

        private EvidenceEntry LineEntry(int start, int end, int index, bool base64)
        {
            var reader = new JsonCursor(bytes.Span, MaxDepth, start, end);
            try
            {
                var entry = Entry(ref reader, index, out var isBase64);
                if (isBase64 != base64)
                    throw Problem(start, "this line mixes formats: dstack runtime_events.log lines (\"payload\" in base64) and event log entries (\"event_payload\" in hex)");
                // A second value on the line is a JSON error, reported at its position.
                reader.Read();
                return entry;
            }
            catch (JsonSyntaxException e)
            {
                throw Problem(e);
            }
        }

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
            var (position, state) = (arrayStart, new JsonReaderState(JsonCursor.Options(MaxDepth)));
            for (var index = 1; ; index++)
            {
                var (entry, end, next) = ArrayItem(arrayStart, position, state, index, topLevel);
                if (entry is null)
                    yield break;
                (position, state) = (end, next);
                yield return entry;
            }
        }

        private (EvidenceEntry? Entry, int End, JsonReaderState State) ArrayItem(int arrayStart, int position, JsonReaderState state, int index, bool topLevel)
        {
            var reader = new JsonCursor(bytes.Span, arrayStart, position, state);
            try
            {
                if (index == 1)
                    Expect(ref reader, JsonTokenType.StartArray, new What("the event log"));
                if (Next(ref reader) == JsonTokenType.EndArray)
                {
                    // Anything after a document's array is a JSON error, reported at its position.
                    if (topLevel)
                        reader.Read();
                    return (null, 0, default);
                }
                var entry = Entry(ref reader, index, out _);
                return (entry, reader.End, reader.State);
            }
            catch (JsonSyntaxException e)
            {
                throw Problem(e);
            }
        }

        private Evidence TopObject(ref JsonCursor reader)
        {
            Expect(ref reader, JsonTokenType.StartObject, new What("the document"));
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
                        var arrayStart = reader.Offset;
                        reader.Skip();
                        (entries, format) = (Scanned.From(() => ArrayEntries(arrayStart, topLevel: false)), TcbInfo);
                        break;
                    case "event_log" when reader.TokenType == JsonTokenType.String:
                        (entries, format) = (InnerEntries(ref reader), GetQuote);
                        break;
                    case "event_log":
                        throw Problem(reader.Offset, "\"event_log\" must be an array (tcb_info) or a JSON string holding one (GetQuote response)");
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
        private Scanned InnerEntries(ref JsonCursor reader)
        {
            var inner = new byte[reader.ValueLength];
            if (!reader.TryCopyString(inner, out var written))
                throw Problem(reader.Offset, "\"event_log\" holds an escape that is no Unicode text (a lone surrogate)");
            var at = TextPosition.InUtf8(bytes.Span, reader.Offset);
            var text = new SourceText(path, inner.AsMemory(0, written), (at.Line, at.Column));
            var start = text.FirstNonBlank();
            if (start < 0 || inner[start] != '[')
                throw text.Problem(Math.Max(start, 0), "\"event_log\" of a GetQuote response must hold a JSON array of entries");
            return Scanned.From(() => text.ArrayEntries(start, topLevel: true));
        }

        /// <summary>One entry; its field names are matched as UTF-8 and its messages made only for a problem, as logs can be long.</summary>
        private EvidenceEntry Entry(ref JsonCursor reader, int index, out bool base64)
        {
            var what = new What(index);
            Expect(ref reader, JsonTokenType.StartObject, what);
            var entryStart = reader.Offset;
            (uint? imr, uint? type, string? name, byte[]? digest, EventVersion version) = (null, null, null, null, EventVersion.V1);
            (byte[]? hexPayload, byte[]? base64Payload, byte[]? preimage) = (null, null, null);
            var seen = 0;
            while (Next(ref reader) != JsonTokenType.EndObject)
            {
                var nameOffset = reader.Offset;
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
                        if (!EventVersion.TryFrom(Number(ref reader, at), out version))
                            throw Problem(reader.Offset, $"{at} must be {EventVersion.Choices}, the runtime event digest versions");
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

        private static int FieldIndex(ref JsonCursor reader)
        {
            for (var i = 0; i < EntryFields.Length; i++)
            {
                if (reader.ValueIs(EntryFields[i]))
                    return i;
            }
            return -1;
        }

        private byte[] QuoteRtmr3(ref JsonCursor reader)
        {
            var offset = reader.Offset;
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

        private JsonTokenType Next(ref JsonCursor reader)
        {
            if (!reader.Read())
                throw Problem(reader.End, "the JSON ends early");
            return reader.TokenType;
        }

        private void Expect(ref JsonCursor reader, JsonTokenType type, What what)
        {
            if (reader.TokenType == JsonTokenType.None)
                Next(ref reader);
            if (reader.TokenType != type)
                throw Problem(reader.Offset, $"{what} must be a JSON {(type == JsonTokenType.StartArray ? "array" : "object")}, found {Describe(reader.TokenType)}");
        }

        /// <summary>The next property's name, with the reader on its value; null at the end of the object.</summary>
        private string? NextProperty(ref JsonCursor reader, string what, HashSet<string> seen)
        {
            if (Next(ref reader) == JsonTokenType.EndObject)
                return null;
            var offset = reader.Offset;
            var name = String(ref reader, new What($"a field name of {what}"));
            if (!seen.Add(name))
                throw Problem(offset, $"{what} has the field \"{name}\" twice");
            Next(ref reader);
            return name;
        }

        private string String(ref JsonCursor reader, What what)
        {
            if (reader.TokenType is not (JsonTokenType.String or JsonTokenType.PropertyName))
                throw Problem(reader.Offset, $"{what} must be a string, found {Describe(reader.TokenType)}");
            return reader.TryGetString(out var value)
                ? value
                : throw Problem(reader.Offset, $"{what} holds an escape that is no Unicode text (a lone surrogate)");
        }

        private uint Number(ref JsonCursor reader, What what)
        {
            if (reader.TokenType != JsonTokenType.Number)
                throw Problem(reader.Offset, $"{what} must be a number, found {Describe(reader.TokenType)}");
            return reader.TryGetUInt32(out var value)
                ? value
                : throw Problem(reader.Offset, $"{what} must be a whole number from 0 to 4294967295");
        }

        private byte[] Hex(ref JsonCursor reader, What what, int? length)
        {
            var offset = reader.Offset;
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
        private byte[] Base64(ref JsonCursor reader, What what)
        {
            var offset = reader.Offset;
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
