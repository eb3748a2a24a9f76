using TeeLauncher.Values;
namespace TeeLauncher.Tests.Values;

public sealed class SafeTextTests
{
    [Theory]
    [InlineData("plain text: 100% ok", "plain text: 100% ok")]
    [InlineData("denied\n2026-12-01 INF forged line", "denied\\n2026-12-01 INF forged line")]
    [InlineData("\u001b[2J\u001b]0;title\u0007", "\\x1b[2J\\x1b]0;title\\x07")]
    [InlineData("tab\tcr\r", "tab\\tcr\\r")]
    [InlineData("\u0085\u2028\u202eevil", "\\x85\\u2028\\u202eevil")]
    [InlineData("naïve ünïcode ✓", "naïve ünïcode ✓")]
    public void Control_characters_are_escaped_and_printable_text_is_kept(string text, string expected) =>
        SafeText.Escape(text).Should().Be(expected);
}
