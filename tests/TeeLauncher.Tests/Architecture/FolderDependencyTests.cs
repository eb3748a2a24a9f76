using System.Text.RegularExpressions;
using FluentAssertions;
using TeeLauncher.Tests.Support;
using Xunit;

namespace TeeLauncher.Tests.Architecture;

/// <summary>
/// The folders of src/TeeLauncher depend on each other one way only, read from their <c>using</c> lines and from the
/// qualified names they write inline (<c>TeeLauncher.Selection.ApprovedHashes</c>, <c>Files.InputFile</c>), and as the
/// folder graph in README.md says.
/// </summary>
public sealed partial class FolderDependencyTests
{
    private static readonly string Source = Path.Combine(RepositoryFiles.Root, "src", "TeeLauncher");

    [Fact]
    public void The_shared_value_types_use_no_other_folder()
    {
        Dependencies()["Values"].Should().BeEmpty();
    }

    [Fact]
    public void No_folder_depends_on_itself_through_others()
    {
        var dependencies = Dependencies();
        foreach (var folder in dependencies.Keys)
            Reachable(folder, dependencies).Should().NotContain(folder, $"{folder} must not depend on itself through other folders");
    }

    [Fact]
    public void The_folder_graph_in_the_readme_is_the_one_in_the_code()
    {
        var code = Dependencies();

        Documented().Should().BeEquivalentTo(code.ToDictionary(d => d.Key, d => d.Value.Order().ToList()),
            "README.md's folder dependency table must list, for every folder, exactly the folders its code uses; the code says:\n" + Table(code));
    }

    [Fact]
    public void A_qualified_name_written_inline_counts_as_a_dependency()
    {
        var types = new Dictionary<string, HashSet<string>> { ["Selection"] = ["ApprovedHashes"], ["Files"] = ["InputFile"] };

        References("var a = TeeLauncher.Selection.ApprovedHashes.Parse(p, b);", types).Should().Equal("Selection");
        References("if (!Files.InputFile.Exists(path))", types).Should().Equal("Files");
        References("var n = _layers.Values.Count; var f = Files.Count;", types).Should().BeEmpty();
    }

    private static HashSet<string> Reachable(string from, IReadOnlyDictionary<string, HashSet<string>> dependencies)
    {
        var seen = new HashSet<string>();
        var pending = new Stack<string>(dependencies[from]);
        while (pending.TryPop(out var next))
        {
            if (seen.Add(next) && dependencies.TryGetValue(next, out var further))
                foreach (var folder in further)
                    pending.Push(folder);
        }
        return seen;
    }

    private static Dictionary<string, HashSet<string>> Dependencies()
    {
        var folders = Directory.GetDirectories(Source)
            .Select(Path.GetFileName)
            .OfType<string>()
            .Where(name => name is not ("bin" or "obj"))
            .ToDictionary(name => name, name => Directory.GetFiles(Path.Combine(Source, name), "*.cs").Select(File.ReadAllText).ToList());
        var types = folders.ToDictionary(f => f.Key, f => f.Value.SelectMany(text => TypeDeclaration().Matches(text).Select(m => m.Groups[1].Value)).ToHashSet());
        return folders.ToDictionary(f => f.Key, f => f.Value.SelectMany(text => References(text, types)).Where(other => other != f.Key).ToHashSet());
    }

    /// <summary>The folders a source text uses: through <c>using TeeLauncher.X</c>, or a type of folder X named as <c>X.Type</c> or <c>TeeLauncher.X.Type</c>.</summary>
    private static IEnumerable<string> References(string text, IReadOnlyDictionary<string, HashSet<string>> types) =>
        UsingLine().Matches(text).Select(m => m.Groups[1].Value).Where(types.ContainsKey)
            .Concat(QualifiedName().Matches(text)
                .Where(m => types.TryGetValue(m.Groups[1].Value, out var declared) && declared.Contains(m.Groups[2].Value))
                .Select(m => m.Groups[1].Value))
            .Distinct();

    /// <summary>The rows of README.md's folder dependency table: <c>| `Folder/` | `Other/`, `Another/` |</c>, "none" for no folder.</summary>
    private static Dictionary<string, List<string>> Documented() =>
        File.ReadLines(Path.Combine(RepositoryFiles.Root, "README.md"))
            .Select(line => DocumentedRow().Match(line))
            .Where(match => match.Success)
            .ToDictionary(match => match.Groups[1].Value,
                match => FolderName().Matches(match.Groups[2].Value).Select(m => m.Groups[1].Value).Order().ToList());

    private static string Table(Dictionary<string, HashSet<string>> dependencies) =>
        string.Join("\n", dependencies.OrderBy(d => d.Key).Select(d =>
            $"| `{d.Key}/` | {(d.Value.Count == 0 ? "none" : string.Join(", ", d.Value.Order().Select(f => $"`{f}/`")))} |"));

    [GeneratedRegex(@"^using TeeLauncher\.(\w+)", RegexOptions.Multiline)]
    private static partial Regex UsingLine();

    [GeneratedRegex(@"(?<![\w.])(?:TeeLauncher\.)?(\w+)\.(\w+)")]
    private static partial Regex QualifiedName();

    [GeneratedRegex(@"\b(?:class|record|struct|interface|enum)\s+(\w+)")]
    private static partial Regex TypeDeclaration();

    [GeneratedRegex(@"^\| `(\w+)/` \| ((?:`\w+/`(?:, )?)+|none) \|$")]
    private static partial Regex DocumentedRow();

    [GeneratedRegex(@"`(\w+)/`")]
    private static partial Regex FolderName();
}
