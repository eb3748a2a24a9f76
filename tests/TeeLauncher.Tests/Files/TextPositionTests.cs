using System.Text;
using TeeLauncher.Files;
using TeeLauncher.Tests.Support;

namespace TeeLauncher.Tests.Files;

/// <summary>docs/spec.md §10: every position is a 1-based line and a column in characters, whatever the format or its reader.</summary>
public sealed class TextPositionTests : IDisposable
{
    private readonly HostileDeployment _deployment = new();

    public void Dispose() => _deployment.Dispose();

    [Theory]
    [InlineData("ab", 1, 1, 2)]
    [InlineData("a\nb", 2, 2, 1)]
    [InlineData("a\r\nb", 3, 2, 1)]
    [InlineData("a\rb", 2, 2, 1)]
    [InlineData("\u00e9\U0001F642x", 2, 1, 3)]
    [InlineData("\t\tx", 2, 1, 3)]
    public void Lines_end_at_lf_crlf_or_cr_and_columns_count_characters(string text, int index, int line, int column)
    {
        TextPosition.InText(text, index).Should().Be(new TextPosition(line, column));
        var utf8 = Encoding.UTF8.GetBytes(text);
        TextPosition.InUtf8(utf8, Encoding.UTF8.GetByteCount(text[..index])).Should().Be(new TextPosition(line, column));
    }

    [Fact]
    public void A_byte_that_is_not_utf8_counts_as_one_character()
    {
        TextPosition.InUtf8([0x61, 0xFF, 0xFE, 0x62], 3).Should().Be(new TextPosition(1, 4));
        Utf8Text.FirstInvalid([0x0A, 0xC3, 0xA9, 0xFF]).Should().Be(new TextPosition(2, 2));
    }

    [Fact]
    public async Task A_toml_problem_after_an_emoji_is_at_its_column_in_characters()
    {
        var line = "env = { NODE_NAME = \"\U0001F642\U0001F642\", PORT = 8080 }";
        var config = _deployment.Combine("emoji.toml");
        var text = File.ReadAllText(_deployment.ConfigFile).Replace("env = { NODE_NAME = \"node-1\", PORT = \"8080\" }", line);
        File.WriteAllText(config, text);

        var (code, _, error) = await Validate(config);

        code.Should().Be(3);
        error.Should().Contain($"{config}:{LineOf(text, line)}:{ColumnOf(line, "8080")}: compose.env.PORT must be a string");
    }

    [Fact]
    public async Task A_yaml_problem_after_an_emoji_is_at_its_column_in_characters()
    {
        var line = "    labels: {a: \"\U0001F642\U0001F642\", a: \"b\"}";
        var template = HostileDeployment.Template + "\n" + line + "\n";
        File.WriteAllText(_deployment.ComposeFile, template);

        var (code, _, error) = await Validate(_deployment.ConfigFile);

        code.Should().Be(3);
        error.Should().Contain($"{_deployment.ComposeFile}:{LineOf(template, line)}:{ColumnOf(line, "a: \"b\"")}: ");
    }

    [Fact]
    public async Task A_json_problem_after_an_emoji_is_at_its_column_in_characters()
    {
        var list = "{\"note\": \"\U0001F642\U0001F642\", \"approved_hashes\": [5]}";
        File.WriteAllText(_deployment.ApprovedFile, list);

        var (code, _, error) = await Validate(_deployment.ConfigFile);

        code.Should().Be(4);
        error.Should().Contain($"{_deployment.ApprovedFile}:1:{ColumnOf(list, "5]")}: ");
    }

    private static Task<(int Code, string Out, string Error)> Validate(string config) => CommandLine.RunAsync("validate", "--config", config);

    private static int LineOf(string text, string line) => text.Split('\n').ToList().IndexOf(line) + 1;

    private static int ColumnOf(string line, string what) => 1 + line[..line.IndexOf(what, StringComparison.Ordinal)].EnumerateRunes().Count();
}
