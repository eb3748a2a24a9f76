using TeeLauncher.Values;
using TeeLauncher.Verification;
using static TeeLauncher.Tests.Verification.QuoteSamples;

namespace TeeLauncher.Tests.Verification;

/// <summary>
/// The TCB rules on the real parts of dcap-qvl's samples (TCB Info, QE identity, TD report, PCK extensions), with the
/// levels' statuses restated as dcap-qvl's tests/verify_tcb_override.rs does (no public sample pairs a verifying quote
/// with a level that is not UpToDate): the status and advisories of the level that matches are the verdict.
/// </summary>
public sealed class TcbEvaluationTests
{
    private static readonly TdxQuote Quote = TdxQuote.Parse(Bytes("tdx_quote"));
    private static readonly TcbInfo Info = TcbInfo.Parse(Collateral("tdx_quote_collateral.json").TcbInfo);
    private static readonly QeIdentity Qe = QeIdentity.Parse(Collateral("tdx_quote_collateral.json").QeIdentity);
    private static readonly PckExtensions Pck = PckExtensions.Read(CertificateChains.Parse("test", Quote.PckChainPem)[0]);

    [Fact]
    public void The_sample_platform_matches_an_up_to_date_level()
    {
        TcbEvaluation.Platform(Info, Quote.Report, Pck).Should().BeEquivalentTo(new TcbVerdict(TcbStatus.UpToDate, []));
        Convert.ToHexString(Pck.Fmspc).Should().Be("B0C06F000000");
    }

    [Theory]
    [InlineData(TcbStatus.OutOfDate)]
    [InlineData(TcbStatus.SWHardeningNeeded)]
    [InlineData(TcbStatus.Revoked)]
    public void The_matching_level_gives_its_status_and_advisories(TcbStatus status)
    {
        var restated = Info with { Levels = [.. Info.Levels.Select(l => l with { Status = status, AdvisoryIds = ["INTEL-SA-00837"] })] };

        var verdict = TcbEvaluation.Platform(restated, Quote.Report, Pck);

        verdict.Status.Should().Be(status);
        verdict.AdvisoryIds.Should().Equal("INTEL-SA-00837");
    }

    [Fact]
    public void A_platform_below_the_first_level_gets_the_next_one_that_it_reaches()
    {
        var top = Info.Levels.OrderByDescending(l => l.TdxComponents[0]).First();
        var raised = top with { TdxComponents = [.. top.TdxComponents.Select((svn, i) => i == 0 ? (byte)255 : svn)] };
        var lower = top with { Status = TcbStatus.OutOfDate, AdvisoryIds = ["INTEL-SA-01079"] };

        var verdict = TcbEvaluation.Platform(Info with { Levels = [lower, raised] }, Quote.Report, Pck);

        verdict.Should().BeEquivalentTo(new TcbVerdict(TcbStatus.OutOfDate, ["INTEL-SA-01079"]));
    }

    [Fact]
    public void A_tdx_module_identity_level_merges_into_the_platform_status()
    {
        var module = Info.TdxModuleIdentities.Single(m => m.Id == $"TDX_{Quote.Report.TeeTcbSvn[1]:X2}");
        var outdated = module with { Levels = [.. module.Levels.Select(l => l with { Status = TcbStatus.OutOfDate, AdvisoryIds = ["INTEL-SA-01036"] })] };

        var verdict = TcbEvaluation.Platform(Info with { TdxModuleIdentities = [outdated] }, Quote.Report, Pck);

        verdict.Should().BeEquivalentTo(new TcbVerdict(TcbStatus.OutOfDate, ["INTEL-SA-01036"]));
    }

    [Fact]
    public void The_quoting_enclave_of_the_sample_is_up_to_date_and_one_below_every_level_is_refused()
    {
        TcbEvaluation.QuotingEnclave(Qe, Quote.QeReport).Status.Should().Be(TcbStatus.UpToDate);

        var raised = Qe with { Levels = [.. Qe.Levels.Select(l => l with { IsvSvn = (ushort)(Quote.QeReport.IsvSvn + 1) })] };
        var check = () => TcbEvaluation.QuotingEnclave(raised, Quote.QeReport);

        check.Should().Throw<QuoteVerificationException>().WithMessage("QE identity: the QE's ISVSVN * is below every TCB level*");
    }

    [Fact]
    public void Another_quoting_enclave_signer_is_refused()
    {
        var check = () => TcbEvaluation.QuotingEnclave(Qe with { MrSigner = new byte[32] }, Quote.QeReport);

        check.Should().Throw<QuoteVerificationException>().WithMessage("QE identity: the QE's MRSIGNER * is not the collateral's*");
    }

    [Fact]
    public void The_worse_status_wins_and_advisories_are_kept_once()
    {
        var merged = new TcbVerdict(TcbStatus.SWHardeningNeeded, ["A", "B"]).Merge(new TcbVerdict(TcbStatus.OutOfDate, ["B", "C"]));

        merged.Status.Should().Be(TcbStatus.OutOfDate);
        merged.AdvisoryIds.Should().Equal("A", "B", "C");
    }

    [Theory]
    [InlineData(0, 0x01, "*debug mode*")]
    [InlineData(0, 0x02, "*reserved bits*")]
    [InlineData(3, 0x20, "*reserved bits*")]
    [InlineData(3, 0x10, "*SEPT_VE_DISABLE is clear*")]
    [InlineData(5, 0x01, "*reserved bits*")]
    public void Td_attributes_that_dcap_qvl_refuses_are_refused(int index, byte flip, string message)
    {
        var attributes = Quote.Report.TdAttributes.ToArray();
        attributes[index] ^= flip;

        var check = () => TcbEvaluation.TdAttributes(Quote.Report with { TdAttributes = attributes });

        check.Should().Throw<QuoteVerificationException>().WithMessage(message);
    }

    [Fact]
    public void The_sample_td_attributes_pass_and_perfmon_is_allowed()
    {
        TcbEvaluation.TdAttributes(Quote.Report);
        var attributes = Quote.Report.TdAttributes.ToArray();
        attributes[7] |= 0x80;

        TcbEvaluation.TdAttributes(Quote.Report with { TdAttributes = attributes });
    }

    [Fact]
    public void A_td_bound_to_a_service_td_is_refused()
    {
        var check = () => TcbEvaluation.TdAttributes(Quote.Report with { MrServiceTd = [.. new byte[47], 1] });

        check.Should().Throw<QuoteVerificationException>().WithMessage("*MRSERVICETD*");
    }
}
