using TeeLauncher.Tests.Support;
using TeeLauncher.Verification;

namespace TeeLauncher.Tests.Verification;

/// <summary>
/// Real TDX quotes and their collateral from Phala-Network/dcap-qvl (tests/fixtures/quotes/README.md), with a time of
/// check inside each collateral's validity window, as dcap-qvl's tests pick one (now_from_collateral).
/// </summary>
public static class QuoteSamples
{
    /// <summary>dcap-qvl sample/tdx_quote (version 4, TD 1.0); collateral valid 2025-06-19 to 2025-07-19.</summary>
    public static readonly DateTimeOffset TdxQuoteAt = DateTimeOffset.Parse("2025-07-01T00:00:00Z");

    /// <summary>dcap-qvl sample/tdx_quote_outdated (version 5); collateral valid 2026-02-18 to 2026-03-20.</summary>
    public static readonly DateTimeOffset OutdatedAt = DateTimeOffset.Parse("2026-03-01T00:00:00Z");

    public static string PathOf(string name) => RepositoryFiles.InRepository("tests", "fixtures", "quotes", name);

    public static byte[] Bytes(string name) => File.ReadAllBytes(PathOf(name));

    public static Collateral Collateral(string name) => TeeLauncher.Verification.Collateral.Parse(name, Bytes(name));
}
