using System.Text;

namespace TeeLauncher.Values;

/// <summary>The names of the launcher's two runtime events (docs/spec.md §5.1).</summary>
public static class EventNames
{
    /// <summary>The image event's name unless measurement.event_name says otherwise.</summary>
    public const string DefaultImage = "image-digest";

    public const string Compose = "launcher-compose-hash";

    public const int MaxCharacters = 128;

    /// <summary>
    /// Whether <paramref name="name"/> is a usable image event name: 1 to 128 characters counted as Unicode scalar
    /// values (an emoji is one), no ':' (the v1 preimage's separator) and no control characters.
    /// </summary>
    public static bool IsValidImageName(string name)
    {
        var characters = 0;
        foreach (var rune in name.EnumerateRunes())
        {
            if (++characters > MaxCharacters || rune.Value == ':' || Rune.IsControl(rune))
                return false;
        }
        return characters > 0;
    }
}
