using TeeLauncher.Errors;
using TeeLauncher.Files;
using TeeLauncher.Values;
using TeeLauncher.Events;

namespace TeeLauncher.Verification;

/// <summary>
/// One recorded event: index is 1-based in the order of the evidence. <see cref="Preimage"/> is the hex preimage
/// dstack adds to version-2 entries of GetQuote and tcb_info, when the evidence carries one.
/// </summary>
public sealed record EvidenceEntry(int Index, int Imr, uint EventType, string Event, byte[] Payload, byte[] RecordedDigest, EventVersion Version = default, byte[]? Preimage = null)
{
    public bool IsRuntimeEvent => EventType == RuntimeEvent.EventType;

    public RuntimeEvent ToRuntimeEvent() => new(Event, Payload, Version);
}

/// <summary>
/// An event log as an auditor receives it, with the register value the evidence itself carries, if any. Its entries are
/// read again from the evidence's bytes at each enumeration, so that a log of any number of events takes memory for one
/// entry at a time (docs/spec.md §5.4); <see cref="Parse"/> has already read them once, so a reading never fails.
/// </summary>
public sealed partial class Evidence
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
            (byte)'{' when text.IsSingleDocument(start) && text.HasEventLog(start) => text.Document(start),
            (byte)'{' => JsonLines(text),
            _ => throw text.Problem(start, "not JSON: expected JSON lines, a JSON array or a JSON object"),
        };
    }

    private static Evidence JsonLines(SourceText text)
    {
        var base64 = text.FirstLineIsBase64();
        return new Evidence(base64 ? DstackRuntimeLog : LauncherLog, Scanned.From(() => text.LineEntries(base64)), null, null);
    }
}
