using System.Buffers.Binary;

namespace TeeLauncher.Verification;

/// <summary>The TD report of a quote (TD 1.0, and TD 1.5 with <see cref="TeeTcbSvn2"/> and <see cref="MrServiceTd"/>).</summary>
public sealed record TdReport(
    byte[] TeeTcbSvn,
    byte[] MrSeam,
    byte[] MrSignerSeam,
    byte[] SeamAttributes,
    byte[] TdAttributes,
    byte[] Xfam,
    byte[] MrTd,
    byte[] MrConfigId,
    byte[] MrOwner,
    byte[] MrOwnerConfig,
    IReadOnlyList<byte[]> Rtmrs,
    byte[] ReportData,
    byte[]? TeeTcbSvn2,
    byte[]? MrServiceTd);

/// <summary>The quoting enclave's SGX report, signed by the PCK key.</summary>
public sealed record QeReport(
    byte[] Bytes,
    byte[] CpuSvn,
    byte[] MiscSelect,
    byte[] Attributes,
    byte[] MrEnclave,
    byte[] MrSigner,
    ushort IsvProdId,
    ushort IsvSvn,
    byte[] ReportData);

/// <summary>
/// An Intel TDX DCAP quote, version 4 or 5, with ECDSA-P256 attestation key and the PCK certificate chain in its
/// certification data (Intel TDX DCAP Quoting Library API, appendix A; the layout Phala-Network/dcap-qvl src/quote.rs
/// decodes). <see cref="SignedBytes"/> is what the attestation key signs: the header and the body.
/// </summary>
public sealed record TdxQuote(
    ushort Version,
    ushort QeSvn,
    ushort PceSvn,
    string BodyKind,
    TdReport Report,
    byte[] SignedBytes,
    byte[] Signature,
    byte[] AttestationKey,
    QeReport QeReport,
    byte[] QeReportSignature,
    byte[] QeAuthData,
    byte[] PckChainPem)
{
    /// <summary>Far above a real quote (about 5 KB; GCP pads to 8,000 bytes).</summary>
    public const int MaxBytes = 64 << 10;

    public const string TdBody10 = "TD 1.0";
    public const string TdBody15 = "TD 1.5";

    private const int HeaderSize = 48;
    private const int Td10Size = 584;
    private const int Td15Size = 648;
    private const int QeReportSize = 384;
    private const ushort EcdsaP256KeyType = 2;
    private const uint TdxTeeType = 0x81;
    private const ushort QeReportCertificationData = 6;
    private const ushort PckCertChainCertificationData = 5;

    private static ReadOnlySpan<byte> IntelQeVendorId =>
        [0x93, 0x9A, 0x72, 0x33, 0xF7, 0x9C, 0x4C, 0xA9, 0x94, 0x0A, 0x0D, 0xB3, 0x95, 0x7F, 0x06, 0x07];

    /// <summary>Reads a quote strictly: every length must fit, and after the signature data only zero padding may follow.</summary>
    public static TdxQuote Parse(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length > MaxBytes)
            throw new QuoteVerificationException($"quote: {bytes.Length} bytes, more than the {MaxBytes} a quote can be");
        var at = new Cursor(bytes);
        var version = at.UInt16("version");
        if (version is not (4 or 5))
            throw at.Problem(0, $"version {version}: only TDX quotes of version 4 and 5 are verified");
        var keyType = at.UInt16("attestation key type");
        if (keyType != EcdsaP256KeyType)
            throw at.Problem(2, $"attestation key type {keyType}: only ECDSA-256 with P-256 (2) is verified");
        var teeType = at.UInt32("TEE type");
        if (teeType != TdxTeeType)
            throw at.Problem(4, $"TEE type 0x{teeType:x}: not a TDX quote (0x81)");
        var qeSvn = at.UInt16("QE SVN");
        var pceSvn = at.UInt16("PCE SVN");
        if (!at.Bytes(16, "QE vendor ID").SequenceEqual(IntelQeVendorId))
            throw at.Problem(12, "QE vendor ID is not Intel's (939a7233f79c4ca9940a0db3957f0607)");
        at.Bytes(20, "user data");

        var (kind, bodySize) = (TdBody10, Td10Size);
        if (version == 5)
        {
            var bodyType = at.UInt16("body type");
            (kind, bodySize) = bodyType switch
            {
                2 => (TdBody10, Td10Size),
                3 => (TdBody15, Td15Size),
                _ => throw at.Problem(HeaderSize, $"body type {bodyType}: only TD report bodies (2: TD 1.0, 3: TD 1.5) are verified"),
            };
            var declared = at.UInt32("body size");
            if (declared != bodySize)
                throw at.Problem(HeaderSize + 2, $"body size {declared}, but a {kind} body is {bodySize} bytes");
        }
        var report = ReadReport(ref at, kind == TdBody15);
        var signedBytes = bytes[..at.Offset].ToArray();

        var signatureDataStart = at.Offset;
        var signatureDataSize = at.UInt32("signature data size");
        var signatureDataEnd = at.End(signatureDataSize, "signature data");
        var signature = at.Bytes(64, "quote signature").ToArray();
        var attestationKey = at.Bytes(64, "attestation key").ToArray();
        var outerType = at.UInt16("certification data type");
        if (outerType != QeReportCertificationData)
            throw at.Problem(at.Offset - 2, $"certification data type {outerType}: expected 6 (QE report certification data)");
        var outerEnd = at.End(at.UInt32("certification data size"), "certification data");
        var qeReport = ReadQeReport(at.Bytes(QeReportSize, "QE report"));
        var qeReportSignature = at.Bytes(64, "QE report signature").ToArray();
        var authData = at.Bytes(at.UInt16("QE authentication data size"), "QE authentication data").ToArray();
        var innerType = at.UInt16("PCK certification data type");
        if (innerType != PckCertChainCertificationData)
            throw at.Problem(at.Offset - 2, $"PCK certification data type {innerType}: expected 5 (PCK certificate chain)");
        var chainSize = at.UInt32("PCK certificate chain size");
        var chain = at.Bytes(at.End(chainSize, "PCK certificate chain") - at.Offset, "PCK certificate chain").ToArray();
        if (at.Offset != outerEnd || outerEnd != signatureDataEnd)
            throw at.Problem(at.Offset, $"the certification data ends at byte {at.Offset}, but the signature data that starts at byte {signatureDataStart} says it ends at byte {signatureDataEnd}");
        if (bytes[at.Offset..].IndexOfAnyExcept((byte)0) is var junk and >= 0)
            throw at.Problem(at.Offset + junk, "bytes after the signature data: only zero padding may follow a quote");

        return new TdxQuote(version, qeSvn, pceSvn, kind, report, signedBytes, signature, attestationKey, qeReport,
            qeReportSignature, authData, chain);
    }

    private static TdReport ReadReport(ref Cursor at, bool td15)
    {
        var teeTcbSvn = at.Bytes(16, "TEE TCB SVN").ToArray();
        var mrSeam = at.Bytes(48, "MRSEAM").ToArray();
        var mrSignerSeam = at.Bytes(48, "MRSIGNERSEAM").ToArray();
        var seamAttributes = at.Bytes(8, "SEAM attributes").ToArray();
        var tdAttributes = at.Bytes(8, "TD attributes").ToArray();
        var xfam = at.Bytes(8, "XFAM").ToArray();
        var mrTd = at.Bytes(48, "MRTD").ToArray();
        var mrConfigId = at.Bytes(48, "MRCONFIGID").ToArray();
        var mrOwner = at.Bytes(48, "MROWNER").ToArray();
        var mrOwnerConfig = at.Bytes(48, "MROWNERCONFIG").ToArray();
        var rtmrs = new byte[4][];
        for (var i = 0; i < 4; i++)
            rtmrs[i] = at.Bytes(48, $"RTMR{i}").ToArray();
        var reportData = at.Bytes(64, "report data").ToArray();
        return td15
            ? new TdReport(teeTcbSvn, mrSeam, mrSignerSeam, seamAttributes, tdAttributes, xfam, mrTd, mrConfigId, mrOwner,
                mrOwnerConfig, rtmrs, reportData, at.Bytes(16, "TEE TCB SVN 2").ToArray(), at.Bytes(48, "MRSERVICETD").ToArray())
            : new TdReport(teeTcbSvn, mrSeam, mrSignerSeam, seamAttributes, tdAttributes, xfam, mrTd, mrConfigId, mrOwner,
                mrOwnerConfig, rtmrs, reportData, null, null);
    }

    /// <summary>The SGX report layout: CPUSVN, MISCSELECT, reserved, ATTRIBUTES, MRENCLAVE, reserved, MRSIGNER, reserved, ISVPRODID, ISVSVN, reserved, REPORTDATA.</summary>
    private static QeReport ReadQeReport(ReadOnlySpan<byte> report) => new(
        report.ToArray(),
        report[..16].ToArray(),
        report[16..20].ToArray(),
        report[48..64].ToArray(),
        report[64..96].ToArray(),
        report[128..160].ToArray(),
        BinaryPrimitives.ReadUInt16LittleEndian(report[256..]),
        BinaryPrimitives.ReadUInt16LittleEndian(report[258..]),
        report[320..384].ToArray());

    /// <summary>Reads little-endian fields in order; running out of bytes is a problem naming the field and its offset.</summary>
    private ref struct Cursor(ReadOnlySpan<byte> bytes)
    {
        private readonly ReadOnlySpan<byte> _bytes = bytes;

        public int Offset { get; private set; }

        public ReadOnlySpan<byte> Bytes(int count, string what)
        {
            if (count > _bytes.Length - Offset)
                throw Problem(Offset, $"the quote ends inside its {what} ({count} bytes needed, {_bytes.Length - Offset} left)");
            var value = _bytes.Slice(Offset, count);
            Offset += count;
            return value;
        }

        public ushort UInt16(string what) => BinaryPrimitives.ReadUInt16LittleEndian(Bytes(2, what));

        public uint UInt32(string what) => BinaryPrimitives.ReadUInt32LittleEndian(Bytes(4, what));

        /// <summary>The end offset of a region of <paramref name="size"/> bytes from here, which must lie inside the quote.</summary>
        public readonly int End(uint size, string what) =>
            size <= (uint)(_bytes.Length - Offset)
                ? Offset + (int)size
                : throw Problem(Offset, $"the {what} size {size} runs past the end of the quote ({_bytes.Length - Offset} bytes left)");

        public readonly QuoteVerificationException Problem(int offset, string message) =>
            new($"quote: at byte {offset}: {message}");
    }
}
