using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using TeeLauncher.Values;

namespace TeeLauncher.Verification;

/// <summary>What a verified quote says, and how current its platform is.</summary>
public sealed record VerifiedQuote(
    TdxQuote Quote,
    TcbVerdict Tcb,
    TcbVerdict PlatformTcb,
    TcbVerdict QeTcb,
    byte[] Fmspc,
    DateTimeOffset At,
    DateTimeOffset CollateralNextUpdate);

/// <summary>
/// Verifies a TDX quote offline against its collateral, in the order of Phala-Network/dcap-qvl's verify_impl (src/verify.rs
/// at commit 7979a1afb55319328a4e9587be971a636ff72c97): the CRLs, the TCB Info and QE Identity signatures and chains,
/// the PCK chain, the QE report's signature and its binding of the attestation key, the QE identity, the quote's
/// signature, the platform's TCB level, then the TD attributes. A Revoked TCB status fails, as there; any other status
/// is the caller's to judge. Every failure is a <see cref="QuoteVerificationException"/> naming what failed.
/// </summary>
public static class QuoteVerifier
{
    public static VerifiedQuote Verify(ReadOnlySpan<byte> rawQuote, Collateral collateral, DateTimeOffset at)
    {
        var quote = TdxQuote.Parse(rawQuote);
        var chains = CertificateChains.Create(collateral, at);

        var tcbInfo = TcbInfo.Parse(collateral.TcbInfo);
        CheckWindow("tcb_info", tcbInfo.Header, at);
        var tcbSigner = chains.Verify("collateral tcb_info_issuer_chain", CertificateChains.Parse("collateral tcb_info_issuer_chain", Encoding.ASCII.GetBytes(collateral.TcbInfoIssuerChain)));
        CheckSignature(tcbSigner, Encoding.UTF8.GetBytes(collateral.TcbInfo), collateral.TcbInfoSignature, "collateral tcb_info: its signature by the TCB signing certificate");

        var qeIdentity = QeIdentity.Parse(collateral.QeIdentity);
        CheckWindow("qe_identity", qeIdentity.Header, at);
        var qeSigner = chains.Verify("collateral qe_identity_issuer_chain", CertificateChains.Parse("collateral qe_identity_issuer_chain", Encoding.ASCII.GetBytes(collateral.QeIdentityIssuerChain)));
        CheckSignature(qeSigner, Encoding.UTF8.GetBytes(collateral.QeIdentity), collateral.QeIdentitySignature, "collateral qe_identity: its signature by the TCB signing certificate");

        var pck = chains.Verify("quote PCK certificate chain", CertificateChains.Parse("quote PCK certificate chain", quote.PckChainPem));
        var pckExtensions = PckExtensions.Read(pck);

        CheckSignature(pck, quote.QeReport.Bytes, quote.QeReportSignature, "quote: the QE report's signature by the PCK certificate");
        if (quote.QeAuthData.Length != 32)
            throw new QuoteVerificationException($"quote: the QE authentication data is {quote.QeAuthData.Length} bytes, not 32");
        var binding = SHA256.HashData([.. quote.AttestationKey, .. quote.QeAuthData]);
        if (!binding.AsSpan().SequenceEqual(quote.QeReport.ReportData.AsSpan(0, 32)))
            throw new QuoteVerificationException("quote: the QE report does not bind the attestation key (its report data is not SHA-256 of the key and the QE authentication data)");
        var qeTcb = TcbEvaluation.QuotingEnclave(qeIdentity, quote.QeReport);

        using (var attestationKey = AttestationKey(quote.AttestationKey))
        {
            if (!attestationKey.VerifyData(quote.SignedBytes, quote.Signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation))
                throw new QuoteVerificationException("quote: its signature by the attestation key is invalid (header or TD report altered, or another key)");
        }

        var platformTcb = TcbEvaluation.Platform(tcbInfo, quote.Report, pckExtensions);
        var tcb = platformTcb.Merge(qeTcb);
        if (tcb.Status == TcbStatus.Revoked)
            throw new QuoteVerificationException($"TCB: the platform's TCB status is Revoked{Advisories(tcb)}");
        TcbEvaluation.TdAttributes(quote.Report);
        var nextUpdate = tcbInfo.Header.NextUpdate < qeIdentity.Header.NextUpdate ? tcbInfo.Header.NextUpdate : qeIdentity.Header.NextUpdate;
        return new VerifiedQuote(quote, tcb, platformTcb, qeTcb, pckExtensions.Fmspc, at, nextUpdate);
    }

    private static string Advisories(TcbVerdict verdict) =>
        verdict.AdvisoryIds.Count == 0 ? "" : $" ({string.Join(", ", verdict.AdvisoryIds)})";

    private static void CheckWindow(string name, DocumentHeader document, DateTimeOffset at)
    {
        if (at < document.IssueDate)
            throw new QuoteVerificationException($"collateral {name}: issued {document.IssueDate:yyyy-MM-ddTHH:mm:ssZ}, after the time of the check {at:yyyy-MM-ddTHH:mm:ssZ}");
        if (at > document.NextUpdate)
            throw new QuoteVerificationException($"collateral {name}: expired at {document.NextUpdate:yyyy-MM-ddTHH:mm:ssZ} (its nextUpdate), before the time of the check {at:yyyy-MM-ddTHH:mm:ssZ}; fetch fresh collateral, or give --at to check as of an earlier day");
    }

    private static void CheckSignature(X509Certificate2 signer, byte[] data, byte[] signature, string what)
    {
        ECDsa? key;
        try
        {
            key = signer.GetECDsaPublicKey();
        }
        catch (CryptographicException)
        {
            key = null;
        }
        using (key)
        {
            if (key is null)
                throw new QuoteVerificationException($"{what}: the certificate '{signer.Subject}' has no ECDSA P-256 key");
            if (signature.Length != 64 || !key.VerifyData(data, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation))
                throw new QuoteVerificationException($"{what} is invalid");
        }
    }

    private static ECDsa AttestationKey(byte[] key)
    {
        try
        {
            return ECDsa.Create(new ECParameters
            {
                Curve = ECCurve.NamedCurves.nistP256,
                Q = new ECPoint { X = key[..32], Y = key[32..] },
            });
        }
        catch (CryptographicException)
        {
            throw new QuoteVerificationException("quote: the attestation key is not a point on P-256");
        }
    }
}
