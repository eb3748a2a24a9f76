using System.Text;

namespace TeeLauncher.Values;

/// <summary>
/// The one output sanitiser (docs/spec.md §10): text from docker, compose, registries and input files reaches the console,
/// the journal and <c>status</c> with control characters (and the invisible ones that reorder or split a line) escaped,
/// so it can neither forge a log line nor drive the terminal.
/// </summary>
public static class SafeText
{
    /// <summary>The text with control and direction characters escaped; null (a field missing from a hand-edited file) is empty.</summary>
    public static string Escape(string? text)
    {
        if (text is null || !text.Any(IsUnsafe))
            return text ?? "";
        var escaped = new StringBuilder(text.Length + 16);
        foreach (var c in text)
        {
            if (!IsUnsafe(c))
                escaped.Append(c);
            else
                escaped.Append(c switch
                {
                    '\n' => "\\n",
                    '\r' => "\\r",
                    '\t' => "\\t",
                    < '\u0100' => $"\\x{(int)c:x2}",
                    _ => $"\\u{(int)c:x4}",
                });
        }
        return escaped.ToString();
    }

    private static bool IsUnsafe(char c) =>
        char.IsControl(c) || c is '\u2028' or '\u2029' or (>= '\u202a' and <= '\u202e') or (>= '\u2066' and <= '\u2069') or '\u200e' or '\u200f';
}
