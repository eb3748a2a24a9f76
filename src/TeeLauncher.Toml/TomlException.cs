namespace TeeLauncher.Toml;

/// <summary>The only exception the parser throws: what is wrong, where, and the offending line with a caret.</summary>
public sealed class TomlException : Exception
{
    internal TomlException(string? sourceName, TomlPosition position, string reason, string sourceLine)
        : base(Render(sourceName, position, reason, sourceLine))
    {
        SourceName = sourceName;
        Line = position.Line;
        Column = position.Column;
        Reason = reason;
        Excerpt = Caret(sourceLine, position.Column);
    }

    public string? SourceName { get; }

    public int Line { get; }

    public int Column { get; }

    /// <summary>The short message, without the position.</summary>
    public string Reason { get; }

    /// <summary>The offending line and, under it, a caret at the column.</summary>
    public string Excerpt { get; }

    private static string Render(string? sourceName, TomlPosition position, string reason, string sourceLine) =>
        $"{sourceName ?? "<toml>"}:{position.Line}:{position.Column}: {reason}\n{Caret(sourceLine, position.Column)}";

    private static string Caret(string sourceLine, int column)
    {
        var shown = new string([.. sourceLine.Select(c => char.IsControl(c) && c != '\t' ? '?' : c)]);
        var indent = new string([.. shown.Take(Math.Max(0, column - 1)).Select(c => c == '\t' ? '\t' : ' ')]);
        return $"  {shown}\n  {indent}^";
    }
}
