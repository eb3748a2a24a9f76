using System.Text.Json;
using TeeLauncher.Cli;
using TeeLauncher.Tests.Support;
using static TeeLauncher.Tests.Verification.QuoteSamples;

namespace TeeLauncher.Tests.Verification;

/// <summary><c>verify --quote --collateral</c> through the command line, on dcap-qvl's real samples.</summary>
public sealed class VerifyQuoteCommandTests : IDisposable
{
    private const string At = "2025-07-01T00:00:00Z";
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task A_real_quote_verifies_with_the_verdict_first_and_exit_0()
    {
        var (code, output, error) = await CommandLine.RunAsync("verify", "--quote", PathOf("tdx_quote"), "--collateral", PathOf("tdx_quote_collateral.json"), "--at", At);

        code.Should().Be(0, error);
        var lines = output.Split('\n');
        lines[0].Should().Be("verified: genuine TDX quote, TCB UpToDate, no event log replayed");
        output.Should().Contain("tcb_status:     UpToDate").And.Contain("mr_td:          91eb2b44d141d4ec").And.Contain("still yours to judge");
    }

    [Fact]
    public async Task Json_puts_every_field_under_quote_with_tcb_status_and_advisory_ids()
    {
        var (code, output, _) = await CommandLine.RunAsync("verify", "--quote", PathOf("near_quote.hex"), "--collateral", PathOf("near_quote_collateral.json"), "--at", "2025-09-10T00:00:00Z", "--json");

        code.Should().Be(0);
        var root = JsonDocument.Parse(output).RootElement;
        root.GetProperty("verified").GetBoolean().Should().BeTrue();
        var quote = root.GetProperty("quote");
        quote.GetProperty("tcb_status").GetString().Should().Be("UpToDate");
        quote.GetProperty("advisory_ids").GetArrayLength().Should().Be(0);
        quote.GetProperty("format").GetString().Should().Be("hex");
        quote.GetProperty("fmspc").GetString().Should().Be("20A06F000000");
        foreach (var field in new[] { "mr_td", "rtmr0", "rtmr1", "rtmr2", "rtmr3", "mr_seam" })
            quote.GetProperty(field).GetString().Should().HaveLength(96, field);
        quote.GetProperty("report_data").GetString().Should().HaveLength(128);
        quote.GetProperty("td_attributes").GetString().Should().HaveLength(16);
    }

    [Fact]
    public async Task Collateral_past_its_date_fails_without_at()
    {
        var (code, _, error) = await CommandLine.RunAsync("verify", "--quote", PathOf("tdx_quote"), "--collateral", PathOf("tdx_quote_collateral.json"));

        code.Should().Be(1);
        error.Should().StartWith("tee-launcher: NOT verified: collateral").And.Contain("expired");
    }

    [Fact]
    public async Task A_platform_that_matches_no_tcb_level_is_not_verified()
    {
        var (code, output, _) = await CommandLine.RunAsync("verify", "--quote", PathOf("tdx_quote_outdated"), "--collateral", PathOf("tdx_quote_outdated_collateral.json"), "--at", "2026-03-01T00:00:00Z");

        code.Should().Be(1);
        output.Should().StartWith("NOT verified: TCB: no TCB level");
    }

    [Fact]
    public async Task A_tampered_quote_fails_with_exit_1_naming_the_signature()
    {
        var quote = Bytes("tdx_quote");
        quote[200] ^= 0x01;
        var path = _dir.Combine("quote.bin");
        await File.WriteAllBytesAsync(path, quote);

        var (code, output, error) = await CommandLine.RunAsync("verify", "--quote", path, "--collateral", PathOf("tdx_quote_collateral.json"), "--at", At, "--json");

        code.Should().Be(1);
        error.Should().Contain("its signature by the attestation key is invalid");
        var root = JsonDocument.Parse(output).RootElement;
        root.GetProperty("verified").GetBoolean().Should().BeFalse();
        root.GetProperty("quote").ValueKind.Should().Be(JsonValueKind.Null);
    }

    [Theory]
    [InlineData(true, 0)]
    [InlineData(false, 1)]
    public async Task Report_data_checks_the_binding(bool same, int expected)
    {
        var reportData = Convert.ToHexStringLower(TeeLauncher.Verification.TdxQuote.Parse(Bytes("tdx_quote")).Report.ReportData);
        var given = same ? reportData : "00" + reportData[2..];

        var (code, output, _) = await CommandLine.RunAsync("verify", "--quote", PathOf("tdx_quote"), "--collateral", PathOf("tdx_quote_collateral.json"), "--at", At, "--report-data", given);

        code.Should().Be(expected);
        output.Should().Contain(same ? "(matches --report-data)" : "NOT verified: the quote's report_data");
    }

    [Fact]
    public async Task A_getquote_response_is_one_file_for_quote_and_event_log_replayed_against_the_verified_rtmr3()
    {
        // The sample's RTMR3 is zero: an event log with no RTMR3 event replays to it, and lacks the image event.
        var quoteHex = Convert.ToHexStringLower(Bytes("tdx_quote"));
        var eventLog = JsonSerializer.Serialize("[{\"imr\":0,\"event_type\":1,\"digest\":\"" + new string('a', 96) + "\",\"event\":\"\",\"event_payload\":\"\"}]");
        var path = _dir.File("getquote.json", $"{{\"quote\":\"{quoteHex}\",\"event_log\":{eventLog}}}");

        var (code, output, error) = await CommandLine.RunAsync("verify", "--quote", path, "--collateral", PathOf("tdx_quote_collateral.json"), "--at", At, "--json");

        code.Should().Be(1);
        error.Should().StartWith("tee-launcher: NOT verified: event log:");
        var root = JsonDocument.Parse(output).RootElement;
        root.GetProperty("quote").GetProperty("format").GetString().Should().Be("GetQuote response");
        var replay = root.GetProperty("event_log");
        replay.GetProperty("expected_source").GetString().Should().Be("the verified quote's RTMR3");
        replay.GetProperty("expected").GetString().Should().Be(new string('0', 96));
        replay.GetProperty("replay").GetString().Should().Be(new string('0', 96));
    }

    [Theory]
    [InlineData("--rtmr3", "00")]
    [InlineData("--at", "2025-07-01")]
    [InlineData("--report-data", "xyz")]
    public async Task Options_that_do_not_fit_a_quote_check_are_usage_errors(string option, string value)
    {
        var (code, _, error) = await CommandLine.RunAsync("verify", "--quote", PathOf("tdx_quote"), "--collateral", PathOf("tdx_quote_collateral.json"), option, value);

        code.Should().Be(2);
        error.Should().Contain(option);
    }

    [Fact]
    public async Task Quote_options_without_a_quote_are_a_usage_error()
    {
        var (code, _, error) = await CommandLine.RunAsync("verify", "--event-log", PathOf("tdx_quote_collateral.json"), "--collateral", PathOf("tdx_quote_collateral.json"));

        code.Should().Be(2);
        error.Should().Contain("give --quote too");
    }

    [Theory]
    [InlineData("not a quote at all")]
    [InlineData("{\"event_log\":\"[]\"}")]
    [InlineData("{\"quote\":\"0x12345\"}")]
    [InlineData("[1,2,3]")]
    public async Task A_quote_file_that_is_no_quote_fails_with_one_line(string content)
    {
        var path = _dir.File("quote.txt", content);

        var (code, _, error) = await CommandLine.RunAsync("verify", "--quote", path, "--collateral", PathOf("tdx_quote_collateral.json"), "--at", At);

        code.Should().BeOneOf(1, 3);
        error.Trim().Split('\n').Should().HaveCount(1);
        error.Should().NotContain("   at ");
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("{\"tcb_info\":1}")]
    [InlineData("{}")]
    [InlineData("{\"tcb_info\":\"x\"")]
    public async Task A_collateral_file_that_is_no_collateral_is_an_input_error(string content)
    {
        var path = _dir.File("c.json", content);

        var (code, _, error) = await CommandLine.RunAsync("verify", "--quote", PathOf("tdx_quote"), "--collateral", path, "--at", At);

        code.Should().Be(3);
        error.Should().Contain("collateral");
    }
}
