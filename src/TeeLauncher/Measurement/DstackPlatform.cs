using System.Text;
using TeeLauncher.Configuration;
using TeeLauncher.Errors;
using TeeLauncher.Files;

namespace TeeLauncher.Measurement;

/// <summary>
/// The TEE variant dstack's <c>emit_runtime_event</c> measures for, found as dstack finds it (project Dstack-TEE/dstack,
/// dstack/dstack-attest/src/attestation.rs <c>detect_tee_variant</c>, dstack/dstack-types/src/lib.rs <c>Platform::detect</c>):
/// <c>/dev/nsm</c> is a Nitro enclave; else the DMI product name (trimmed) "dstack" or "qemu" is dstack's own platform,
/// "Google Compute Engine" GCP, "Nitro Enclave" a Nitro enclave; else the DMI vendor "Amazon EC2" is AWS EC2; anything
/// else is dstack's own platform. Only the two variants whose registers the launcher can extend are accepted.
/// </summary>
public static class DstackPlatform
{
    public const string DmiDirectory = "/sys/class/dmi/id";

    public const string NitroSecureModule = "/dev/nsm";

    private const int DmiMaxBytes = 4096;

    /// <summary>dstack's name of the variant, as dstack-types spells it.</summary>
    public static string Name(DstackPlatformKind kind) => ConfigSpellings.Of(ConfigSpellings.DstackPlatforms, kind);

    /// <summary>The configured variant, or the detected one for auto; refuses a variant whose registers the launcher cannot extend.</summary>
    public static DstackPlatformKind Resolve(DstackPlatformKind configured, string dmiDirectory = DmiDirectory, string nitroSecureModule = NitroSecureModule)
    {
        if (configured != DstackPlatformKind.Auto)
            return configured;
        if (InputFile.Exists(nitroSecureModule))
            throw Unsupported($"{nitroSecureModule} exists: this is an AWS Nitro enclave");
        var product = DmiValue(Path.Combine(dmiDirectory, "product_name"));
        return product switch
        {
            "dstack" or "qemu" => DstackPlatformKind.Tdx,
            "Google Compute Engine" => DstackPlatformKind.GcpTdx,
            "Nitro Enclave" => throw Unsupported("the DMI product name is \"Nitro Enclave\": this is an AWS Nitro enclave"),
            _ when DmiValue(Path.Combine(dmiDirectory, "sys_vendor")) == "Amazon EC2" =>
                throw Unsupported("the DMI vendor is \"Amazon EC2\": dstack measures its events into the NitroTPM's sha384 PCR 14 there"),
            _ => DstackPlatformKind.Tdx,
        };
    }

    /// <summary>A DMI attribute as dstack reads it: trimmed text, or null when it cannot be read.</summary>
    private static string? DmiValue(string path)
    {
        try
        {
            return Utf8Text.Decode(InputFile.Read(path, DmiMaxBytes))?.Trim();
        }
        catch (InputFileException)
        {
            return null;
        }
    }

    private static MeasurementException Unsupported(string why) => new(
        $"dstack would not measure into RTMR3 here ({why}); the launcher extends only what dstack extends on {Name(DstackPlatformKind.Tdx)} " +
        $"and {Name(DstackPlatformKind.GcpTdx)}: set measurement.dstack_platform if the detection is wrong");
}
