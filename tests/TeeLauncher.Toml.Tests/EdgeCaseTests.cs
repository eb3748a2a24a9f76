using System.Globalization;
using System.Text;

namespace TeeLauncher.Toml.Tests;

/// <summary>Limits and inputs at the edges: nesting, very long tokens, many tables, calendar corners.</summary>
public sealed class EdgeCaseTests
{
    [Theory]
    [InlineData("a = {0}1{1}", "[", "]")]
    [InlineData("a = {0}1{1}", "{ b = ", " }")]
    [InlineData("a = {0}1{1}", "[{ b = ", " }]")]
    public void Deep_nesting_is_refused_within_a_small_stack(string template, string open, string close)
    {
        var text = string.Format(CultureInfo.InvariantCulture, template, Repeat(open, 100_000), Repeat(close, 100_000));

        var error = OnSmallStack(() => TomlParser.Parse(text));

        error.Should().BeOfType<TomlException>().Which.Reason.Should().Contain("nested deeper than 128");
    }

    [Theory]
    [InlineData("{0} = 1")]
    [InlineData("[{0}]")]
    [InlineData("[[{0}]]")]
    [InlineData("[x.y]\n{0} = 1")]
    [InlineData("t = {{ {0} = 1 }}")]
    public void Keys_count_towards_the_nesting_limit(string template)
    {
        // The templates place the key at most two levels down.
        var withinLimit = () => TomlParser.Parse(string.Format(CultureInfo.InvariantCulture, template, DottedKey(TomlParser.MaxDepth - 2)));
        var beyondLimit = () => TomlParser.Parse(string.Format(CultureInfo.InvariantCulture, template, DottedKey(10_000)));

        withinLimit.Should().NotThrow();
        beyondLimit.Should().Throw<TomlException>().Which.Reason.Should().Contain("nested deeper than 128");
    }

    private static string DottedKey(int segments) => string.Join('.', Enumerable.Repeat("k", segments));

    private static string Repeat(string text, int count) => new StringBuilder(text.Length * count).Insert(0, text, count).ToString();

    /// <summary>Runs <paramref name="action"/> on a thread with a 1 MiB stack; returns what it threw, if anything.</summary>
    private static Exception? OnSmallStack(Action action)
    {
        Exception? thrown = null;
        var thread = new Thread(() =>
        {
            try
            {
                action();
            }
            catch (Exception e)
            {
                thrown = e;
            }
        }, maxStackSize: 1 << 20);
        thread.Start();
        thread.Join();
        return thrown;
    }

    [Fact]
    public void A_float_of_millions_of_digits_is_read_within_a_small_stack()
    {
        TomlTable? document = null;

        var error = OnSmallStack(() => document = TomlParser.Parse("x = 1." + new string('0', 2_000_000) + "1"));

        error.Should().BeNull();
        document!["x"].Should().Be(1.0);
    }

    [Fact]
    public void Sections_with_many_new_tables_keep_every_key()
    {
        var text = new StringBuilder("[top]\n");
        for (var i = 0; i < 500; i++)
            text.Append(CultureInfo.InvariantCulture, $"t{i}.value = {i}\nt{i}.inline = {{ a.b = {i}, c = [{i}] }}\n");
        text.Append("[top.t499.more]\n[top.t0.more]\n");

        var top = (TomlTable)TomlParser.Parse(text.ToString())["top"];

        top.Should().HaveCount(500);
        for (var i = 0; i < 500; i++)
        {
            var table = (TomlTable)top[$"t{i}"];
            table.Keys.Should().Equal(i is 0 or 499 ? ["value", "inline", "more"] : ["value", "inline"]);
            table["value"].Should().Be((long)i);
            ((TomlTable)((TomlTable)((TomlTable)table["inline"])["a"]))["b"].Should().Be((long)i);
            ((TomlArray)((TomlTable)table["inline"])["c"]).Should().Equal((long)i);
        }
    }

    [Theory]
    [InlineData("0000-02-29", true)]
    [InlineData("2000-02-29", true)]
    [InlineData("2024-02-29", true)]
    [InlineData("1900-02-29", false)]
    [InlineData("2023-02-29", false)]
    [InlineData("2024-04-31", false)]
    public void Leap_days_follow_the_proleptic_gregorian_calendar(string date, bool exists)
    {
        var parse = () => TomlParser.Parse($"d = {date}");

        if (exists)
            parse().Should().ContainKey("d").WhoseValue.Should().BeOfType<TomlDateTime>().Which.ToString().Should().Be(date);
        else
            parse.Should().Throw<TomlException>().Which.Reason.Should().Contain("does not exist");
    }
}
