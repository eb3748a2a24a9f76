namespace TeeLauncher.Values;

/// <summary>The names of the launcher's two runtime events (docs/spec.md §5.1).</summary>
public static class EventNames
{
    /// <summary>The image event's name unless measurement.event_name says otherwise.</summary>
    public const string DefaultImage = "image-digest";

    public const string Compose = "launcher-compose-hash";
}
