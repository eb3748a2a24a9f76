using TeeLauncher.Configuration;
using TeeLauncher.Tests.Support;

namespace TeeLauncher.Tests.Configuration;

/// <summary>The operators' config reference is checked against the schema the loader enforces.</summary>
public sealed class OperatorGuideTests
{
    [Fact]
    public void Every_key_of_the_schema_has_a_row_in_the_operators_guide_and_no_row_names_an_unknown_key()
    {
        var guide = File.ReadAllLines(RepositoryFiles.InRepository("docs", "operators.md"));
        var documented = guide
            .Where(l => l.StartsWith("| `", StringComparison.Ordinal))
            .Select(l => l.Split('`')[1])
            .Where(k => k.Contains('.'))
            .ToHashSet();
        var schema = ConfigLoader.Schema.SelectMany(t => t.Value.Select(k => $"{t.Key}.{k}")).ToHashSet();

        schema.Except(documented).Should().BeEmpty("every key the loader accepts is documented");
        documented.Except(schema).Should().BeEmpty("the guide documents no key the loader refuses");
    }
}
