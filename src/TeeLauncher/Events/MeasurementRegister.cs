using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Digests;

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

    /// <summary>
    /// The bank's hash, by one digest object per thread: OpenSSL's one-shot call costs a context and an error-queue reset
    /// several times the hash of the one block an event takes, and verify hashes two per event of a million-event log.
    /// </summary>
    private static byte[] Hash(HashBank bank, ReadOnlySpan<byte> data)
    {
        IDigest digest = bank == HashBank.Sha256 ? _sha256 ??= new Sha256Digest() : _sha384 ??= new Sha384Digest();
        digest.BlockUpdate(data);
        var hash = new byte[digest.GetDigestSize()];
        digest.DoFinal(hash);
        return hash;
    }

    [ThreadStatic]
    private static Sha256Digest? _sha256;

    [ThreadStatic]
    private static Sha384Digest? _sha384;
}
