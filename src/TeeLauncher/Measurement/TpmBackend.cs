using CliWrap;
using CliWrap.Buffered;
using TeeLauncher.Errors;

namespace TeeLauncher.Measurement;

/// <summary>Extends a TPM PCR in the sha256 and sha384 banks with tpm2-tools, through the configured TCTI.</summary>
public sealed class TpmBackend(int pcr, string tcti, int eventVersion = 1) : IMeasurementBackend
{
    public string Name => "tpm";

    public int RegisterIndex => pcr;

    public int EventVersion => eventVersion;

    public async Task EnsureAvailableAsync(CancellationToken cancellationToken)
    {
        var read = await RunAsync("tpm2_pcrread", [$"sha256:{pcr}+sha384:{pcr}"], cancellationToken);
        if (read.ExitCode != 0)
            throw new MeasurementException($"the TPM at {tcti} does not answer (tpm2_pcrread): {OneLine(read.StandardError)} (measurement.tpm_tcti)");
        if (!read.StandardOutput.Contains("sha384", StringComparison.Ordinal))
            throw new MeasurementException($"the TPM at {tcti} has no sha384 bank for PCR {pcr}; the launcher extends both sha256 and sha384");
    }

    public async Task ExtendAsync(RuntimeEvent runtimeEvent, CancellationToken cancellationToken)
    {
        var sha256 = MeasurementRegister.Measurement(runtimeEvent, HashBank.Sha256);
        var sha384 = MeasurementRegister.Measurement(runtimeEvent, HashBank.Sha384);
        var values = $"{pcr}:sha256={Convert.ToHexStringLower(sha256)},sha384={Convert.ToHexStringLower(sha384)}";
        var extend = await RunAsync("tpm2_pcrextend", [values], cancellationToken);
        if (extend.ExitCode != 0)
            throw new MeasurementException($"tpm2_pcrextend of event '{runtimeEvent.Name}' into PCR {pcr} failed: {OneLine(extend.StandardError)}");
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
