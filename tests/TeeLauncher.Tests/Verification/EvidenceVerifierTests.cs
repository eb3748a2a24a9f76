using System.Text.Json.Nodes;
using TeeLauncher.Measurement;
using TeeLauncher.Selection;
using TeeLauncher.Values;
using TeeLauncher.Verification;

namespace TeeLauncher.Tests.Verification;

/// <summary>verify against NEAR MPC's real tcb_info (tests/fixtures/near-mpc) and its mutations.</summary>
public sealed class EvidenceVerifierTests
{
    private const string ImageDigest = "sha256:e2ef71c220158f9ee19a265d583647eedb4e0cd7ca37021fbf0ab34e3d214ed0";

    private static readonly string FixturePath = Support.RepositoryFiles.InRepository("tests", "fixtures", "near-mpc", "tcb_info.json");

    [Fact]
    public void Near_mpc_tcb_info_verifies_and_names_its_image_digest()
    {
        var report = Verify(File.ReadAllText(FixturePath));

        report.Failures.Should().BeEmpty();
        report.ImageDigest.Should().Be(ImageDigest);
        report.Events.Should().HaveCount(9, "only the RTMR3 entries are replayed");
    }

    [Fact]
    public void A_flipped_payload_byte_fails_at_that_event()
    {
        var report = Verify(Mutate(log => log[28]!["event_payload"] = Flip(log[28]!["event_payload"]!.GetValue<string>())));

        report.Failures[0].Should().StartWith("event 29 'mpc-image-digest': recorded digest 505922fb");
        report.Failures.Should().HaveCount(2).And.Contain(f => f.StartsWith("RTMR3 differs"));
    }

    [Fact]
    public void A_renamed_event_fails_at_that_event()
    {
        var report = Verify(Mutate(log => log[21]!["event"] = "app-ie"));

        report.Failures[0].Should().StartWith("event 22 'app-ie': recorded digest 01223499");
        report.Failures.Should().HaveCount(2).And.Contain(f => f.StartsWith("RTMR3 differs"));
    }

    [Fact]
    public void A_second_image_event_fails()
    {
        var report = Verify(Mutate(log => log.Add(log[28]!.DeepClone())));

        report.Failures.Should().Contain(f => f.StartsWith("2 image events named 'mpc-image-digest' (events 29, 30)"));
    }

    [Fact]
    public void A_changed_rtmr3_fails_with_expected_against_found()
    {
        var document = JsonNode.Parse(File.ReadAllText(FixturePath))!;
        document["rtmr3"] = new string('0', 96);

        var report = Verify(document.ToJsonString());

        report.Failures.Should().ContainSingle().Which.Should().Be(
            $"RTMR3 differs: expected {new string('0', 96)} (the document's rtmr3), the replay of 9 events gives f3d02081b16658829c6acd6dd017a1b97994d9715f0464eecb7530958b4f012c73a16af3b47fd80eefc4009e2acd859e");
    }

    [Fact]
    public void A_get_quote_response_is_checked_against_the_quotes_rtmr3()
    {
        var document = JsonNode.Parse(File.ReadAllText(FixturePath))!;
        var quote = new byte[632];
        quote[0] = 4;
        Convert.FromHexString(document["rtmr3"]!.GetValue<string>()).CopyTo(quote, 520);
        var response = new JsonObject
        {
            ["quote"] = Convert.ToHexStringLower(quote),
            ["event_log"] = document["event_log"]!.ToJsonString(),
        };

        var report = Verify(response.ToJsonString());

        report.Failures.Should().BeEmpty();
        report.ExpectedSource.Should().Be("the quote's RTMR3");
    }

    [Fact]
    public void The_approved_list_gives_the_position_of_the_digest()
    {
        var approved = ApprovedHashes.Parse("approved.json",
            System.Text.Encoding.UTF8.GetBytes($$"""{"approved_hashes": ["sha256:{{new string('1', 64)}}", "{{ImageDigest}}"]}"""));

        var report = EvidenceVerifier.Verify(Evidence.Parse(FixturePath, File.ReadAllBytes(FixturePath)),
            new VerifyRequest("mpc-image-digest", RegisterKind.Rtmr3, null, null, null, null, approved, null) with
            {
                Expected = Convert.FromHexString(JsonNode.Parse(File.ReadAllText(FixturePath))!["rtmr3"]!.GetValue<string>()),
                ExpectedSource = "test",
            });

        report.Failures.Should().BeEmpty();
        report.ApprovedPosition.Should().Be(2);
    }

    [Fact]
    public void A_log_without_a_register_value_does_not_verify()
    {
        var evidence = Evidence.Parse("events.jsonl", System.Text.Encoding.UTF8.GetBytes(
            $$"""{"event":"image-digest","event_payload":"{{Support.Digests.A.Hex}}"}"""));

        var report = EvidenceVerifier.Verify(evidence,
            new VerifyRequest("image-digest", RegisterKind.Rtmr3, null, null, null, null, null, null));

        report.Verified.Should().BeFalse();
        report.Failures.Should().ContainSingle().Which.Should().StartWith("no RTMR3 value to compare with");
    }

    private static VerifyReport Verify(string document)
    {
        var evidence = Evidence.Parse("tcb_info.json", System.Text.Encoding.UTF8.GetBytes(document));
        return EvidenceVerifier.Verify(evidence,
            new VerifyRequest("mpc-image-digest", RegisterKind.Rtmr3, evidence.Rtmr3, evidence.Rtmr3Source, null, null, null, null));
    }

    private static string Mutate(Action<JsonArray> change)
    {
        var document = JsonNode.Parse(File.ReadAllText(FixturePath))!;
        change(document["event_log"]!.AsArray());
        return document.ToJsonString();
    }

    private static string Flip(string hex) => (hex[0] == '0' ? '1' : '0') + hex[1..];
}
