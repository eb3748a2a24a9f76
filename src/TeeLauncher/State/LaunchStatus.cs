using System.Text.Json;
using System.Text.Json.Serialization;
using TeeLauncher.Errors;
using TeeLauncher.Files;
using TeeLauncher.Values;

namespace TeeLauncher.State;

/// <summary>What this boot chose, measured and launched; written by <c>run</c>, read by <c>status</c>.</summary>
public sealed record LaunchStatus
{
    public required LaunchPhase Phase { get; init; }
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
    public IReadOnlyList<StatusService> Services { get; init; } = [];
    public StatusApproval? Approval { get; init; }

    private const int MaxBytes = 1 << 20;

    /// <summary>The status this boot recorded, or null when nothing was recorded; a file that is there but unreadable is reported as damaged.</summary>
    public static LaunchStatus? Read(string file)
    {
        if (!InputFile.Exists(file))
            return null;
        try
        {
            var status = JsonSerializer.Deserialize(InputFile.Read(file, MaxBytes), StateJsonContext.Default.LaunchStatus)
                ?? throw new JsonException("the file holds null");
            // The serializer leaves an absent list null despite its initializer, and a hand-edited one may hold nulls.
            return status with
            {
                SkippedSources = [.. (status.SkippedSources ?? []).Where(s => s is not null)],
                Images = [.. (status.Images ?? []).Where(i => i is not null)],
                Events = [.. (status.Events ?? []).Where(e => e is not null)],
                Services = [.. (status.Services ?? []).Where(s => s is not null)],
            };
        }
        catch (Exception e) when (e is JsonException or InputFileException)
        {
            throw new StateDirectoryException(
                $"status file {file} is damaged ({(e is InputFileException i ? i.Reason : e.Message)}); it cannot say what this boot launched: " +
                "check the state directory, and the journal of tee-launcher.service");
        }
    }

    /// <summary>A copy fit for a terminal: every text field with its control characters escaped (the JSON form escapes them itself).</summary>
    public LaunchStatus Escaped() => this with
    {
        Config = SafeText.Escape(Config), LauncherVersion = SafeText.Escape(LauncherVersion),
        Digest = Escape(Digest), Rule = Escape(Rule), Reason = Escape(Reason), Image = Escape(Image), PulledFrom = Escape(PulledFrom),
        SkippedSources = [.. SkippedSources.Select(SafeText.Escape)], MeasurementBackend = Escape(MeasurementBackend),
        Images = [.. Images.Select(i => i with { Reference = SafeText.Escape(i.Reference), Digest = SafeText.Escape(i.Digest), Source = SafeText.Escape(i.Source) })],
        Events = [.. Events.Select(e => new StatusEvent(SafeText.Escape(e.Name), SafeText.Escape(e.Payload), SafeText.Escape(e.Digest), e.ExtendedNow))],
        ComposeFile = Escape(ComposeFile), ComposeSha256 = Escape(ComposeSha256), Project = Escape(Project), Error = Escape(Error),
        Services = [.. Services.Select(s => s with { Name = SafeText.Escape(s.Name) })],
        Approval = Approval is null ? null : Approval with
        {
            State = SafeText.Escape(Approval.State), Policy = SafeText.Escape(Approval.Policy), Detail = SafeText.Escape(Approval.Detail),
            NewerDigest = Escape(Approval.NewerDigest),
        },
    };

    private static string? Escape(string? text) => text is null ? null : SafeText.Escape(text);

    public void Write(string file) =>
        StateDirectory.WriteAtomically(file, JsonSerializer.SerializeToUtf8Bytes(this, StateJsonContext.Default.LaunchStatus));
}

/// <summary>One image of the stack as pulled: the reference compose was given, its digest and the source that served it.</summary>
public sealed record StatusImage(string Reference, string Digest, string Source, bool Pulled);

public sealed record StatusEvent(string Name, string Payload, string Digest, bool ExtendedNow);

/// <summary>A service of the stack since the launch, from docker's own counters (docs/spec.md §8).</summary>
public sealed record StatusService(string Name, int Restarts, int? LastExitCode, DateTimeOffset? LastExitAt, bool Restarting);

/// <summary>
/// The running digest's approval as last checked (docs/spec.md §4.1): state "approved", "unapproved" or "unreadable",
/// since when it holds, the policy that acts on it, and a newer approved digest that runs after the next boot.
/// </summary>
public sealed record StatusApproval(
    string State, string Policy, string Detail, DateTimeOffset Since, DateTimeOffset CheckedAt, int? Position = null, string? NewerDigest = null);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(LaunchStatus))]
internal sealed partial class StateJsonContext : JsonSerializerContext;
