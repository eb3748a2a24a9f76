using TeeLauncher.Errors;

namespace TeeLauncher.Configuration;

/// <summary>Where each config key was written, so later checks can report file:line:column.</summary>
public sealed class ConfigLocations(string file, IReadOnlyDictionary<string, (int Line, int Column)> valuePositions)
{
    public string File { get; } = file;

    /// <summary>A problem at the value of <paramref name="dottedKey"/> (e.g. "compose.file", "registry[1].password_file").</summary>
    public InputProblem Problem(string dottedKey, string message) =>
        valuePositions.TryGetValue(dottedKey, out var at)
            ? new InputProblem(File, at.Line, at.Column, message)
            : InputProblem.InFile(File, message);

    /// <summary>Whether <paramref name="problem"/> is one found at the value of <paramref name="dottedKey"/>.</summary>
    public bool IsAt(string dottedKey, InputProblem problem) =>
        valuePositions.TryGetValue(dottedKey, out var at) && problem.File == File && (problem.Line, problem.Column) == at;
}
