using TeeLauncher.Configuration;
using TeeLauncher.Measurement;
using TeeLauncher.Selection;

namespace TeeLauncher.Launch;

public static class LaunchEvents
{
    /// <summary>The events a launch emits, in order: the image, then (when configured) the rendered compose file.</summary>
    public static IReadOnlyList<RuntimeEvent> For(MeasurementSettings settings, ImageDigest digest, ReadOnlySpan<byte> renderedCompose) =>
        settings.ComposeEvent
            ? [RuntimeEvent.ForImage(settings.EventName, digest, settings.EventVersion), RuntimeEvent.ForCompose(renderedCompose, settings.EventVersion)]
            : [RuntimeEvent.ForImage(settings.EventName, digest, settings.EventVersion)];
}
