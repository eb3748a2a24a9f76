using TeeLauncher.Configuration;
using TeeLauncher.TomlModel;

namespace TeeLauncher.Tests.Configuration;

public sealed class TableReaderTests
{
    [Fact]
    public void A_key_the_reader_does_not_read_is_unknown_and_reported_before_the_table_s_other_problems()
    {
        var table = TomlDocument.Parse("attempts = \"six\"\natempts = 3\nconcurrency = 2\n"u8, "t.toml");
        var context = new ConfigReadContext("t.toml");

        var attempts = TableReader.Read(table, "pull", context, pull => pull.Integer("attempts"));

        attempts.Should().BeNull();
        context.Problems.Select(p => p.ToString()).Should().Equal(
            "t.toml:2:1: unknown key 'atempts' in [pull]; did you mean 'attempts'?",
            "t.toml:3:1: unknown key 'concurrency' in [pull]",
            "t.toml:1:12: pull.attempts must be an integer, found a string");
    }

    [Fact]
    public void A_key_is_known_once_asked_for_whether_or_not_it_was_written()
    {
        var table = TomlDocument.Parse("[pull]\nattempts = 2\n"u8, "t.toml");
        var context = new ConfigReadContext("t.toml");

        TableReader.Read(table, "", context, root => root.Section("pull", pull => (pull.Integer("attempts"), pull.Integer("concurrency"))))
            .Should().Be((2L, (long?)null));
        context.Problems.Should().BeEmpty();
        context.KeysAsked.Should().BeEquivalentTo("pull", "pull.attempts", "pull.concurrency");
    }
}
