using TeeLauncher.Launch;
using TeeLauncher.Tests.Support;

namespace TeeLauncher.Tests.Compose;

/// <summary>
/// 42 real dstack app compose files converted as an operator would (tests/fixtures/compose-corpus, with their sources):
/// each is accepted, or refused for the documented reason that EXPECTED gives.
/// </summary>
public sealed class ComposeCorpusTests
{
    public static TheoryData<string, string, string> Cases()
    {
        var cases = new TheoryData<string, string, string>();
        foreach (var line in File.ReadAllLines(RepositoryFiles.InRepository("tests", "fixtures", "compose-corpus", "EXPECTED")).Where(l => l.Length > 0 && l[0] != '#'))
        {
            var fields = line.Split('\t');
            cases.Add(fields[0], fields[1], fields[2]);
        }
        return cases;
    }

    [Fact]
    public void The_corpus_has_at_least_40_files_and_every_one_has_an_expected_verdict()
    {
        var folders = Directory.GetDirectories(Path.GetDirectoryName(RepositoryFiles.InRepository("tests", "fixtures", "compose-corpus", "SOURCES"))!)
            .Select(Path.GetFileName).ToList();

        folders.Should().HaveCountGreaterThanOrEqualTo(40);
        Cases().Select(c => (string)c[0]).Should().BeEquivalentTo(folders);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Each_file_is_accepted_or_refused_by_the_yaml_reading_for_its_documented_reason(string folder, string verdict, string reason)
    {
        var (inputs, problems) = LaunchInputs.Check(RepositoryFiles.InRepository("tests", "fixtures", "compose-corpus", folder, "launcher.toml"));

        if (verdict == "template")
        {
            problems.Should().Contain(p => p.Message.Contains(reason), folder);
        }
        else
        {
            problems.Should().BeEmpty(folder);
            inputs!.Choose().PullRequests.Should().NotBeEmpty();
        }
    }
}
