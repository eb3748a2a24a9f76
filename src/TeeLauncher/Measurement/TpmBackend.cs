using TeeLauncher.Errors;
using TeeLauncher.Events;
using TeeLauncher.Values;

namespace TeeLauncher.Measurement;

/// <summary>Extends a TPM PCR in the sha256 and sha384 banks with tpm2-tools, through the configured TCTI.</summary>
public sealed class TpmBackend(int pcr, string tcti, EventVersion eventVersion = default) : IMeasurementBackend
{
    private readonly Tpm2Tools _tpm = new(tcti);

    public string Name => "tpm";

    public int RegisterIndex => pcr;

    public EventVersion EventVersion => eventVersion;

    public async Task EnsureAvailableAsync(CancellationToken cancellationToken)
    {
        var read = await _tpm.ReadPcrAsync(pcr, ["sha256", "sha384"], cancellationToken);
        if (!read.Contains("sha384", StringComparison.Ordinal))
            throw new MeasurementException($"the TPM at {tcti} has no sha384 bank for PCR {pcr}; the launcher extends both sha256 and sha384");
    }

    public async Task ExtendAsync(RuntimeEvent runtimeEvent, Action commit, CancellationToken cancellationToken)
    {
        var digests = new[]
        {
            ("sha256", MeasurementRegister.Measurement(runtimeEvent, HashBank.Sha256)),
            ("sha384", MeasurementRegister.Measurement(runtimeEvent, HashBank.Sha384)),
        };
        commit();
        await _tpm.ExtendPcrAsync(pcr, digests, runtimeEvent.Name, CancellationToken.None);
    }
}
