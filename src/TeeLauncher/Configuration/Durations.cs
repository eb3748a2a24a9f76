namespace TeeLauncher.Configuration;

/// <summary>Durations written as strings: "90s", "10m", "1h", "1h30m", "500ms".</summary>
public static class Durations
{
    public static bool TryParse(string text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
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
            TimeSpan? unit = rest[..unitLength] switch
            {
                "ms" => TimeSpan.FromMilliseconds(1),
                "s" => TimeSpan.FromSeconds(1),
                "m" => TimeSpan.FromMinutes(1),
                "h" => TimeSpan.FromHours(1),
                _ => null,
            };
            if (unit is null)
                return false;
            duration += unit.Value * amount;
            rest = rest[unitLength..];
        }
        return true;
    }

    public static string Format(TimeSpan duration) =>
        duration.TotalMilliseconds % 1000 != 0 ? $"{(long)duration.TotalMilliseconds}ms"
        : duration.TotalSeconds % 60 != 0 ? $"{(long)duration.TotalSeconds}s"
        : duration.TotalMinutes % 60 != 0 ? $"{(long)duration.TotalMinutes}m"
        : $"{(long)duration.TotalHours}h";
}
