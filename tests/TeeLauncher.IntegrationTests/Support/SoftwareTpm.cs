using System.Text.RegularExpressions;

namespace TeeLauncher.IntegrationTests.Support;

/// <summary>The swtpm started by the test environment, driven with tpm2-tools.</summary>
public static partial class SoftwareTpm
{
    /// <summary>PCR 16 is the debug PCR: resettable from locality 0, so each test starts from a known value.</summary>
    public const int DebugPcr = 16;

    private static Dictionary<string, string?> Tcti => new() { ["TPM2TOOLS_TCTI"] = TestEnvironment.TpmTcti };

    public static async Task ResetAsync(int pcr) =>
        (await ToolRun.RunAsync("tpm2_pcrreset", [pcr.ToString()], environment: Tcti)).Succeeded("tpm2_pcrreset");

    public static async Task ExtendAsync(int pcr, byte[] sha256, byte[] sha384) =>
        (await ToolRun.RunAsync("tpm2_pcrextend",
            [$"{pcr}:sha256={Convert.ToHexStringLower(sha256)},sha384={Convert.ToHexStringLower(sha384)}"], environment: Tcti))
        .Succeeded("tpm2_pcrextend");

    /// <summary>Reads one PCR in the sha256 and sha384 banks.</summary>
    public static async Task<(byte[] Sha256, byte[] Sha384)> ReadAsync(int pcr)
    {
        var output = (await ToolRun.RunAsync("tpm2_pcrread", [$"sha256:{pcr}+sha384:{pcr}"], environment: Tcti)).Succeeded("tpm2_pcrread").Out;
        var values = PcrValue().Matches(output).Select(m => Convert.FromHexString(m.Groups[1].Value)).ToList();
        values.Should().HaveCount(2, output);
        return (values[0], values[1]);
    }

    [GeneratedRegex(@"\d+\s*:\s*0x([0-9A-Fa-f]+)")]
    private static partial Regex PcrValue();
}
