namespace TeeLauncher.Toml.Tests;

public sealed class PositionTests
{
    [Fact]
    public void Keys_values_items_and_tables_keep_their_line_and_column()
    {
        var document = TomlParser.Parse("""
            title = "x"
            [server]
              name.first = 'é€'   # a comment
              ports = [ 80,
                443 ]
            [[peer]]
            """);

        document.KeyPosition("title").Should().Be(new TomlPosition(1, 1));
        document.ValuePosition("title").Should().Be(new TomlPosition(1, 9));
        var server = (TomlTable)document["server"];
        server.Position.Should().Be(new TomlPosition(2, 1));
        var name = (TomlTable)server["name"];
        name.KeyPosition("first").Should().Be(new TomlPosition(3, 8));
        server.ValuePosition("ports").Should().Be(new TomlPosition(4, 11));
        var ports = (TomlArray)server["ports"];
        ports.ItemPosition(0).Should().Be(new TomlPosition(4, 13));
        ports.ItemPosition(1).Should().Be(new TomlPosition(5, 5));
        ((TomlTableArray)document["peer"]).Position.Should().Be(new TomlPosition(6, 1));
    }

    [Fact]
    public void Columns_count_characters_not_bytes()
    {
        var document = TomlParser.Parse("a = \"€€\"; b = 1".Replace(";", "\n") + "\nc = { \"ü\" = 'ü', d = 2 }");

        var inline = (TomlTable)document["c"];
        inline.KeyPosition("d").Should().Be(new TomlPosition(3, 18));
    }

    [Fact]
    public void An_error_has_its_position_a_short_reason_and_the_line_with_a_caret()
    {
        var parse = () => TomlParser.Parse("a = 1\nname = \"é\" x\n", "launcher.toml");

        var error = parse.Should().Throw<TomlException>().Which;
        error.Line.Should().Be(2);
        error.Column.Should().Be(12);
        error.Reason.Should().Be("expected the end of the line, found 'x'");
        error.Message.Should().Be("launcher.toml:2:12: expected the end of the line, found 'x'\n  name = \"é\" x\n             ^");
    }

    [Theory]
    [InlineData("a = 1\na = 2", 2, 1, "key 'a' is already defined")]
    [InlineData("[t]\n[t]", 2, 2, "table 't' is defined twice")]
    [InlineData("a = {b = 1}\na.c = 2", 2, 1, "inline table 'a' cannot be extended after it is written")]
    [InlineData("a = [1]\n[[a]]", 2, 3, "key 'a' is already defined as an array, so [[a]] cannot add to it")]
    [InlineData("x = 9223372036854775808", 1, 5, "integer out of range: TOML integers are 64-bit (-9223372036854775808 to 9223372036854775807)")]
    [InlineData("s = \"\\q\"", 1, 6, "invalid escape '\\q': use \\b \\t \\n \\f \\r \\\" \\\\ \\uXXXX or \\UXXXXXXXX")]
    [InlineData("d = 2024-02-30", 1, 5, "invalid date: 2024-02-30 does not exist")]
    public void Redefinitions_and_bad_values_are_reported_where_they_are(string toml, int line, int column, string reason)
    {
        var parse = () => TomlParser.Parse(toml);

        var error = parse.Should().Throw<TomlException>().Which;
        (error.Line, error.Column, error.Reason).Should().Be((line, column, reason));
    }

    [Fact]
    public void Invalid_utf8_is_reported_at_its_byte()
    {
        var parse = () => TomlParser.Parse([.. "a = 1\nb = \""u8.ToArray(), 0xC3, 0x28, (byte)'"']);

        var error = parse.Should().Throw<TomlException>().Which;
        (error.Line, error.Column).Should().Be((2, 6));
        error.Reason.Should().StartWith("invalid UTF-8");
    }

    [Fact]
    public void A_table_named_by_a_later_header_is_positioned_at_that_header()
    {
        var document = TomlParser.Parse("[a.b]\n[a]\nx = 1");

        var table = (TomlTable)document["a"];
        table.Position.Should().Be(new TomlPosition(2, 1));
        document.ValuePosition("a").Should().Be(table.Position);
        document.KeyPosition("a").Should().Be(new TomlPosition(1, 2));
    }
}
