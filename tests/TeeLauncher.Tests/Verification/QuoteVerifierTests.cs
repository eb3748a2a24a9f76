using System.Text;
using TeeLauncher.Values;
using TeeLauncher.Verification;
using static TeeLauncher.Tests.Verification.QuoteSamples;

namespace TeeLauncher.Tests.Verification;

/// <summary>
/// The verdicts dcap-qvl's own tests expect for its samples (tests/verify_quote.rs could_parse_tdx_quote: UpToDate with
/// no advisories; tests/verify_tcb_override.rs: the outdated sample matches no TCB level unless one is inserted), and
/// every part of a quote and its collateral refused when one byte of it changes.
/// </summary>
public sealed class QuoteVerifierTests
{
    private static VerifiedQuote VerifySample(byte[]? quote = null, Collateral? collateral = null, DateTimeOffset? at = null) =>
        QuoteVerifier.Verify(quote ?? Bytes("tdx_quote"), collateral ?? Collateral("tdx_quote_collateral.json"), at ?? TdxQuoteAt);

    [Fact]
    public void The_dcap_qvl_tdx_sample_verifies_up_to_date_with_no_advisories()
    {
        var verified = VerifySample();

        verified.Tcb.Status.Should().Be(TcbStatus.UpToDate);
        verified.Tcb.AdvisoryIds.Should().BeEmpty();
        verified.PlatformTcb.Status.Should().Be(TcbStatus.UpToDate);
        verified.QeTcb.Status.Should().Be(TcbStatus.UpToDate);
        verified.Quote.Version.Should().Be(4);
        verified.Quote.BodyKind.Should().Be(TdxQuote.TdBody10);
        Convert.ToHexString(verified.Fmspc).Should().Be("B0C06F000000");
        Convert.ToHexStringLower(verified.Quote.Report.MrTd).Should().StartWith("91eb2b44d141d4ec");
        verified.CollateralNextUpdate.Should().Be(DateTimeOffset.Parse("2025-07-19T10:16:03Z"));
    }

    [Fact]
    public void The_outdated_version_5_sample_matches_no_tcb_level_as_in_dcap_qvl()
    {
        var check = () => QuoteVerifier.Verify(Bytes("tdx_quote_outdated"), Collateral("tdx_quote_outdated_collateral.json"), OutdatedAt);

        check.Should().Throw<QuoteVerificationException>().WithMessage("TCB: no TCB level*matches the platform*");
    }

    [Fact]
    public void A_quote_in_hex_with_zero_padding_after_its_signature_data_is_read_and_its_signatures_verify()
    {
        var hex = File.ReadAllText(PathOf("quote-from-tappd.hex")).Trim();
        var quote = Convert.FromHexString(hex);
        quote.AsSpan(quote.Length - 64).IndexOfAnyExcept((byte)0).Should().Be(-1, "the sample is padded with zeros");

        TdxQuote.Parse(quote).Version.Should().Be(4);
        // Its platform is not the one of the sample collateral's TCB levels: everything before that step verifies.
        var check = () => VerifySample(quote);
        check.Should().Throw<QuoteVerificationException>().WithMessage("TCB: no TCB level*");
    }

    [Fact]
    public void A_byte_other_than_zero_after_the_signature_data_is_refused_with_its_offset()
    {
        var quote = Bytes("tdx_quote").Concat(new byte[] { 0, 0, 7 }).ToArray();

        var check = () => TdxQuote.Parse(quote);

        check.Should().Throw<QuoteVerificationException>().WithMessage($"quote: at byte {quote.Length - 1}: *only zero padding*");
    }

    [Fact]
    public void Every_truncation_of_a_real_quote_is_refused_as_a_quote_problem()
    {
        var quote = Bytes("tdx_quote");
        var signatureDataEnd = quote.Length - quote.Reverse().TakeWhile(b => b == 0).Count();
        for (var length = 0; length < signatureDataEnd; length++)
        {
            var prefix = quote[..length];
            var parse = () => TdxQuote.Parse(prefix);
            parse.Should().Throw<QuoteVerificationException>($"a quote cut at {length} bytes is incomplete");
        }
    }

    /// <summary>Offsets in the version-4 sample: header 0..48, TD report 48..632, signature 636..700, attestation key 700..764, QE report 770..1154, its signature 1154..1218, QE authentication data 1220..1252.</summary>
    [Theory]
    [InlineData(30, "quote: its signature by the attestation key is invalid*")]
    [InlineData(200, "quote: its signature by the attestation key is invalid*")]
    [InlineData(600, "quote: its signature by the attestation key is invalid*")]
    [InlineData(640, "quote: its signature by the attestation key is invalid*")]
    [InlineData(710, "quote: the QE report does not bind the attestation key*")]
    [InlineData(800, "quote: the QE report's signature by the PCK certificate is invalid")]
    [InlineData(1160, "quote: the QE report's signature by the PCK certificate is invalid")]
    [InlineData(1230, "quote: the QE report does not bind the attestation key*")]
    public void A_changed_byte_of_the_quote_fails_naming_what_failed(int offset, string message)
    {
        var quote = Bytes("tdx_quote");
        quote[offset] ^= 0x01;

        var check = () => VerifySample(quote);

        check.Should().Throw<QuoteVerificationException>().WithMessage(message);
    }

    [Fact]
    public void A_changed_pck_certificate_fails_the_pck_chain()
    {
        var quote = Bytes("tdx_quote");
        var pem = Encoding.ASCII.GetString(quote).IndexOf("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal);
        var inside = pem + 28 + 500;
        quote[inside] = (byte)(quote[inside] == 'A' ? 'B' : 'A');

        var check = () => VerifySample(quote);

        check.Should().Throw<QuoteVerificationException>().WithMessage("quote PCK certificate chain: *");
    }

    [Theory]
    [InlineData("tcb_info", "\"tcbEvaluationDataNumber\":17", "\"tcbEvaluationDataNumber\":18", "collateral tcb_info: its signature by the TCB signing certificate is invalid")]
    [InlineData("qe_identity", "\"isvprodid\":2", "\"isvprodid\":3", "collateral qe_identity: its signature by the TCB signing certificate is invalid")]
    public void A_changed_signed_collateral_document_fails_its_signature(string field, string from, string to, string message)
    {
        var collateral = Collateral("tdx_quote_collateral.json");
        var changed = field == "tcb_info"
            ? collateral with { TcbInfo = Replace(collateral.TcbInfo, from, to) }
            : collateral with { QeIdentity = Replace(collateral.QeIdentity, from, to) };

        var check = () => VerifySample(collateral: changed);

        check.Should().Throw<QuoteVerificationException>().WithMessage(message);
    }

    [Fact]
    public void A_changed_collateral_signature_fails()
    {
        var collateral = Collateral("tdx_quote_collateral.json");
        var signature = collateral.TcbInfoSignature.ToArray();
        signature[10] ^= 0x01;

        var check = () => VerifySample(collateral: collateral with { TcbInfoSignature = signature });

        check.Should().Throw<QuoteVerificationException>().WithMessage("collateral tcb_info: its signature * is invalid");
    }

    [Fact]
    public void A_changed_certificate_of_an_issuer_chain_fails_that_chain()
    {
        var collateral = Collateral("tdx_quote_collateral.json");
        var chain = collateral.TcbInfoIssuerChain.ToCharArray();
        var inside = collateral.TcbInfoIssuerChain.IndexOf("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal) + 28 + 500;
        chain[inside] = chain[inside] == 'A' ? 'B' : 'A';

        var check = () => VerifySample(collateral: collateral with { TcbInfoIssuerChain = new string(chain) });

        check.Should().Throw<QuoteVerificationException>().WithMessage("collateral tcb_info_issuer_chain: *");
    }

    [Theory]
    [InlineData("root_ca_crl")]
    [InlineData("pck_crl")]
    public void A_changed_crl_fails_naming_it(string name)
    {
        var collateral = Collateral("tdx_quote_collateral.json");
        var crl = (name == "pck_crl" ? collateral.PckCrl : collateral.RootCaCrl).ToArray();
        crl[^10] ^= 0x01;

        var check = () => VerifySample(collateral: name == "pck_crl" ? collateral with { PckCrl = crl } : collateral with { RootCaCrl = crl });

        check.Should().Throw<QuoteVerificationException>().WithMessage($"collateral {name}: *");
    }

    [Fact]
    public void Collateral_past_its_next_update_is_expired()
    {
        var check = () => VerifySample(at: DateTimeOffset.Parse("2025-07-20T00:00:00Z"));

        check.Should().Throw<QuoteVerificationException>().WithMessage("collateral *expired at 2025-07-19*");
    }

    [Fact]
    public void Collateral_issued_after_the_time_of_the_check_is_refused()
    {
        var check = () => VerifySample(at: DateTimeOffset.Parse("2025-06-19T10:10:00Z"));

        check.Should().Throw<QuoteVerificationException>().WithMessage("collateral tcb_info: issued 2025-06-19T10:16:03Z, after the time of the check*");
    }

    [Fact]
    public void Certificates_are_checked_at_the_time_of_the_check()
    {
        // The PCK certificate of the sample was issued in 2025; in 2019 neither it nor the collateral was valid.
        var check = () => VerifySample(at: DateTimeOffset.Parse("2019-01-01T00:00:00Z"));

        check.Should().Throw<QuoteVerificationException>();
    }

    [Fact]
    public void Collateral_for_another_platform_is_refused()
    {
        var check = () => VerifySample(collateral: Collateral("tdx_quote_outdated_collateral.json"), at: OutdatedAt);

        check.Should().Throw<QuoteVerificationException>().WithMessage("*FMSPC 90C06F000000 is not the PCK certificate's B0C06F000000*");
    }

    private static string Replace(string text, string from, string to)
    {
        text.Should().Contain(from);
        return text.Replace(from, to, StringComparison.Ordinal);
    }
}
