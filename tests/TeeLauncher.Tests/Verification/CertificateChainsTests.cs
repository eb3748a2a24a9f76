using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using TeeLauncher.Verification;
using static TeeLauncher.Tests.Verification.QuoteSamples;

namespace TeeLauncher.Tests.Verification;

/// <summary>The root is the built-in one: a certificate in the input that calls itself Intel's root is never trusted.</summary>
public sealed class CertificateChainsTests
{
    private const string IntelRootName = "CN=Intel SGX Root CA, O=Intel Corporation, L=Santa Clara, S=CA, C=US";

    [Fact]
    public void A_chain_to_a_root_of_the_same_name_but_another_key_is_refused()
    {
        using var fakeRootKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var rootRequest = new CertificateRequest(IntelRootName, fakeRootKey, HashAlgorithmName.SHA256);
        rootRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 1, true));
        using var fakeRoot = rootRequest.CreateSelfSigned(TdxQuoteAt.AddYears(-1), TdxQuoteAt.AddYears(1));
        using var leafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var leafRequest = new CertificateRequest("CN=Intel SGX TCB Signing, O=Intel Corporation, L=Santa Clara, S=CA, C=US", leafKey, HashAlgorithmName.SHA256);
        using var leaf = leafRequest.Create(fakeRoot, TdxQuoteAt.AddDays(-1), TdxQuoteAt.AddDays(1), [1, 2, 3]);
        var chains = CertificateChains.Create(Collateral("tdx_quote_collateral.json"), TdxQuoteAt);

        var check = () => chains.Verify("test chain", [leaf, fakeRoot]);

        check.Should().Throw<QuoteVerificationException>().WithMessage("test chain: the signature of '*CN=Intel SGX TCB Signing*' by '*CN=Intel SGX Root CA' is invalid");
    }

    [Fact]
    public void The_sample_chains_verify_to_the_built_in_root_and_a_chain_without_its_intermediate_does_not()
    {
        var quote = TdxQuote.Parse(Bytes("tdx_quote"));
        var pck = CertificateChains.Parse("pck", quote.PckChainPem);
        var chains = CertificateChains.Create(Collateral("tdx_quote_collateral.json"), TdxQuoteAt);

        chains.Verify("pck", pck).Should().BeSameAs(pck[0]);
        var check = () => chains.Verify("pck", [pck[0], pck[2]]);

        check.Should().Throw<QuoteVerificationException>().WithMessage("pck: the issuer '*CN=Intel SGX PCK Platform CA' of '*CN=Intel SGX PCK Certificate' is not in the chain*");
    }
}
