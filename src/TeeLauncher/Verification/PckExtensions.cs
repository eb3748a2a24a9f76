using System.Security.Cryptography.X509Certificates;
using Org.BouncyCastle.Asn1;

namespace TeeLauncher.Verification;

/// <summary>
/// The SGX extensions of a PCK certificate (OID 1.2.840.113741.1.13.1; Intel's "SGX PCK Certificate and Certificate
/// Revocation List Profile Specification", section 1.5): the platform's TCB (CPUSVN and PCESVN), PCE ID and FMSPC.
/// </summary>
public sealed record PckExtensions(byte[] CpuSvn, ushort PceSvn, byte[] PceId, byte[] Fmspc)
{
    private const string SgxExtensions = "1.2.840.113741.1.13.1";
    private const string Tcb = SgxExtensions + ".2";
    private const string PceSvnOid = Tcb + ".17";
    private const string CpuSvnOid = Tcb + ".18";
    private const string PceIdOid = SgxExtensions + ".3";
    private const string FmspcOid = SgxExtensions + ".4";

    public static PckExtensions Read(X509Certificate2 pck)
    {
        var extension = pck.Extensions[SgxExtensions]
            ?? throw new QuoteVerificationException("PCK certificate: it has no SGX extensions (OID 1.2.840.113741.1.13.1)");
        try
        {
            var entries = Entries(Asn1Object.FromByteArray(extension.RawData));
            var tcb = Entries(Required(entries, Tcb));
            return new PckExtensions(
                Octets(Required(tcb, CpuSvnOid), 16, "CPUSVN"),
                Svn(Required(tcb, PceSvnOid)),
                Octets(Required(entries, PceIdOid), 2, "PCE ID"),
                Octets(Required(entries, FmspcOid), 6, "FMSPC"));
        }
        catch (Exception e) when (e is IOException or ArgumentException or InvalidCastException or InvalidOperationException)
        {
            throw new QuoteVerificationException($"PCK certificate: its SGX extensions are not the DER Intel defines ({e.Message})");
        }
    }

    /// <summary>A SEQUENCE of SEQUENCE { OBJECT IDENTIFIER, value }, by OID; an OID given twice is refused.</summary>
    private static Dictionary<string, Asn1Encodable> Entries(Asn1Encodable value)
    {
        var entries = new Dictionary<string, Asn1Encodable>(StringComparer.Ordinal);
        foreach (var item in Asn1Sequence.GetInstance(value))
        {
            var pair = Asn1Sequence.GetInstance(item);
            if (pair.Count != 2)
                throw new QuoteVerificationException("PCK certificate: an SGX extension entry is not an (OID, value) pair");
            if (!entries.TryAdd(DerObjectIdentifier.GetInstance(pair[0]).Id, pair[1]))
                throw new QuoteVerificationException($"PCK certificate: the SGX extension {DerObjectIdentifier.GetInstance(pair[0]).Id} is given twice");
        }
        return entries;
    }

    private static Asn1Encodable Required(Dictionary<string, Asn1Encodable> entries, string oid) =>
        entries.GetValueOrDefault(oid) ?? throw new QuoteVerificationException($"PCK certificate: the SGX extension {oid} is missing");

    private static byte[] Octets(Asn1Encodable value, int length, string what)
    {
        var octets = Asn1OctetString.GetInstance(value).GetOctets();
        return octets.Length == length
            ? octets
            : throw new QuoteVerificationException($"PCK certificate: {what} is {octets.Length} bytes, not {length}");
    }

    private static ushort Svn(Asn1Encodable value) =>
        DerInteger.GetInstance(value).IntValueExact is var svn and >= 0 and <= ushort.MaxValue
            ? (ushort)svn
            : throw new QuoteVerificationException("PCK certificate: PCESVN is out of range");
}
