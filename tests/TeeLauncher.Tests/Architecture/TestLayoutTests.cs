using System.Text.RegularExpressions;
using TeeLauncher.Tests.Support;

namespace TeeLauncher.Tests.Architecture;

/// <summary>
/// The unit tests mirror src/TeeLauncher: a folder per source folder, a test class of a type in the folder of that
/// type, and three folders of their own: Architecture (these checks), Fuzzing (fuzzers that cross folders) and Support
/// (what tests share; what integration tests share too is in tests/Shared).
/// </summary>
public sealed partial class TestLayoutTests
{
    private static readonly string Tests = Path.Combine(RepositoryFiles.Root, "tests", "TeeLauncher.Tests");
    private static readonly string Source = Path.Combine(RepositoryFiles.Root, "src", "TeeLauncher");
    private static readonly string[] OwnFolders = ["Architecture", "Fuzzing", "Support"];

    [Fact]
    public void Every_test_folder_is_a_source_folder_or_one_of_the_tests_own()
    {
        TestFolders().Should().OnlyContain(folder => OwnFolders.Contains(folder) || Directory.Exists(Path.Combine(Source, folder)));
        Directory.GetFiles(Tests, "*.cs").Should().BeEmpty("every test file is in a folder");
    }

    [Fact]
    public void Every_test_file_is_in_the_namespace_of_its_folder()
    {
        foreach (var folder in TestFolders())
            foreach (var file in Directory.GetFiles(Path.Combine(Tests, folder), "*.cs"))
                Namespace().Match(File.ReadAllText(file)).Groups[1].Value.Should().Be($"TeeLauncher.Tests.{folder}", file);
    }

    [Fact]
    public void The_tests_of_a_type_are_in_the_folder_of_that_type()
    {
        var typeFolders = Directory.GetDirectories(Source).Select(Path.GetFileName).OfType<string>()
            .SelectMany(folder => Directory.GetFiles(Path.Combine(Source, folder), "*.cs")
                .SelectMany(file => TypeDeclaration().Matches(File.ReadAllText(file)).Select(m => (Type: m.Groups[1].Value, Folder: folder))))
            .ToLookup(t => t.Type, t => t.Folder);
        foreach (var folder in TestFolders().Except(OwnFolders))
        {
            foreach (var file in Directory.GetFiles(Path.Combine(Tests, folder), "*Tests.cs"))
            {
                var type = Path.GetFileNameWithoutExtension(file)[..^"Tests".Length];
                if (typeFolders[type].Any())
                    typeFolders[type].Should().Contain(folder, $"{Path.GetFileName(file)} tests {type}, which is in src/TeeLauncher/{typeFolders[type].First()}");
            }
        }
    }

    private static IEnumerable<string> TestFolders() =>
        Directory.GetDirectories(Tests).Select(Path.GetFileName).OfType<string>().Where(name => name is not ("bin" or "obj"));

    [GeneratedRegex(@"^namespace ([\w.]+);", RegexOptions.Multiline)]
    private static partial Regex Namespace();

    [GeneratedRegex(@"^(?:public |internal )?(?:sealed |static |abstract |partial |readonly )*(?:record struct|record class|class|record|struct|enum|interface) (\w+)", RegexOptions.Multiline)]
    private static partial Regex TypeDeclaration();
}
