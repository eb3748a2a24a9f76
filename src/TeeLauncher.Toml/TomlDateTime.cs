using System.Globalization;

namespace TeeLauncher.Toml;

public enum TomlDateTimeKind
{
    OffsetDateTime,
    LocalDateTime,
    LocalDate,
    LocalTime,
}

/// <summary>
/// One of TOML's four date and time kinds, with the fraction of a second kept digit for digit
/// (TOML allows more precision than <see cref="DateTime"/> holds).
/// </summary>
public readonly record struct TomlDateTime(
    TomlDateTimeKind Kind,
    int Year, int Month, int Day,
    int Hour, int Minute, int Second,
    string Fraction,
    int? OffsetMinutes)
{
    /// <summary>The value in RFC 3339 form: <c>1979-05-27T07:32:00.5-07:00</c>, <c>Z</c> for a zero offset.</summary>
    public override string ToString()
    {
        var date = string.Create(CultureInfo.InvariantCulture, $"{Year:D4}-{Month:D2}-{Day:D2}");
        var time = string.Create(CultureInfo.InvariantCulture, $"{Hour:D2}:{Minute:D2}:{Second:D2}")
            + (Fraction.Length > 0 ? "." + Fraction : "");
        return Kind switch
        {
            TomlDateTimeKind.LocalDate => date,
            TomlDateTimeKind.LocalTime => time,
            TomlDateTimeKind.LocalDateTime => $"{date}T{time}",
            _ => $"{date}T{time}{Offset()}",
        };
    }

    private string Offset()
    {
        var minutes = OffsetMinutes ?? 0;
        if (minutes == 0)
            return "Z";
        var sign = minutes < 0 ? '-' : '+';
        minutes = Math.Abs(minutes);
        return string.Create(CultureInfo.InvariantCulture, $"{sign}{minutes / 60:D2}:{minutes % 60:D2}");
    }
}
