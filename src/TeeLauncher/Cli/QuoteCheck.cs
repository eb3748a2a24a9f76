using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using TeeLauncher.Errors;
using TeeLauncher.Measurement;
using TeeLauncher.Values;
using TeeLauncher.Verification;

namespace TeeLauncher.Cli;

/// <summary>The verified quote's fields under <c>quote</c> in <c>verify --json</c>; hex is lower case.</summary>
public sealed record QuoteFields(
    string Format,
    int Version,
    string Body,
    string TcbStatus,
    IReadOnlyList<string> AdvisoryIds,
    string PlatformTcbStatus,
    string QeTcbStatus,
    string Fmspc,
    string CheckedAt,
    string CollateralNextUpdate,
    string RootCaSha256,
    string MrTd,
    string Rtmr0,
    string Rtmr1,
    string Rtmr2,
    string Rtmr3,
    string TdAttributes,
    string Xfam,
    string MrConfigId,
    string MrOwner,
    string MrOwnerConfig,
    string MrSeam,
    string MrSignerSeam,
    string TeeTcbSvn,
    string ReportData,
    bool? ReportDataMatches);

/// <summary><c>verify --quote</c>: the verdict first, then the quote (when it verified) and the event-log replay against its RTMR3.</summary>
public sealed record QuoteVerifyReport(bool Verified, string Verdict, string? Failure, QuoteFields? Quote, VerifyReport? EventLog);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true)]
[JsonSerializable(typeof(QuoteVerifyReport))]
internal sealed partial class QuoteJsonContext : JsonSerializerContext;

/// <summary>
/// <c>verify --quote FILE --collateral FILE</c> (docs/spec.md §5.5): the quote verified offline up to the built-in Intel
/// root, its RTMR3 the register the event log is replayed against, and exit 0 only when both verify and the TCB is
/// UpToDate; 10 when they verify on a platform whose TCB is not; 1 for any failure.
/// </summary>
internal static partial class QuoteCheck
{
    public static async Task<ExitCode> ExecuteAsync(CommandArguments arguments, CommandConsole console)
    {
        if (arguments.Has("rtmr3") || arguments.Has("pcr") || arguments.Has("base"))
            throw new UsageException("with --quote, RTMR3 is the verified quote's: give no --rtmr3, --pcr or --base");
        var quotePath = arguments.Required("quote");
        var input = QuoteInput.Read(quotePath);
        var collateral = Collateral.Read(arguments.Required("collateral"));
        var at = arguments.Value("at") is { } atText ? ParseAt(atText) : DateTimeOffset.UtcNow;
        var expectedReportData = arguments.Value("report-data") is { } reportText ? ParseReportData(reportText) : null;
        var eventLogPath = arguments.Value("event-log") ?? (input.HasEventLog ? quotePath : null);

        VerifiedQuote? verified = null;
        string? failure = null;
        try
        {
            verified = QuoteVerifier.Verify(input.Quote, collateral, at);
        }
        catch (QuoteVerificationException e)
        {
            failure = e.Message;
        }

        bool? reportDataMatches = null;
        VerifyReport? events = null;
        if (verified is not null)
        {
            var report = verified.Quote.Report;
            if (expectedReportData is not null)
            {
                reportDataMatches = expectedReportData.AsSpan().SequenceEqual(report.ReportData);
                if (reportDataMatches == false)
                    failure = $"the quote's report_data {Convert.ToHexStringLower(report.ReportData)} is not --report-data {Convert.ToHexStringLower(expectedReportData)}";
            }
            if (eventLogPath is not null)
            {
                var evidence = Evidence.Read(eventLogPath);
                events = EvidenceVerifier.Verify(evidence, VerifyCommand.Request(arguments, evidence) with
                {
                    Expected = report.Rtmrs[3],
                    ExpectedSource = "the verified quote's RTMR3",
                });
                if (!events.Verified)
                    failure ??= $"event log: {events.Failures[0]}";
            }
        }

        var upToDate = verified?.Tcb.Status == TcbStatus.UpToDate;
        var code = failure is not null ? ExitCode.NotVerified : upToDate ? ExitCode.Success : ExitCode.TcbNotUpToDate;
        var verdict = Verdict(code, verified, events, failure);
        var result = new QuoteVerifyReport(failure is null, verdict, failure,
            verified is null ? null : Fields(input, verified, reportDataMatches), events);
        if (arguments.Json)
            await console.Out.WriteAsync(JsonSerializer.Serialize(result, QuoteJsonContext.Default.QuoteVerifyReport) + "\n");
        else
            await DescribeAsync(result, events, console.Out);
        if (failure is not null)
            await console.Error.WriteLineAsync($"tee-launcher: NOT verified: {failure}");
        return code;
    }

    private static string Verdict(ExitCode code, VerifiedQuote? verified, VerifyReport? events, string? failure)
    {
        if (failure is not null)
            return $"NOT verified: {failure}";
        var tcb = verified!.Tcb;
        var image = events is null
            ? "no event log replayed"
            : $"image {events.ImageDigest}{(events.ApprovedPosition is { } position ? $" approved (position {position})" : "")}, RTMR3 replayed";
        return code == ExitCode.Success
            ? $"verified: genuine TDX quote, TCB UpToDate, {image}"
            : $"verified, but TCB {tcb.Status.Name()}{(tcb.AdvisoryIds.Count == 0 ? "" : $" ({string.Join(", ", tcb.AdvisoryIds)})")}: genuine TDX quote, {image}";
    }

    private static QuoteFields Fields(QuoteInput input, VerifiedQuote verified, bool? reportDataMatches)
    {
        var quote = verified.Quote;
        var report = quote.Report;
        return new QuoteFields(
            input.Format,
            quote.Version,
            quote.BodyKind,
            verified.Tcb.Status.Name(),
            verified.Tcb.AdvisoryIds,
            verified.PlatformTcb.Status.Name(),
            verified.QeTcb.Status.Name(),
            Convert.ToHexString(verified.Fmspc),
            Date(verified.At),
            Date(verified.CollateralNextUpdate),
            CertificateChains.IntelRootCaSha256,
            Hex(report.MrTd),
            Hex(report.Rtmrs[0]),
            Hex(report.Rtmrs[1]),
            Hex(report.Rtmrs[2]),
            Hex(report.Rtmrs[3]),
            Hex(report.TdAttributes),
            Hex(report.Xfam),
            Hex(report.MrConfigId),
            Hex(report.MrOwner),
            Hex(report.MrOwnerConfig),
            Hex(report.MrSeam),
            Hex(report.MrSignerSeam),
            Hex(report.TeeTcbSvn),
            Hex(report.ReportData),
            reportDataMatches);
    }

    private static async Task DescribeAsync(QuoteVerifyReport result, VerifyReport? events, TextWriter output)
    {
        var text = new StringBuilder();
        text.AppendLine(result.Verdict);
        if (result.Quote is { } q)
        {
            text.AppendLine($"quote:          TDX quote version {q.Version}, {q.Body} body ({q.Format})");
            text.AppendLine($"signatures:     quote by its attestation key, QE report by the PCK certificate, PCK chain and collateral to the built-in Intel SGX Root CA (sha256 {q.RootCaSha256}), no certificate revoked");
            text.AppendLine($"tcb_status:     {q.TcbStatus} (platform {q.PlatformTcbStatus}, quoting enclave {q.QeTcbStatus}, FMSPC {q.Fmspc})");
            text.AppendLine($"advisory_ids:   {(q.AdvisoryIds.Count == 0 ? "-" : string.Join(", ", q.AdvisoryIds))}");
            text.AppendLine($"collateral:     valid at {q.CheckedAt}; due for update {q.CollateralNextUpdate}");
            text.AppendLine($"mr_td:          {q.MrTd}");
            text.AppendLine($"rtmr0:          {q.Rtmr0}");
            text.AppendLine($"rtmr1:          {q.Rtmr1}");
            text.AppendLine($"rtmr2:          {q.Rtmr2}");
            text.AppendLine($"rtmr3:          {q.Rtmr3}");
            text.AppendLine($"td_attributes:  {q.TdAttributes} (not debug, SEPT_VE_DISABLE set)");
            text.AppendLine($"xfam:           {q.Xfam}");
            text.AppendLine($"mr_config_id:   {q.MrConfigId}");
            text.AppendLine($"mr_seam:        {q.MrSeam}");
            text.AppendLine($"report_data:    {q.ReportData}{(q.ReportDataMatches is null ? "" : q.ReportDataMatches.Value ? " (matches --report-data)" : " (differs from --report-data)")}");
        }
        if (events is not null)
        {
            text.AppendLine("event log:");
            await output.WriteAsync(text);
            text.Clear();
            await VerifyCommand.DescribeAsync(events, output, sayWhatIsNotChecked: false);
        }
        text.AppendLine("still yours to judge: MRTD and RTMR0-2 against the OS image you expect, and whether collateral of this date is fresh enough");
        await output.WriteAsync(text);
    }

    private static string Hex(byte[] bytes) => Convert.ToHexStringLower(bytes);

    private static string Date(DateTimeOffset date) => date.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

    private static DateTimeOffset ParseAt(string text) =>
        Rfc3339().IsMatch(text) && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var at)
            ? at.ToUniversalTime()
            : throw new UsageException($"--at '{text}' is not an RFC 3339 time such as 2025-07-01T00:00:00Z");

    /// <summary>Up to 64 bytes, zero-padded on the right to the 64 bytes of report_data, as dstack pads a shorter value.</summary>
    private static byte[] ParseReportData(string text)
    {
        var hex = Values.Hex.WithoutPrefix(text);
        if (hex.Length is 0 or > 128 || !Values.Hex.TryDecode(hex, out var bytes))
            throw new UsageException("--report-data must be 1 to 64 bytes in hex (zero-padded to 64)");
        var padded = new byte[64];
        bytes.CopyTo(padded, 0);
        return padded;
    }

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$")]
    private static partial Regex Rfc3339();
}
