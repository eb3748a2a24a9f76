using TeeLauncher.Errors;
using TeeLauncher.Testing;
using TeeLauncher.Verification;
using static TeeLauncher.Tests.Verification.QuoteSamples;

namespace TeeLauncher.Tests.Verification;

/// <summary>
/// docs/spec.md §10 for quotes and collateral: mutations of the real samples (seeded, replayable) either still verify or
/// fail as a verification or input problem; never another exception, which the CLI would turn into exit 70.
/// </summary>
public sealed class HostileQuoteFuzzTests
{
    private static readonly string[] QuoteTokens = ["\x04\x00\x02\x00\x81", "\x05\x00", "\xff\xff\xff\xff", "-----BEGIN CERTIFICATE-----\n", "-----END CERTIFICATE-----\n", "\x06\x00", "\x05\x00"];

    private static readonly string[] CollateralTokens = ["\"tcb_info\":", "\"pck_crl\":\"00\",", "\\\"tcbLevels\\\":[],", "\\\"fmspc\\\":\\\"zz\\\",", "\\\"version\\\":-1,", "-----BEGIN CERTIFICATE-----\\n", "\\u0000", "\\ud800"];

    [Fact]
    public void Mutated_quotes_fail_only_as_quote_problems()
    {
        var mutator = new Mutator(2106, QuoteTokens);
        var (quote, collateral) = (Bytes("tdx_quote"), Collateral("tdx_quote_collateral.json"));
        for (var i = 0; i < 300; i++)
        {
            var mutated = mutator.Mutate(quote);
            var thrown = Record.Exception(() => QuoteVerifier.Verify(mutated, collateral, TdxQuoteAt));
            (thrown is null or QuoteVerificationException).Should().BeTrue($"case {i} threw {thrown}");
        }
    }

    [Fact]
    public void Mutated_collateral_fails_only_as_collateral_problems()
    {
        var mutator = new Mutator(2107, CollateralTokens);
        var (quote, collateral) = (Bytes("tdx_quote"), Bytes("tdx_quote_collateral.json"));
        for (var i = 0; i < 300; i++)
        {
            var mutated = mutator.Mutate(collateral);
            var thrown = Record.Exception(() => QuoteVerifier.Verify(quote, TeeLauncher.Verification.Collateral.Parse("collateral.json", mutated), TdxQuoteAt));
            (thrown is null or QuoteVerificationException or ConfigException).Should().BeTrue($"case {i} threw {thrown}");
        }
    }
}
