using System.Text.Json;
using System.Text.Json.Serialization;

namespace TeeLauncher.State;

/// <summary>Where the boot is, as the status file spells it ("starting", "running", "failed", "stopped").</summary>
[JsonConverter(typeof(LaunchPhaseConverter))]
public enum LaunchPhase
{
    Starting,
    Running,
    Failed,
    Stopped,
}

public static class LaunchPhases
{
    public static string Spelling(this LaunchPhase phase) => phase switch
    {
        LaunchPhase.Starting => "starting",
        LaunchPhase.Running => "running",
        LaunchPhase.Failed => "failed",
        _ => "stopped",
    };
}

/// <summary>The phase by name only: a number in a hand-edited status file makes it damaged, not a phase.</summary>
internal sealed class LaunchPhaseConverter() : JsonStringEnumConverter<LaunchPhase>(JsonNamingPolicy.SnakeCaseLower, allowIntegerValues: false);
