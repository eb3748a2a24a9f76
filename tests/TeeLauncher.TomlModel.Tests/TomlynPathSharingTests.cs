using System.Text;
using Tomlyn.Parsing;
using Tomlyn.Syntax;

namespace TeeLauncher.TomlModel.Tests;

/// <summary>
/// Tomlyn's validator (SyntaxValidator: ObjectPath.Clone is MemberwiseClone of a List, so every stored path shares the
/// array of the path being built) reports two distinct keys of one table as "already defined" when their string hashes
/// collide. String hashes are random per process, so the colliding pair is searched for in this process, which is the one
/// Tomlyn hashes in: the reproduction is deterministic.
/// </summary>
public sealed class TomlynPathSharingTests
{
    private static readonly (string First, string Second) CollidingKeys = FindCollision();

    private static string Document => $"[t]\n{CollidingKeys.First} = 1\n{CollidingKeys.Second} = 2\n";

    [Fact]
    public void Tomlyn_alone_refuses_two_distinct_keys_whose_hashes_collide()
    {
        var validated = SyntaxParser.Parse(Document, "t.toml", validate: true);

        validated.Diagnostics.Where(d => d.Kind == DiagnosticMessageKind.Error).Should().ContainSingle()
            .Which.Message.Should().Contain("is already defined", "this is the defect the adapter works around");
    }

    [Fact]
    public void The_adapter_reads_the_same_document()
    {
        var document = TomlDocument.Parse(Encoding.UTF8.GetBytes(Document), "t.toml");

        ((TomlTable)document["t"]).Keys.Should().Equal(CollidingKeys.First, CollidingKeys.Second);
    }

    [Fact]
    public void The_adapter_still_refuses_a_real_redefinition_next_to_a_colliding_pair()
    {
        var parse = () => TomlDocument.Parse(Encoding.UTF8.GetBytes(Document + $"{CollidingKeys.Second} = 3\n"), "t.toml");

        parse.Should().Throw<TomlReadException>().Which.Errors.Should().ContainSingle()
            .Which.At.Should().Be(new TomlPosition(4, 1));
    }

    [Fact]
    public void A_megabyte_of_distinct_keys_in_one_table_is_read_every_time()
    {
        var toml = new StringBuilder("[t]\n");
        for (var i = 0; i < 130_000; i++)
            toml.Append("key").Append(i).Append(" = 1\n");

        var table = (TomlTable)TomlDocument.Parse(Encoding.UTF8.GetBytes(toml.ToString()), "t.toml")["t"];

        table.Count.Should().Be(130_000);
    }

    private static (string, string) FindCollision()
    {
        var seen = new Dictionary<int, string>();
        for (var i = 0; ; i++)
        {
            var key = $"k{i}";
            if (seen.TryGetValue(key.GetHashCode(), out var earlier))
                return (earlier, key);
            seen.Add(key.GetHashCode(), key);
        }
    }
}
