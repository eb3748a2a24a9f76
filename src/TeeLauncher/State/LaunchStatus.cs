using System.Text.Json;
using System.Text.Json.Serialization;

namespace TeeLauncher.State;

/// <summary>What this boot chose, measured and launched; written by <c>run</c>, read by <c>status</c>.</summary>
public sealed record LaunchStatus
{
    public required string Phase { get; init; }
    public required string Config { get; init; }
    public required string LauncherVersion { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }
    public string? Digest { get; init; }
    public string? Rule { get; init; }
    public string? Reason { get; init; }
    public int? ApprovedPosition { get; init; }
    public string? Image { get; init; }
    public string? PulledFrom { get; init; }
    public bool? Pulled { get; init; }
    public IReadOnlyList<string> SkippedSources { get; init; } = [];
    public IReadOnlyList<StatusImage> Images { get; init; } = [];
    public string? MeasurementBackend { get; init; }
    public IReadOnlyList<StatusEvent> Events { get; init; } = [];
    public string? ComposeFile { get; init; }
    public string? ComposeSha256 { get; init; }
    public string? Project { get; init; }
    public string? Error { get; init; }

    public static LaunchStatus? TryRead(string file)
    {
        try
        {
            return File.Exists(file)
                ? JsonSerializer.Deserialize(File.ReadAllBytes(file), StateJsonContext.Default.LaunchStatus)
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public void Write(string file) =>
        StateDirectory.WriteAtomically(file, JsonSerializer.SerializeToUtf8Bytes(this, StateJsonContext.Default.LaunchStatus));
}

/// <summary>One image of the stack as pulled: the reference compose was given, its digest and the source that served it.</summary>
public sealed record StatusImage(string Reference, string Digest, string Source, bool Pulled);

public sealed record StatusEvent(string Name, string Payload, string Digest, bool ExtendedNow);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(LaunchStatus))]
internal sealed partial class StateJsonContext : JsonSerializerContext;
