using System.Text;
using System.Text.Json.Nodes;
using TeeLauncher.Cli;
using TeeLauncher.Errors;
using TeeLauncher.Measurement;
using TeeLauncher.Testing;
using TeeLauncher.Tests.Support;
using TeeLauncher.Values;
using TeeLauncher.Verification;

namespace TeeLauncher.Tests.Verification;

/// <summary>
/// verify on dstack's own evidence formats (tests/fixtures/dstack, built by make_fixtures.py from dstack's source),
/// with an independent replay (tests/Shared/dstack_tool.py, Python hashlib) as the oracle, and on forgeries of it.
/// </summary>
public sealed class DstackEvidenceTests : IDisposable
{
    private const string Image = "sha256:5d1b6cfe7a4c0b39e9b4f37ab6a2a4a1d8f0c7b2e9a3f61c0d4e8b7a6c5f4e3d";

    private readonly TempDirectory _dir = new();

    [Theory]
    [InlineData("runtime_events-v1.log", Evidence.DstackRuntimeLog, 1)]
    [InlineData("runtime_events-v2.log", Evidence.DstackRuntimeLog, 2)]
    [InlineData("event_log-v1.json", Evidence.EntryArray, 1)]
    [InlineData("tcb_info-v1.json", Evidence.TcbInfo, 1)]
    [InlineData("get_quote-v2.json", Evidence.GetQuote, 2)]
    public void Each_dstack_format_replays_to_the_oracles_rtmr3_and_names_the_image_and_compose_events(string fixture, string format, int version)
    {
        var path = Fixture(fixture);
        var oracle = DstackTool.Replay(path);
        var evidence = Evidence.Read(path);

        var report = Verify(evidence, Convert.FromHexString(oracle));

        evidence.Format.Should().Be(format);
        report.Failures.Should().BeEmpty();
        report.Replay.Should().Be(oracle);
        report.Events.Should().HaveCount(10).And.OnlyContain(e => e.Recomputed && e.Version.Number == version);
        report.ImageDigest.Should().Be(Image);
        report.ComposeMatches.Should().BeTrue();
        if (evidence.Rtmr3 is not null)
            Convert.ToHexStringLower(evidence.Rtmr3).Should().Be(oracle, "the document's own register value is the oracle's replay");
    }

    [Fact]
    public void An_entry_of_another_type_named_like_the_image_event_is_a_mismatch_even_when_the_register_replays()
    {
        var document = JsonNode.Parse(File.ReadAllText(Fixture("tcb_info-v1.json")))!;
        var log = document["event_log"]!.AsArray();
        var real = log[^2]!;
        var forged = new JsonObject
        {
            ["imr"] = 3, ["event_type"] = 1, ["event"] = "image-digest",
            ["event_payload"] = new string('1', 64),
            ["digest"] = DstackTool.Digest("image-digest", real["event_payload"]!.GetValue<string>(), 1),
        };
        log[^2] = forged;

        var report = Verify(Parse(document.ToJsonString()), null);

        report.Failures.Should().HaveCount(2);
        report.Failures[0].Should().Be(
            "event 13 'image-digest' has type 1, not the runtime event type 134217729: it is named like a launcher event but is not one");
        report.Failures[1].Should().StartWith("no image event named 'image-digest'");
        report.ImageDigest.Should().BeNull("an entry of another type never counts as the image event");
        report.Replay.Should().Be(document["rtmr3"]!.GetValue<string>(), "the forgery replays: only its type gives it away");
    }

    [Fact]
    public void A_version_2_line_read_as_version_1_no_longer_replays()
    {
        var log = File.ReadAllText(Fixture("runtime_events-v2.log"));
        var dropped = string.Join("\n", log.Split('\n').Select((line, i) => i == 8 ? line.Replace(",\"version\":2", "") : line));

        var report = Verify(Parse(dropped, "runtime_events.log"), Convert.FromHexString(DstackTool.Replay(Fixture("runtime_events-v2.log"))));

        report.Failures.Should().ContainSingle().Which.Should().StartWith("RTMR3 differs");
    }

    [Fact]
    public void A_version_2_entry_whose_preimage_is_not_its_own_is_a_mismatch()
    {
        var document = JsonNode.Parse(File.ReadAllText(Fixture("get_quote-v2.json")))!;
        var log = JsonNode.Parse(document["event_log"]!.GetValue<string>())!.AsArray();
        log[^2]!["preimage"] = Convert.ToHexStringLower("""{"name":"image-digest","payload":"00","type":134217729}"""u8);
        document["event_log"] = log.ToJsonString();

        var report = Verify(Parse(document.ToJsonString()), null);

        report.Failures.Should().ContainSingle().Which.Should().Be("event 13 'image-digest': its preimage is not the version-2 preimage of its name and payload");
    }

    [Theory]
    [InlineData("tdx_quote")]
    [InlineData("tdx_quote_outdated")]
    public void RTMR3_of_a_GetQuote_response_is_read_from_a_version_4_or_version_5_quote_where_the_quote_parser_finds_it(string sample)
    {
        var quote = TeeLauncher.Tests.Verification.QuoteSamples.Bytes(sample);

        var evidence = Parse($"{{\"event_log\":\"[]\",\"quote\":\"{Convert.ToHexStringLower(quote)}\"}}");

        evidence.Rtmr3.Should().Equal(TeeLauncher.Verification.TdxQuote.Parse(quote).Report.Rtmrs[3]);
    }

    [Fact]
    public void A_payload_that_is_not_standard_base64_is_refused_at_its_line_and_column()
    {
        var parse = () => Parse("{\"event\":\"a\",\"payload\":\"\"}\n{\"event\":\"b\",\"payload\":\"deadbee\"}\n", "runtime_events.log");

        parse.Should().Throw<ConfigException>().Which.Message.Should()
            .StartWith("runtime_events.log:2:24: event 2: \"payload\" is not standard base64");
    }

    [Fact]
    public void Mixing_dstack_lines_and_launcher_entries_is_refused()
    {
        var parse = () => Parse($"{{\"event\":\"a\",\"payload\":\"\"}}\n{{\"event\":\"b\",\"event_payload\":\"00\"}}\n", "mixed.log");

        parse.Should().Throw<ConfigException>().Which.Message.Should().StartWith("mixed.log:2:1: this line mixes formats");
    }

    [Theory]
    [InlineData("{\"event\":\"a\",\"imr\":\"3\"}", "e.log:1:20: event 1: \"imr\" must be a number, found a string")]
    [InlineData("{\"event\":\"a\",\"event_type\":-1}", "e.log:1:27: event 1: \"event_type\" must be a whole number from 0 to 4294967295")]
    [InlineData("{\"event\":7}", "e.log:1:10: event 1: \"event\" must be a string, found a number")]
    [InlineData("{\"event\":\"a\",\"version\":3}", "e.log:1:24: event 1: \"version\" must be 1 or 2")]
    [InlineData("{\"event\":\"a\",\"event\":\"b\"}", "e.log:1:14: event 1 has the field \"event\" twice")]
    [InlineData("{\"event\":\"\\ud800\"}", "e.log:1:10: event 1: \"event\" holds an escape that is no Unicode text")]
    [InlineData("{\"event\":\"a\"} {\"event\":\"b\"}", "e.log:1:15: not valid JSON: '{' is invalid after a single JSON value")]
    [InlineData("[{\"event\":\"a\"},\n 5]", "e.log:2:2: event 2 must be a JSON object, found a number")]
    [InlineData("{\"event_log\":\"[{\\\"imr\\\":true}]\",\"quote\":\"04\"}", "e.log:1:14: in the JSON of this \"event_log\" string, at its line 1 column 9: event 1: \"imr\" must be a number, found a boolean")]
    [InlineData("{\"event_log\":{}}", "e.log:1:14: \"event_log\" must be an array")]
    [InlineData("\"just a string\"", "e.log:1:1: not JSON")]
    public void Wrong_json_types_are_input_errors_with_their_position(string text, string message)
    {
        var parse = () => Parse(text, "e.log");

        parse.Should().Throw<ConfigException>().Which.Message.Should().StartWith(message);
    }

    [Fact]
    public void Invalid_utf8_is_an_input_error_at_its_byte()
    {
        var parse = () => Evidence.Parse("e.log", (byte[])[.. "{\"event\":\"a\"}\n{\"event\":\""u8, 0xff, .. "\"}"u8]);

        parse.Should().Throw<ConfigException>().Which.Message.Should().StartWith("e.log:2:11: invalid UTF-8 (byte 0xff)");
    }

    [Fact]
    public void Deep_nesting_is_an_input_error_not_a_crash()
    {
        var parse = () => Parse("{\"event\":\"a\",\"x\":" + new string('[', 5000) + new string(']', 5000) + "}", "e.log");

        parse.Should().Throw<ConfigException>().Which.Message.Should().StartWith("e.log:1:").And.Contain("nested deeper than 16 levels");
    }

    [Theory]
    [InlineData("{\"event\":\"a\",\"imr\":\"3\"}")]
    [InlineData("[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]")]
    [InlineData("{\"event_log\":\"[{\\\"event\\\":\\\"\\\\ud800\\\"}]\",\"quote\":\"\"}")]
    public async Task Hostile_evidence_given_to_the_command_is_exit_3_with_one_line(string text)
    {
        var path = _dir.File("evidence.json", text);

        var (code, _, error) = await CommandLine.RunAsync("verify", "--event-log", path, "--rtmr3", new string('0', 96));

        code.Should().Be(3, error);
        error.TrimEnd('\n').Should().NotContain("\n").And.Contain(path + ":");
    }

    private static string Fixture(string name) => RepositoryFiles.InRepository("tests", "fixtures", "dstack", name);

    private static Evidence Parse(string text, string path = "evidence.json") => Evidence.Parse(path, Encoding.UTF8.GetBytes(text));

    private static VerifyReport Verify(Evidence evidence, byte[]? rtmr3) =>
        EvidenceVerifier.Verify(evidence, new VerifyRequest("image-digest", RegisterKind.Rtmr3, rtmr3 ?? evidence.Rtmr3,
            rtmr3 is null ? evidence.Rtmr3Source : "oracle", null, null, null, File.ReadAllBytes(Fixture("compose.yml"))));

    public void Dispose() => _dir.Dispose();
}
