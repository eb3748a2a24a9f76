using System.Text;
using System.Text.Json;
using TeeLauncher.Errors;
using TeeLauncher.Files;
using TeeLauncher.Measurement;
using TeeLauncher.Selection;
using TeeLauncher.Values;
using TeeLauncher.Verification;

namespace TeeLauncher.Cli;

public sealed class VerifyCommand : Command
{
    public override string Name => "verify";

    public override string Purpose => "verify a TDX quote offline (--quote) and replay an event log against its RTMR3 or a PCR, the approved list and the compose file";

    public override string Example =>
        "tee-launcher verify --event-log tcb_info.json --event-name mpc-image-digest --approved-hashes image-digest.json";

    public override IReadOnlyList<CommandOption> Options { get; } =
    [
        CommandOption.Value("event-log", "FILE", "launcher log, dstack runtime_events.log, a JSON array of entries, tcb_info JSON or GetQuote response"),
        CommandOption.Value("rtmr3", "HEX", "expected RTMR3 (48 bytes); default: the document's rtmr3 or the quote's"),
        CommandOption.Value("pcr", "HEX", "expected PCR value of a tpm log: 64 hex digits (sha256 bank) or 96 (sha384)"),
        CommandOption.Value("pcr-index", "N", "the PCR whose entries are replayed (default: the only one the log names)"),
        CommandOption.Value("base", "HEX", "register value before the first event (default zero)"),
        CommandOption.Value("approved-hashes", "FILE", "say whether and where the image digest is listed"),
        CommandOption.Value("compose", "FILE", "check the compose event against this rendered compose file"),
        CommandOption.Value("quote", "FILE", "verify this TDX quote (raw, hex or GetQuote response) and replay against its RTMR3"),
        CommandOption.Value("collateral", "FILE", "the quote's collateral (dcap-qvl JSON: TCB info, QE identity, CRLs)"),
        CommandOption.Value("at", "RFC3339", "time of the quote check (default now)"),
        CommandOption.Value("report-data", "HEX", "expected report_data of the quote (up to 64 bytes, zero-padded)"),
        CommandOption.EventName,
        CommandOption.Json,
    ];

    public override async Task<ExitCode> ExecuteAsync(CommandArguments arguments, CommandConsole console, CancellationToken cancellationToken)
    {
        if (arguments.Has("quote"))
            return await QuoteCheck.ExecuteAsync(arguments, console);
        if (arguments.Has("collateral") || arguments.Has("at") || arguments.Has("report-data"))
            throw new UsageException("--collateral, --at and --report-data check a quote: give --quote too");
        var evidence = Evidence.Read(arguments.Required("event-log"));
        var report = EvidenceVerifier.Verify(evidence, Request(arguments, evidence));
        if (arguments.Json)
        {
            await using var stream = new TextWriterStream(console.Out);
            await JsonSerializer.SerializeAsync(stream, report, CliJsonContext.Default.VerifyReport, cancellationToken);
            await console.Out.WriteLineAsync();
        }
        else
        {
            await DescribeAsync(report, console.Out);
        }
        if (report.Verified)
            return ExitCode.Success;
        await console.Error.WriteLineAsync($"tee-launcher: NOT verified: {SafeText.Escape(report.Failures[0])}");
        return ExitCode.NotVerified;
    }

    internal static VerifyRequest Request(CommandArguments arguments, Evidence evidence)
    {
        if (arguments.Has("rtmr3") && arguments.Has("pcr"))
            throw new UsageException("give --rtmr3 or --pcr, not both");
        var register = RegisterKind.Rtmr3;
        byte[]? expected = evidence.Rtmr3;
        var source = evidence.Rtmr3Source;
        if (arguments.Value("rtmr3") is { } rtmr3)
        {
            (expected, source) = (HexArgument.Parse("rtmr3", rtmr3, 48), "--rtmr3");
        }
        else if (arguments.Value("pcr") is { } pcr)
        {
            expected = HexArgument.Parse("pcr", pcr, 32, 48);
            (register, source) = (expected.Length == 32 ? RegisterKind.PcrSha256 : RegisterKind.PcrSha384, "--pcr");
        }
        int? pcrIndex = arguments.Value("pcr-index") is { } index
            ? int.TryParse(index, out var n) && n is >= 0 and <= 23 ? n : throw new UsageException($"--pcr-index '{index}' is not a PCR index from 0 to 23")
            : null;
        return new VerifyRequest(
            arguments.Value(CommandOption.EventName.Name) ?? EventNames.DefaultImage,
            register,
            expected,
            source,
            arguments.Value("base") is { } start ? HexArgument.Parse("base", start, 32, 48) : null,
            pcrIndex,
            arguments.Value("approved-hashes") is { } approved ? ApprovedHashes.Load(approved) : null,
            arguments.Value("compose") is { } compose ? InputFile.ReadInput(compose, "compose file", RenderedComposeMaxBytes) : null);
    }

    /// <summary>The report as text, every evidence-held word escaped; the events are written in chunks as they are replayed.</summary>
    internal static async Task DescribeAsync(VerifyReport report, TextWriter output, bool sayWhatIsNotChecked = true)
    {
        var text = new StringBuilder();
        text.AppendLine($"evidence:  {report.Format}, {report.EventCount} events replayed into {report.Register}");
        foreach (var e in report.Events)
        {
            text.AppendLine($"  {e.Index,4}  {SafeText.Escape(e.Name),-28} {e.Digest}{(e.Recomputed ? e.Version == EventVersion.V1 ? "" : $"  (version {e.Version})" : "  (recorded, not a runtime event)")}");
            if (text.Length > ChunkChars)
            {
                await output.WriteAsync(text);
                text.Clear();
            }
        }
        text.AppendLine($"replay:    {report.Replay}");
        text.AppendLine($"expected:  {report.Expected ?? "-"}{(report.ExpectedSource is null ? "" : $" ({report.ExpectedSource})")}");
        text.AppendLine($"image:     {report.ImageDigest ?? "-"}");
        if (report.ApprovedPosition is { } position)
            text.AppendLine($"approved:  position {position} of the approved list");
        if (report.ComposeMatches is { } compose)
            text.AppendLine($"compose:   {(compose ? "matches the compose event" : "does not match")}");
        foreach (var failure in report.Failures)
            text.AppendLine($"FAILED:    {SafeText.Escape(failure)}");
        text.AppendLine(report.Verified ? "verified" : "NOT verified");
        if (sayWhatIsNotChecked)
            text.AppendLine(report.NotChecked);
        await output.WriteAsync(text);
    }

    private const int ChunkChars = 1 << 16;
}
