using System.Security.Cryptography;

namespace TeeLauncher.Events;

/// <summary>The hash bank a register is extended in: RTMRs and the TPM's sha384 bank, or the TPM's sha256 bank.</summary>
public enum HashBank { Sha384, Sha256 }

/// <summary>
/// The one extend rule of every register here (RTMR3 and TPM PCRs): <c>new = H(old || measurement)</c>, H the bank's
/// hash, and the per-bank measurement of a runtime event (the hash of its preimage). measure, verify, the backends'
/// read-back checks and the TPM backend all use these.
/// </summary>
public static class MeasurementRegister
{
    public static int Size(HashBank bank) => bank == HashBank.Sha256 ? 32 : 48;

    public static byte[] Zero(HashBank bank) => new byte[Size(bank)];

    /// <summary>The bank's hash of the event's preimage; in the sha384 bank this is the RTMR event digest.</summary>
    public static byte[] Measurement(RuntimeEvent runtimeEvent, HashBank bank) => Hash(bank, runtimeEvent.Preimage());

    public static byte[] Extend(HashBank bank, ReadOnlySpan<byte> register, ReadOnlySpan<byte> measurement)
    {
        Span<byte> input = stackalloc byte[register.Length + measurement.Length];
        register.CopyTo(input);
        measurement.CopyTo(input[register.Length..]);
        return Hash(bank, input);
    }

    public static byte[] Replay(HashBank bank, ReadOnlySpan<byte> start, IEnumerable<byte[]> measurements)
    {
        var register = start.ToArray();
        foreach (var measurement in measurements)
            register = Extend(bank, register, measurement);
        return register;
    }

    private static byte[] Hash(HashBank bank, ReadOnlySpan<byte> data) =>
        bank == HashBank.Sha256 ? SHA256.HashData(data) : SHA384.HashData(data);
}
