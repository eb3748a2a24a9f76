using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Org.BouncyCastle.Security.Certificates;
using Org.BouncyCastle.X509;
using BcCertificate = Org.BouncyCastle.X509.X509Certificate;

namespace TeeLauncher.Verification;

/// <summary>
/// Certificate chains up to Intel's SGX Root CA, which is built in: its certificate below, pinned by its SHA-256
/// fingerprint; a root in the input is never used. Certificates and CRLs are read with BouncyCastle, their signatures
/// verified by the platform's ECDSA (the platform's X509Chain is not used: on Linux it loads the whole system trust
/// store, most of the time of a check). Revocation comes from the collateral's CRLs, for every certificate below the root, as
/// dcap-qvl does (rustls-webpki, revocation depth "chain", unknown status denied, CRL expiry enforced).
/// </summary>
public sealed class CertificateChains
{
    /// <summary>Intel SGX Root CA (Intel Corporation, Santa Clara), valid 2018-05-21 to 2049-12-31, as Intel publishes it.</summary>
    private const string IntelRootCaBase64 =
        "MIICjzCCAjSgAwIBAgIUImUM1lqdNInzg7SVUr9QGzknBqwwCgYIKoZIzj0EAwIwaDEaMBgGA1UEAwwRSW50ZWwgU0dYIFJvb3QgQ0ExGjAYBgNVBAoMEUludGVsIENvcnBvcmF0aW9uMRQwEgYDVQQHDAtTYW50YSBDbGFyYTELMAkGA1UECAwCQ0ExCzAJBgNVBAYTAlVTMB4XDTE4MDUyMTEwNDUxMFoXDTQ5MTIzMTIzNTk1OVowaDEaMBgGA1UEAwwRSW50ZWwgU0dYIFJvb3QgQ0ExGjAYBgNVBAoMEUludGVsIENvcnBvcmF0aW9uMRQwEgYDVQQHDAtTYW50YSBDbGFyYTELMAkGA1UECAwCQ0ExCzAJBgNVBAYTAlVTMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEC6nEwMDIYZOj/iPWsCzaEKi71OiOSLRFhWGjbnBVJfVnkY4u3IjkDYYL0MxO4mqsyYjlBalTVYxFP2sJBK5zlKOBuzCBuDAfBgNVHSMEGDAWgBQiZQzWWp00ifODtJVSv1AbOScGrDBSBgNVHR8ESzBJMEegRaBDhkFodHRwczovL2NlcnRpZmljYXRlcy50cnVzdGVkc2VydmljZXMuaW50ZWwuY29tL0ludGVsU0dYUm9vdENBLmRlcjAdBgNVHQ4EFgQUImUM1lqdNInzg7SVUr9QGzknBqwwDgYDVR0PAQH/BAQDAgEGMBIGA1UdEwEB/wQIMAYBAf8CAQEwCgYIKoZIzj0EAwIDSQAwRgIhAOW/5QkR+S9CiSDcNoowLuPRLsWGf/Yi7GSX94BgwTwgAiEA4J0lrHoMs+Xo5o/sX6O9QWxHRAvZUGOdRQ7cvqRXaqI=";

    public const string IntelRootCaSha256 = "44a0196b2b99f889b8e149e95b807a350e7424964399e885a7cbb8ccfab674d3";

    /// <summary>Intel's chains have two or three certificates; more is no chain Intel issues.</summary>
    private const int MaxCertificates = 8;

    private const string EcdsaWithSha256 = "1.2.840.10045.4.3.2";
    private const string BasicConstraints = "2.5.29.19";
    private const string KeyUsage = "2.5.29.15";

    private readonly X509Certificate2 _root;
    private readonly Org.BouncyCastle.Asn1.X509.X509Name _rootName;
    private readonly DateTimeOffset _at;
    private readonly List<(string Name, X509Crl Crl, byte[] IssuerKey)> _crls = [];

    private CertificateChains(X509Certificate2 root, DateTimeOffset at) => (_root, _rootName, _at) = (root, Bc(root).SubjectDN, at);

    /// <summary>The built-in root, checked against its pin, and the collateral's CRLs, each checked against its issuer.</summary>
    public static CertificateChains Create(Collateral collateral, DateTimeOffset at)
    {
        var root = X509CertificateLoader.LoadCertificate(Convert.FromBase64String(IntelRootCaBase64));
        if (Convert.ToHexStringLower(SHA256.HashData(root.RawData)) != IntelRootCaSha256)
            throw new InvalidOperationException("the built-in Intel SGX Root CA does not match its pinned fingerprint");
        var chains = new CertificateChains(root, at);
        chains.AddCrl("root_ca_crl", collateral.RootCaCrl, root);
        if (chains._crls[0].Crl.IsRevoked(Bc(root)))
            throw new QuoteVerificationException("collateral root_ca_crl: the Intel SGX Root CA itself is revoked");
        var pckCrlIssuer = chains.Verify("collateral pck_crl_issuer_chain", Parse("collateral pck_crl_issuer_chain", Encoding.ASCII.GetBytes(collateral.PckCrlIssuerChain)));
        chains.AddCrl("pck_crl", collateral.PckCrl, pckCrlIssuer);
        return chains;
    }

    /// <summary>PEM certificates, leaf first, as Intel's issuer chains and the quote's certification data carry them.</summary>
    public static IReadOnlyList<X509Certificate2> Parse(string what, byte[] pem)
    {
        var text = Encoding.ASCII.GetString(pem).AsSpan().TrimEnd('\0');
        var certificates = new List<X509Certificate2>();
        while (PemEncoding.TryFind(text, out var fields))
        {
            if (!text[fields.Label].SequenceEqual("CERTIFICATE"))
                throw new QuoteVerificationException($"{what}: a PEM block labelled '{text[fields.Label]}', not CERTIFICATE");
            if (certificates.Count == MaxCertificates)
                throw new QuoteVerificationException($"{what}: more than {MaxCertificates} certificates");
            try
            {
                certificates.Add(X509CertificateLoader.LoadCertificate(Convert.FromBase64String(text[fields.Base64Data].ToString())));
            }
            catch (CryptographicException e)
            {
                throw new QuoteVerificationException($"{what}: certificate {certificates.Count + 1} is not an X.509 certificate ({e.Message})");
            }
            text = text[fields.Location.End..];
        }
        if (certificates.Count < 2)
            throw new QuoteVerificationException($"{what}: {certificates.Count} certificates, but a chain needs at least a leaf and its issuing CA");
        return certificates;
    }

    /// <summary>
    /// The path from the first certificate up to the built-in root, every certificate valid at the time of the check,
    /// signed by the next (ECDSA with SHA-256, verified by the platform), every issuer a CA whose path length allows the
    /// certificates below it, no unknown critical extension, and every certificate below the root unrevoked. An issuer
    /// named like the root is always the built-in root: a root in the input is never used. Returns the leaf.
    /// </summary>
    public X509Certificate2 Verify(string what, IReadOnlyList<X509Certificate2> certificates)
    {
        var current = certificates[0];
        for (var depth = 0; ; depth++)
        {
            var bc = Bc(current);
            CheckTimeAndExtensions(what, current, bc);
            if (current.RawData.AsSpan().SequenceEqual(_root.RawData))
                return certificates[0];
            if (depth == MaxCertificates)
                throw new QuoteVerificationException($"{what}: no path of at most {MaxCertificates} certificates to the Intel SGX Root CA");
            var issuer = bc.IssuerDN.Equivalent(_rootName)
                ? _root
                : certificates.FirstOrDefault(c => c != current && Bc(c).SubjectDN.Equivalent(bc.IssuerDN) && !Bc(c).SubjectDN.Equivalent(_rootName))
                    ?? throw new QuoteVerificationException($"{what}: the issuer '{current.Issuer}' of '{current.Subject}' is not in the chain, and it is not the Intel SGX Root CA");
            CheckSignature(what, current, bc, issuer);
            var pathLength = Bc(issuer).GetBasicConstraints();
            if (pathLength < depth)
                throw new QuoteVerificationException($"{what}: '{issuer.Subject}' is {(pathLength < 0 ? "not a CA" : $"a CA for {pathLength} intermediate certificates")}, but it issued '{current.Subject}'");
            if (Bc(issuer).GetKeyUsage() is { } usage && !usage[5])
                throw new QuoteVerificationException($"{what}: '{issuer.Subject}' may not sign certificates (key usage)");
            CheckRevocation(what, current, issuer);
            current = issuer;
        }
    }

    private void CheckTimeAndExtensions(string what, X509Certificate2 certificate, BcCertificate bc)
    {
        if (_at.UtcDateTime < bc.NotBefore || _at.UtcDateTime > bc.NotAfter)
            throw new QuoteVerificationException($"{what}: '{certificate.Subject}' is valid from {bc.NotBefore:yyyy-MM-ddTHH:mm:ssZ} to {bc.NotAfter:yyyy-MM-ddTHH:mm:ssZ}, not at the time of the check {_at:yyyy-MM-ddTHH:mm:ssZ}");
        if (bc.GetCriticalExtensionOids()?.FirstOrDefault(oid => oid is not (BasicConstraints or KeyUsage)) is { } unknown)
            throw new QuoteVerificationException($"{what}: '{certificate.Subject}' has a critical extension {unknown} that is not understood");
    }

    private static void CheckSignature(string what, X509Certificate2 certificate, BcCertificate bc, X509Certificate2 issuer)
    {
        if (bc.SigAlgOid != EcdsaWithSha256)
            throw new QuoteVerificationException($"{what}: '{certificate.Subject}' is signed with algorithm {bc.SigAlgOid}, not ECDSA with SHA-256 as Intel signs");
        using var key = issuer.GetECDsaPublicKey();
        if (key is null || !key.VerifyData(bc.GetTbsCertificate(), bc.GetSignature(), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence))
            throw new QuoteVerificationException($"{what}: the signature of '{certificate.Subject}' by '{issuer.Subject}' is invalid");
    }

    private void CheckRevocation(string what, X509Certificate2 certificate, X509Certificate2 issuer)
    {
        var issuerKey = issuer.PublicKey.EncodedKeyValue.RawData;
        var bcCertificate = Bc(certificate);
        var (name, crl, _) = _crls.FirstOrDefault(c => c.IssuerKey.AsSpan().SequenceEqual(issuerKey) && c.Crl.IssuerDN.Equivalent(bcCertificate.IssuerDN));
        if (crl is null)
            throw new QuoteVerificationException($"{what}: no CRL in the collateral from '{issuer.Subject}' to check '{certificate.Subject}' against");
        if (crl.IsRevoked(bcCertificate))
            throw new QuoteVerificationException($"{what}: '{certificate.Subject}' (serial {certificate.SerialNumber}) is revoked by the collateral's {name}");
    }

    private void AddCrl(string name, byte[] der, X509Certificate2 issuer)
    {
        X509Crl crl;
        try
        {
            crl = new X509CrlParser().ReadCrl(der) ?? throw new QuoteVerificationException($"collateral {name}: empty");
        }
        catch (Exception e) when (e is CrlException or IOException or ArgumentException or InvalidOperationException)
        {
            throw new QuoteVerificationException($"collateral {name}: not a DER certificate revocation list ({e.Message})");
        }
        var bcIssuer = Bc(issuer);
        if (!crl.IssuerDN.Equivalent(bcIssuer.SubjectDN))
            throw new QuoteVerificationException($"collateral {name}: issued by '{crl.IssuerDN}', not by '{issuer.Subject}'");
        if (crl.SigAlgOid != EcdsaWithSha256)
            throw new QuoteVerificationException($"collateral {name}: signed with algorithm {crl.SigAlgOid}, not ECDSA with SHA-256 as Intel signs");
        using (var key = issuer.GetECDsaPublicKey())
        {
            if (key is null || !key.VerifyData(crl.GetTbsCertList(), crl.GetSignature(), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence))
                throw new QuoteVerificationException($"collateral {name}: its signature by '{issuer.Subject}' is invalid");
        }
        if (crl.NextUpdate is { } next && next < _at.UtcDateTime)
            throw new QuoteVerificationException($"collateral {name}: expired at {next:yyyy-MM-ddTHH:mm:ssZ} (its nextUpdate), before the time of the check {_at:yyyy-MM-ddTHH:mm:ssZ}");
        _crls.Add((name, crl, issuer.PublicKey.EncodedKeyValue.RawData));
    }

    private static BcCertificate Bc(X509Certificate2 certificate)
    {
        try
        {
            return new BcCertificate(certificate.RawData);
        }
        catch (Exception e) when (e is CertificateException or ArgumentException or IOException)
        {
            throw new QuoteVerificationException($"certificate '{certificate.Subject}' cannot be read for its revocation check ({e.Message})");
        }
    }
}
