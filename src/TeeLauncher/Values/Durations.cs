namespace TeeLauncher.Values;

/// <summary>Durations written as strings: "90s", "10m", "1h", "1h30m", "500ms".</summary>
public static class Durations
{
    /// <summary>The longest duration a timer takes (.NET timers stop at 2^32-2 ms, about 49.7 days; 24 days keeps clear of that and of int milliseconds).</summary>
    public static readonly TimeSpan Max = TimeSpan.FromDays(24);

    /// <summary>Parses the syntax; a total longer than <see cref="Max"/> comes out as just over it, never as an overflow.</summary>
    public static bool TryParse(string text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        var milliseconds = 0L;
        var rest = text.AsSpan();
        if (rest.IsEmpty)
            return false;
        while (!rest.IsEmpty)
        {
            var digits = 0;
            while (digits < rest.Length && char.IsAsciiDigit(rest[digits]))
                digits++;
            if (digits == 0 || digits > 9)
                return false;
            var amount = long.Parse(rest[..digits]);
            rest = rest[digits..];
            var unitLength = 0;
            while (unitLength < rest.Length && char.IsAsciiLetterLower(rest[unitLength]))
                unitLength++;
            long? unit = rest[..unitLength] switch
            {
                "ms" => 1,
                "s" => 1000,
                "m" => 60_000,
                "h" => 3_600_000,
                _ => null,
            };
            if (unit is null)
                return false;
            milliseconds = Math.Min(milliseconds + amount * unit.Value, (long)Max.TotalMilliseconds + 1);
            rest = rest[unitLength..];
        }
        duration = TimeSpan.FromMilliseconds(milliseconds);
        return true;
    }

    public static string Format(TimeSpan duration) =>
        duration.TotalMilliseconds % 1000 != 0 ? $"{(long)duration.TotalMilliseconds}ms"
        : duration.TotalSeconds % 60 != 0 ? $"{(long)duration.TotalSeconds}s"
        : duration.TotalMinutes % 60 != 0 ? $"{(long)duration.TotalMinutes}m"
        : $"{(long)duration.TotalHours}h";
}
