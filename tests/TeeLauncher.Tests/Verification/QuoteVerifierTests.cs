using TeeLauncher.Values;
using TeeLauncher.Verification;
using static TeeLauncher.Tests.Verification.QuoteSamples;

namespace TeeLauncher.Tests.Verification;

/// <summary>
/// The verdicts dcap-qvl's own tests expect for its samples (tests/verify_quote.rs, could_parse_tdx_quote: UpToDate with
/// no advisories; golang-bindings/dcap_test.go TestVerifyTDXQuote likewise), and the parts of the quote each check reads.
/// </summary>
public sealed class QuoteVerifierTests
{
    [Fact]
    public void The_dcap_qvl_tdx_sample_verifies_up_to_date_with_no_advisories()
    {
        var verified = QuoteVerifier.Verify(Bytes("tdx_quote"), Collateral("tdx_quote_collateral.json"), TdxQuoteAt);

        verified.Tcb.Status.Should().Be(TcbStatus.UpToDate);
        verified.Tcb.AdvisoryIds.Should().BeEmpty();
        verified.Quote.Version.Should().Be(4);
        verified.Quote.BodyKind.Should().Be(TdxQuote.TdBody10);
        Convert.ToHexString(verified.Fmspc).Should().Be("B0C06F000000");
    }

    [Fact]
    public void The_outdated_sample_verifies_with_a_status_that_is_not_up_to_date()
    {
        var verified = QuoteVerifier.Verify(Bytes("tdx_quote_outdated"), Collateral("tdx_quote_outdated_collateral.json"), OutdatedAt);

        verified.Quote.Version.Should().Be(5);
        verified.Tcb.Status.Should().Be(TcbStatus.OutOfDate);
        verified.Tcb.AdvisoryIds.Should().NotBeEmpty();
    }
}
