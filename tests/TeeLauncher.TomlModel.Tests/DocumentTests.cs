using System.Text;

namespace TeeLauncher.TomlModel.Tests;

/// <summary>What the adapter adds to Tomlyn: positions in the model, and the guarded gaps.</summary>
public sealed class DocumentTests
{
    private static TomlTable Parse(string toml) => TomlDocument.Parse(Encoding.UTF8.GetBytes(toml), "t.toml");

    private static IEnumerable<string> Errors(byte[] toml)
    {
        var parse = () => TomlDocument.Parse(toml, "t.toml");
        return parse.Should().Throw<TomlReadException>().Which.Errors.Select(e => $"{e.At}: {e.Reason}");
    }

    private static IEnumerable<string> Errors(string toml) => Errors(Encoding.UTF8.GetBytes(toml));

    [Fact]
    public void Keys_values_items_and_table_array_elements_keep_their_positions()
    {
        var document = Parse("""
            top = 1
            [image]
              "é😀" = "x"
            a.b = [1, "two"]
            [[registry]]
            host = "one"
            [[registry]]
            host = "two"
            """);

        var image = (TomlTable)document["image"];
        image.Position.Should().Be(new TomlPosition(2, 1));
        image.KeyPosition("é😀").Should().Be(new TomlPosition(3, 3));
        image.ValuePosition("é😀").Should().Be(new TomlPosition(3, 10), "columns count Unicode scalars");
        var dotted = (TomlTable)image["a"];
        dotted.KeyPosition("b").Should().Be(new TomlPosition(4, 3));
        var array = (TomlArray)dotted["b"];
        array.Position.Should().Be(new TomlPosition(4, 7));
        array.ItemPosition(1).Should().Be(new TomlPosition(4, 11));
        array[1].Should().Be("two");
        var registries = (TomlTableArray)document["registry"];
        registries.Should().HaveCount(2);
        registries[1].Position.Should().Be(new TomlPosition(7, 1));
        registries[1].ValuePosition("host").Should().Be(new TomlPosition(8, 8));
        document.Keys.Should().Equal("top", "image", "registry");
    }

    [Fact]
    public void A_table_named_first_as_a_parent_takes_the_position_of_its_own_header()
    {
        var document = Parse("[a.b]\nx = 1\n\n[a]\ny = 2\n");

        document.KeyPosition("a").Should().Be(new TomlPosition(1, 2));
        ((TomlTable)document["a"]).Position.Should().Be(new TomlPosition(4, 1));
    }

    [Theory]
    [InlineData("x = 0xFFFFFFFFFFFFFFFF", "1:5: integer 0xFFFFFFFFFFFFFFFF is larger than 9223372036854775807, the largest TOML integer")]
    [InlineData("x = 0x8000000000000000", "1:5: integer 0x8000000000000000 is larger than 9223372036854775807, the largest TOML integer")]
    [InlineData("x = [0b1000000000000000000000000000000000000000000000000000000000000000]", "1:6: integer 0b1000000000000000000000000000000000000000000000000000000000000000 is larger than 9223372036854775807, the largest TOML integer")]
    [InlineData("t = { x = 0xFFFFFFFFFFFFFFFF }", "1:11: integer 0xFFFFFFFFFFFFFFFF is larger than 9223372036854775807, the largest TOML integer")]
    public void Hex_octal_and_binary_integers_past_2_63_are_refused_not_wrapped(string toml, string error) =>
        Errors(toml).Should().Equal(error);

    [Theory]
    [InlineData("x = 0x7FFFFFFFFFFFFFFF", long.MaxValue)]
    [InlineData("x = 0o777777777777777777777", long.MaxValue)]
    [InlineData("x = -9223372036854775808", long.MinValue)]
    public void The_largest_integers_are_read(string toml, long value) => Parse(toml)["x"].Should().Be(value);

    [Fact]
    public void A_key_of_ten_thousand_dotted_parts_is_refused_at_the_key()
    {
        Errors("ok = 1\n  a" + string.Concat(Enumerable.Repeat(".a", 9_999)) + " = 1\n")
            .Should().Equal("2:3: a key of 10000 dotted parts; at most 64 are allowed");
    }

    [Fact]
    public void A_header_of_too_many_parts_is_refused_and_sixty_four_are_read()
    {
        Errors("[" + string.Join('.', Enumerable.Repeat("a", 65)) + "]\n").Should().Equal("1:2: a key of 65 dotted parts; at most 64 are allowed");
        Parse("[" + string.Join('.', Enumerable.Repeat("a", 64)) + "]\n").Should().ContainKey("a");
    }

    [Fact]
    public void Nesting_past_the_depth_limit_is_refused_at_the_bracket_that_goes_too_deep()
    {
        Parse("x = " + new string('[', 63) + new string(']', 63)).Should().ContainKey("x");
        Errors("\nx = " + new string('[', 64) + new string(']', 64)).Should().Equal("2:68: arrays and inline tables nest more than 63 deep here");
    }

    [Fact]
    public void Invalid_utf8_is_refused_at_its_line_and_column()
    {
        Errors([.. "a = 1\nb = \"é"u8, 0xC3, 0x28, .. "\"\n"u8]).Should().Equal("2:7: invalid UTF-8 (byte 0xc3): a TOML document must be UTF-8 text");
    }

    [Fact]
    public void A_document_ending_inside_a_unicode_escape_is_refused_with_a_position()
    {
        Errors("a = 1\nb = \"\\U0010fff").Should().ContainSingle().Which.Should().StartWith("2:");
    }

    [Fact]
    public void An_unterminated_string_is_one_error_not_its_cascade()
    {
        Errors("[image]\nreference = \"ubuntu\nx = 1\n[pull]\nattempts = 3\n").Should().Equal("2:20: invalid newline in a string");
    }

    [Fact]
    public void A_table_defined_twice_is_one_error_and_independent_duplicates_each_one()
    {
        Errors("""
            x = 1
            x = 2
            [pull]
            attempts = 1
            [pull]
            attempts = 2
            [compose]
            file = "a"
            file = "b"
            """).Should().Equal(
                "2:1: the key 'x' is already defined at 1:1 and cannot be redefined",
                "5:1: the key 'pull' is already defined at 3:1 and cannot be redefined",
                "9:1: the key 'compose.file' is already defined at 8:1 and cannot be redefined");
    }

    [Fact]
    public void A_table_of_an_earlier_element_cannot_become_an_array_of_tables()
    {
        // Tomlyn's validator reads this document, and building it then failed with an InvalidCastException (exit 70).
        Errors("""
            [[a.c]]
            c.b = [1]
            [[a.c.c]]
            """).Should().Equal("3:1: the key 'a.c.c' is already defined at 2:1 and cannot be redefined");
    }

    [Fact]
    public void Duplicate_keys_in_an_inline_table_and_keys_added_to_one_are_refused()
    {
        Errors("""
            a = {b = 1, b = 2}
            [t]
            x = {y = 1}
            x.z = 2
            """).Should().Equal(
                "1:13: the key 'a.b' is already defined at 1:6 and cannot be redefined",
                "4:1: the key 't.x' is already defined at 3:5 and cannot be redefined");
    }
}
