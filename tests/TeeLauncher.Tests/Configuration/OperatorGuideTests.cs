using TeeLauncher.Configuration;
using TeeLauncher.Tests.Support;

namespace TeeLauncher.Tests.Configuration;

/// <summary>The operators' config reference is checked against the schema the loader enforces.</summary>
public sealed class OperatorGuideTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static HashSet<string> Documented() =>
        File.ReadAllLines(RepositoryFiles.InRepository("docs", "operators.md"))
            .Where(l => l.StartsWith("| `", StringComparison.Ordinal))
            .Select(l => l.Split('`')[1])
            .Where(k => k.Contains('.'))
            .ToHashSet();

    [Fact]
    public void Every_key_of_the_schema_has_a_row_in_the_operators_guide_and_no_row_names_an_unknown_key()
    {
        var documented = Documented();
        var schema = ConfigLoader.Schema().SelectMany(t => t.Value.Select(k => $"{t.Key}.{k}")).ToHashSet();

        schema.Except(documented).Should().BeEmpty("every key the loader accepts is documented");
        documented.Except(schema).Should().BeEmpty("the guide documents no key the loader refuses");
    }

    /// <summary>A key accepted but never read would take any value in silence; every documented key refuses a date-time at its position.</summary>
    [Fact]
    public void Every_documented_key_is_read()
    {
        const string DateTime = "1979-05-27T07:32:00Z";
        foreach (var dotted in Documented())
        {
            var (table, key) = (dotted[..dotted.LastIndexOf('.')], dotted[(dotted.LastIndexOf('.') + 1)..]);
            var (toml, line) = table switch
            {
                "registry" => ($"[[registry]]\n{key} = {DateTime}\n", 2),
                "registry.mirrors" => ($"[[registry]]\nhost = \"h.test\"\nmirrors = [{{ {key} = {DateTime} }}]\n", 3),
                _ => ($"[{table}]\n{key} = {DateTime}\n", 2),
            };
            var path = _dir.File("launcher.toml", toml);

            ConfigLoader.Read(path).Problems.Select(p => p.ToString())
                .Should().Contain(p => p.StartsWith($"{path}:{line}:") && p.Contains("found a date-time"), $"{dotted} is read");
        }
    }
}
