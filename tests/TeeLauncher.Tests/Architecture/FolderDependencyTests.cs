using System.Text.RegularExpressions;
using FluentAssertions;
using TeeLauncher.Tests.Support;
using Xunit;

namespace TeeLauncher.Tests.Architecture;

/// <summary>The folders of src/TeeLauncher depend on each other one way only, read from their <c>using</c> lines.</summary>
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

    private static Dictionary<string, HashSet<string>> Dependencies() =>
        Directory.GetDirectories(Source)
            .Select(Path.GetFileName)
            .OfType<string>()
            .Where(name => name is not ("bin" or "obj"))
            .ToDictionary(name => name, name => Directory.GetFiles(Path.Combine(Source, name), "*.cs")
                .SelectMany(File.ReadLines)
                .Select(line => UsingLine().Match(line))
                .Where(match => match.Success && match.Groups[1].Value != name)
                .Select(match => match.Groups[1].Value)
                .ToHashSet());

    [GeneratedRegex(@"^using TeeLauncher\.(\w+)")]
    private static partial Regex UsingLine();
}
