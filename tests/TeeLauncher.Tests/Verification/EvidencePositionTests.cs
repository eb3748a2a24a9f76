using System.Text;
using TeeLauncher.Errors;
using TeeLauncher.Verification;

namespace TeeLauncher.Tests.Verification;

/// <summary>Evidence positions follow the one convention: 1-based line, column in characters, an emoji one (docs/spec.md §2).</summary>
public sealed class EvidencePositionTests
{
    [Theory]
    [InlineData("{\"event\":\"😀\",\"imr\":\"3\"}", "e.log:1:20: event 1: \"imr\" must be a number")]
    [InlineData("{\"event\":\"a\"}\n{\"event\":\"😀😀\",\"event\":\"b\"}", "e.log:2:15: event 2 has the field \"event\" twice")]
    [InlineData("[{\"event\":\"é\"},\n {\"event\":\"😀\"} x]", "e.log:2:16: not valid JSON")]
    public void A_problem_after_non_ascii_text_is_placed_in_characters(string text, string message)
    {
        var parse = () => Evidence.Parse("e.log", Encoding.UTF8.GetBytes(text));

        parse.Should().Throw<ConfigException>().Which.Message.Should().StartWith(message);
    }
}
