using System.Buffers.Binary;
using TeeLauncher.Values;

namespace TeeLauncher.Verification;

/// <summary>A TCB status with its advisories; merging keeps the worse status and every advisory once, in order.</summary>
public sealed record TcbVerdict(TcbStatus Status, IReadOnlyList<string> AdvisoryIds)
{
    public TcbVerdict Merge(TcbVerdict other) =>
        new(other.Status > Status ? other.Status : Status, [.. AdvisoryIds.Union(other.AdvisoryIds, StringComparer.Ordinal)]);
}

/// <summary>
/// The TCB rules of Intel's QVL as Phala-Network/dcap-qvl implements them (src/verify.rs at commit
/// 7979a1afb55319328a4e9587be971a636ff72c97: match_platform_tcb, match_tdx_module_identity,
/// verify_qe_identity_policy, validate_attrs).
/// </summary>
public static class TcbEvaluation
{
    /// <summary>
    /// The platform's TCB level: levels sorted as Intel's QVL sorts them (SGX components, then PCESVN, then TDX
    /// components, highest first), the first whose SGX components and PCESVN the PCK certificate reaches and whose TDX
    /// components the quote's TEE TCB SVN reaches; then the TDX module identity's status merged in.
    /// </summary>
    public static TcbVerdict Platform(TcbInfo info, TdReport report, PckExtensions pck)
    {
        if (info.Header.Id != "TDX" || info.Header.Version < 3)
            throw new QuoteVerificationException($"collateral tcb_info: id '{info.Header.Id}' version {info.Header.Version} is no TDX TCB Info (id TDX, version 3)");
        if (!info.Fmspc.AsSpan().SequenceEqual(pck.Fmspc))
            throw new QuoteVerificationException($"collateral tcb_info: FMSPC {Convert.ToHexString(info.Fmspc)} is not the PCK certificate's {Convert.ToHexString(pck.Fmspc)}: the TCB Info is for another platform");
        if (!info.PceId.AsSpan().SequenceEqual(pck.PceId))
            throw new QuoteVerificationException($"collateral tcb_info: PCE ID {Convert.ToHexString(info.PceId)} is not the PCK certificate's {Convert.ToHexString(pck.PceId)}");
        foreach (var level in info.Levels.Order(Comparer<TcbLevel>.Create(HighestFirst)))
        {
            if (level.SgxComponents.Length != pck.CpuSvn.Length || level.TdxComponents.Length != report.TeeTcbSvn.Length)
                throw new QuoteVerificationException($"collateral tcb_info: a TCB level has {level.SgxComponents.Length} SGX and {level.TdxComponents.Length} TDX components, not 16 and 16");
            if (pck.PceSvn < level.PceSvn || !Reaches(pck.CpuSvn, level.SgxComponents) || !Reaches(report.TeeTcbSvn, level.TdxComponents))
                continue;
            var verdict = new TcbVerdict(level.Status, level.AdvisoryIds);
            return Module(info, report) is { } module ? verdict.Merge(module) : verdict;
        }
        throw new QuoteVerificationException("TCB: no TCB level of the collateral's tcb_info matches the platform (its SVNs are below every level)");
    }

    /// <summary>
    /// The TDX module: MRSIGNERSEAM and the SEAM attributes (under the mask, and no bit outside it) must be the TCB Info's
    /// <c>tdxModule</c>, or for module version TEE_TCB_SVN[1] &gt; 0 the identity <c>TDX_xx</c>, whose TCB levels give the
    /// module's status by its ISVSVN (TEE_TCB_SVN[0]).
    /// </summary>
    private static TcbVerdict? Module(TcbInfo info, TdReport report)
    {
        var module = info.TdxModule ?? throw new QuoteVerificationException("collateral tcb_info: it has no tdxModule");
        var (isvSvn, version) = (report.TeeTcbSvn[0], report.TeeTcbSvn[1]);
        if (version > 0 && info.TdxModuleIdentities.Count > 0)
        {
            var id = $"TDX_{version:X2}";
            module = info.TdxModuleIdentities.FirstOrDefault(m => string.Equals(m.Id, id, StringComparison.OrdinalIgnoreCase))
                ?? throw new QuoteVerificationException($"TCB: the collateral's tcb_info has no TDX module identity {id} for the quote's module");
        }
        if (!report.MrSignerSeam.AsSpan().SequenceEqual(module.MrSigner))
            throw new QuoteVerificationException($"TCB: the TDX module's MRSIGNERSEAM {Convert.ToHexStringLower(report.MrSignerSeam)} is not the collateral's {Convert.ToHexStringLower(module.MrSigner)}");
        for (var i = 0; i < 8; i++)
        {
            if ((report.SeamAttributes[i] & module.AttributesMask[i]) != (module.Attributes[i] & module.AttributesMask[i]) || (report.SeamAttributes[i] & ~module.AttributesMask[i]) != 0)
                throw new QuoteVerificationException($"TCB: the TDX module's SEAM attributes {Convert.ToHexStringLower(report.SeamAttributes)} are not the collateral's under its mask");
        }
        if (module.Levels.Count == 0)
            return null;
        var level = module.Levels.FirstOrDefault(l => isvSvn >= l.IsvSvn)
            ?? throw new QuoteVerificationException($"TCB: the TDX module's ISVSVN {isvSvn} is below every TCB level of {module.Id}");
        return new TcbVerdict(level.Status, level.AdvisoryIds);
    }

    /// <summary>The quoting enclave: MRSIGNER, not in debug mode, ISVPRODID, MISCSELECT and ATTRIBUTES under their masks, then its TCB level by ISVSVN.</summary>
    public static TcbVerdict QuotingEnclave(QeIdentity identity, QeReport report)
    {
        if (identity.Header.Id != "TD_QE" || identity.Header.Version is not (2 or 3))
            throw new QuoteVerificationException($"collateral qe_identity: id '{identity.Header.Id}' version {identity.Header.Version} is not the TDX QE identity (TD_QE, version 2 or 3)");
        if (!report.MrSigner.AsSpan().SequenceEqual(identity.MrSigner))
            throw new QuoteVerificationException($"QE identity: the QE's MRSIGNER {Convert.ToHexStringLower(report.MrSigner)} is not the collateral's {Convert.ToHexStringLower(identity.MrSigner)}");
        if ((report.Attributes[0] & 0x02) != 0)
            throw new QuoteVerificationException("QE identity: the quoting enclave runs in debug mode");
        if (report.IsvProdId != identity.IsvProdId)
            throw new QuoteVerificationException($"QE identity: the QE's ISVPRODID {report.IsvProdId} is not the collateral's {identity.IsvProdId}");
        if (!MaskedEqual(report.MiscSelect, identity.MiscSelect, identity.MiscSelectMask))
            throw new QuoteVerificationException($"QE identity: the QE's MISCSELECT {Convert.ToHexStringLower(report.MiscSelect)} is not the collateral's under its mask");
        if (!MaskedEqual(report.Attributes, identity.Attributes, identity.AttributesMask))
            throw new QuoteVerificationException($"QE identity: the QE's ATTRIBUTES {Convert.ToHexStringLower(report.Attributes)} are not the collateral's under its mask");
        var level = identity.Levels.FirstOrDefault(l => report.IsvSvn >= l.IsvSvn)
            ?? throw new QuoteVerificationException($"QE identity: the QE's ISVSVN {report.IsvSvn} is below every TCB level of the collateral's qe_identity");
        return new TcbVerdict(level.Status, level.AdvisoryIds);
    }

    /// <summary>
    /// What dcap-qvl and Intel's QVL refuse in the TD attributes: a debug TD (TUD bit 0), any reserved bit (TUD 7:1,
    /// SEC 27:8 and 29, OTHER 62:32), SEPT_VE_DISABLE (bit 28) clear; for TD 1.5 a service TD bound (MRSERVICETD not zero).
    /// </summary>
    public static void TdAttributes(TdReport report)
    {
        var attributes = BinaryPrimitives.ReadUInt64LittleEndian(report.TdAttributes);
        if ((attributes & 1) != 0)
            throw new QuoteVerificationException("TD attributes: the TD runs in debug mode (TUD.DEBUG): its memory and state are open to the host");
        const ulong reserved = 0xFEUL | 0x0FFF_FF00UL | (1UL << 29) | 0x7FFF_FFFF_0000_0000UL;
        if ((attributes & reserved) != 0)
            throw new QuoteVerificationException($"TD attributes: reserved bits are set ({Convert.ToHexStringLower(report.TdAttributes)})");
        if ((attributes & (1UL << 28)) == 0)
            throw new QuoteVerificationException("TD attributes: SEPT_VE_DISABLE is clear");
        if (report.MrServiceTd is { } serviceTd && serviceTd.AsSpan().IndexOfAnyExcept((byte)0) >= 0)
            throw new QuoteVerificationException("TD attributes: MRSERVICETD is set: the TD is bound to a service TD");
    }

    private static bool Reaches(byte[] actual, byte[] required)
    {
        for (var i = 0; i < required.Length; i++)
        {
            if (actual[i] < required[i])
                return false;
        }
        return true;
    }

    private static bool MaskedEqual(byte[] actual, byte[] expected, byte[] mask)
    {
        for (var i = 0; i < mask.Length; i++)
        {
            if ((actual[i] & mask[i]) != (expected[i] & mask[i]))
                return false;
        }
        return true;
    }

    private static int HighestFirst(TcbLevel a, TcbLevel b)
    {
        var bySgx = b.SgxComponents.AsSpan().SequenceCompareTo(a.SgxComponents);
        if (bySgx != 0)
            return bySgx;
        var byPce = b.PceSvn.CompareTo(a.PceSvn);
        return byPce != 0 ? byPce : b.TdxComponents.AsSpan().SequenceCompareTo(a.TdxComponents);
    }
}
