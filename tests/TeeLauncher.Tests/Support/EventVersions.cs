using TeeLauncher.Values;

namespace TeeLauncher.Tests.Support;

/// <summary>A theory's version number as the type, through the type's own rule.</summary>
public static class EventVersions
{
    public static EventVersion Of(int number) =>
        EventVersion.TryFrom(number, out var version) ? version : throw new ArgumentOutOfRangeException(nameof(number), number, "no event version");
}
