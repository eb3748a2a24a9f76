using System.Globalization;

namespace TeeLauncher.Measurement;

/// <summary>This boot: the kernel's random boot id and the moment the machine booted.</summary>
public sealed record BootIdentity(string Id, DateTimeOffset StartedAt)
{
    public static BootIdentity Current()
    {
        var id = File.Exists("/proc/sys/kernel/random/boot_id") ? File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim() : "unknown";
        var btime = File.Exists("/proc/stat")
            ? File.ReadLines("/proc/stat").FirstOrDefault(l => l.StartsWith("btime ", StringComparison.Ordinal))
            : null;
        var started = btime is not null && long.TryParse(btime[6..], NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            ? DateTimeOffset.FromUnixTimeSeconds(seconds)
            : DateTimeOffset.MinValue;
        return new BootIdentity(id, started);
    }
}
