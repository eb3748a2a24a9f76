using CliWrap;
using CliWrap.Buffered;
using TeeLauncher.Errors;

namespace TeeLauncher.Measurement;

/// <summary>tpm2-tools through one TCTI: the tpm backend's PCR and, on GCP, dstack's PCR 14.</summary>
public sealed class Tpm2Tools(string tcti)
{
    public string Tcti => tcti;

    /// <summary>Reads the PCR in the named banks ("sha256", "sha384"); fails with the TPM's answer when it does not answer.</summary>
    public async Task<string> ReadPcrAsync(int pcr, IReadOnlyList<string> banks, CancellationToken cancellationToken)
    {
        var read = await RunAsync("tpm2_pcrread", [string.Join('+', banks.Select(b => $"{b}:{pcr}"))], cancellationToken);
        if (read.ExitCode != 0)
            throw new MeasurementException($"the TPM at {tcti} does not answer (tpm2_pcrread): {OneLine(read.StandardError)} (measurement.tpm_tcti)");
        return read.StandardOutput;
    }

    /// <summary>Extends the PCR with one digest per bank, as <c>bank=hex</c> pairs.</summary>
    public async Task ExtendPcrAsync(int pcr, IReadOnlyList<(string Bank, byte[] Digest)> digests, string eventName, CancellationToken cancellationToken)
    {
        var values = $"{pcr}:{string.Join(',', digests.Select(d => $"{d.Bank}={Convert.ToHexStringLower(d.Digest)}"))}";
        var extend = await RunAsync("tpm2_pcrextend", [values], cancellationToken);
        if (extend.ExitCode != 0)
            throw new MeasurementException($"tpm2_pcrextend of event '{eventName}' into PCR {pcr} failed: {OneLine(extend.StandardError)}");
    }

    private async Task<BufferedCommandResult> RunAsync(string tool, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        try
        {
            return await CliWrap.Cli.Wrap(tool)
                .WithArguments(arguments)
                .WithEnvironmentVariables(e => e.Set("TPM2TOOLS_TCTI", tcti))
                .WithValidation(CommandResultValidation.None)
                .ExecuteBufferedAsync(cancellationToken);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new MeasurementException($"cannot run {tool} (install tpm2-tools): {e.Message}");
        }
    }

    private static string OneLine(string text) =>
        string.Join(" ", text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
