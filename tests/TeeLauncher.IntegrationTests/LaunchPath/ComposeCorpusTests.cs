using TeeLauncher.IntegrationTests.Support;

namespace TeeLauncher.IntegrationTests.LaunchPath;

/// <summary>
/// The real dstack app files of tests/fixtures/compose-corpus that the launcher's YAML reading accepts, judged in compose
/// 2.26's own model through <c>validate</c> (the plugin, on Debian 13's docker CLI: <see cref="Toolchain.Debian13"/>): accepted, or refused for the documented reason EXPECTED gives.
/// </summary>
public sealed class ComposeCorpusTests
{
    private static string Corpus => Path.Combine(RepositoryRoot(), "tests", "fixtures", "compose-corpus");

    [Fact]
    public async Task Every_file_the_yaml_reading_accepts_is_accepted_by_compose_v2s_model_or_refused_for_its_documented_reason()
    {
        var toolchain = Toolchain.Debian13;
        var failures = new List<string>();
        var judged = 0;
        foreach (var line in File.ReadAllLines(Path.Combine(Corpus, "EXPECTED")).Where(l => l.Length > 0 && l[0] != '#'))
        {
            var (folder, verdict, reason) = line.Split('\t') is [var f, var v, var r] ? (f, v, r) : throw new FormatException(line);
            if (verdict == "template")
                continue;
            judged++;
            var validate = await LauncherProcess.RunAsync(
                ["validate", "--config", Path.Combine(Corpus, folder, "launcher.toml")], toolchain.LauncherEnvironment());
            var ok = verdict == "accepted"
                ? validate.ExitCode == 0 && validate.Out.Contains("compose's model checked by")
                : validate.ExitCode == 3 && validate.Error.Contains(reason);
            if (!ok)
                failures.Add($"{folder} ({verdict}): exit {validate.ExitCode}: {validate.Output}");
        }

        judged.Should().BeGreaterThanOrEqualTo(35);
        failures.Should().BeEmpty();
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "TeeLauncher.sln")))
                return dir.FullName;
        }
        throw new DirectoryNotFoundException("the repository root (TeeLauncher.sln) was not found");
    }
}
