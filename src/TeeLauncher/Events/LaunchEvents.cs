using TeeLauncher.Configuration;
using TeeLauncher.Values;

namespace TeeLauncher.Events;

/// <summary>The one list of the events a launch emits, through which <c>run</c>, <c>plan</c> and <c>measure</c> all predict them.</summary>
public static class LaunchEvents
{
    /// <summary>The events as the config's measurement table asks for them.</summary>
    public static IReadOnlyList<RuntimeEvent> For(MeasurementSettings settings, ImageDigest digest, byte[] renderedCompose) =>
        For(settings.EventName, digest, settings.EventVersion, settings.ComposeEvent ? renderedCompose : null);

    /// <summary>In order: the image, then (when a rendered compose file is given) its compose event.</summary>
    public static IReadOnlyList<RuntimeEvent> For(string imageEventName, ImageDigest digest, EventVersion version, byte[]? renderedCompose) =>
        renderedCompose is null
            ? [RuntimeEvent.ForImage(imageEventName, digest, version)]
            : [RuntimeEvent.ForImage(imageEventName, digest, version), RuntimeEvent.ForCompose(renderedCompose, version)];
}
