namespace TeeLauncher.Errors;

/// <summary>A problem in operator input, located at file:line:column when the input has positions.</summary>
public sealed record InputProblem(string File, int Line, int Column, string Message)
{
    public static InputProblem InFile(string file, string message) => new(file, 0, 0, message);

    public override string ToString() => File.Length == 0 ? Message : Line > 0 ? $"{File}:{Line}:{Column}: {Message}" : $"{File}: {Message}";
}

/// <summary>Invalid configuration, compose template or credentials (exit 3); carries every problem found.</summary>
public sealed class ConfigException : LauncherException
{
    public ConfigException(IReadOnlyList<InputProblem> problems)
        : base(ExitCode.ConfigInvalid, Summarise(problems)) => Problems = problems;

    public ConfigException(InputProblem problem) : this([problem]) { }

    public ConfigException(string message) : this([new InputProblem("", 0, 0, message)]) { }

    public IReadOnlyList<InputProblem> Problems { get; }

    private static string Summarise(IReadOnlyList<InputProblem> problems) =>
        problems.Count == 1
            ? problems[0].ToString()
            : $"{problems[0]} (and {problems.Count - 1} more problem{(problems.Count == 2 ? "" : "s")}; run 'tee-launcher validate')";
}
