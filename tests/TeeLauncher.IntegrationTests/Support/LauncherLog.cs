using System.Text.RegularExpressions;

namespace TeeLauncher.IntegrationTests.Support;

/// <summary>What a launcher's log says, read the way an operator would.</summary>
public static partial class LauncherLog
{
    /// <summary>The numbers of the pull attempts the log reports, each once.</summary>
    public static IEnumerable<int> PullAttempts(string log) =>
        PullAttempt().Matches(log).Select(m => int.Parse(m.Groups[1].Value)).Distinct();

    [GeneratedRegex(@"Pull attempt (\d+) of \S+ from")]
    private static partial Regex PullAttempt();
}
