namespace TeeLauncher.Measurement;

/// <summary>This boot: the kernel's random boot id, new at every boot (file times say nothing about boots).</summary>
public sealed record BootIdentity(string Id)
{
    public const string BootIdFile = "/proc/sys/kernel/random/boot_id";

    public static BootIdentity Current() =>
        new(File.Exists(BootIdFile) ? File.ReadAllText(BootIdFile).Trim() : "unknown");
}
