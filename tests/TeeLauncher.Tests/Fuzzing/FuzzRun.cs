using System.Text;
using System.Text.RegularExpressions;
using Xunit.Abstractions;
using TeeLauncher.Cli;

namespace TeeLauncher.Tests.Fuzzing;

/// <summary>
/// Runs CLI commands in-process on mutated input and tallies the outcomes by exit code. Every case must end within
/// the per-case timeout, with a documented exit code (never 70), no stack trace and no raw control character.
/// </summary>
public sealed partial class FuzzRun(string name, ITestOutputHelper output)
{
    private static readonly TimeSpan PerCase = TimeSpan.FromSeconds(20);

    private readonly SortedDictionary<int, int> _outcomes = [];

    public int Cases { get; private set; }

    /// <summary>What the last case printed, for assertion messages.</summary>
    public string LastOutput { get; private set; } = "";

    public int Count(int exitCode) => _outcomes.GetValueOrDefault(exitCode);

    public async Task<int> RunAsync(byte[] input, params string[] args)
    {
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        var run = Task.Run(() => CommandLineApp.RunAsync(args, new CommandConsole(stdout, stderr, TextReader.Null)));
        int code;
        try
        {
            code = await run.WaitAsync(PerCase);
        }
        catch (TimeoutException)
        {
            throw new Xunit.Sdk.XunitException($"{name} case {Cases + 1} did not finish within {PerCase}; input (base64): {Convert.ToBase64String(input)}");
        }
        Cases++;
        _outcomes[code] = Count(code) + 1;
        var text = stdout + "\n" + stderr;
        LastOutput = text;
        if (code == 70 || StackFrame().IsMatch(text) || text.Any(c => (char.IsControl(c) && c != '\n') || IsInvisibleLineOrDirection(c)))
            throw new Xunit.Sdk.XunitException(
                $"{name} case {Cases}: exit {code}, output:\n{Visible(text)}\ninput (base64): {Convert.ToBase64String(input)}");
        return code;
    }

    /// <summary>Prints the figures and checks that every outcome is one of the documented codes for this input.</summary>
    public void Report(params int[] documented)
    {
        output.WriteLine($"{name}: {Cases} cases; outcomes by exit code: " +
            string.Join(", ", _outcomes.Select(o => $"exit {o.Key}: {o.Value}")));
        _outcomes.Keys.Should().BeSubsetOf(documented, "{0} may only end with its documented exit codes", name);
    }

    /// <summary>What SafeText escapes besides the control characters: line and paragraph separators, direction marks and overrides.</summary>
    public static bool IsInvisibleLineOrDirection(char c) =>
        c is '\u2028' or '\u2029' or (>= '\u202a' and <= '\u202e') or (>= '\u2066' and <= '\u2069') or '\u200e' or '\u200f';

    private static string Visible(string text) =>
        new StringBuilder(text).Replace("\r", "\\r").Replace("\u001b", "\\e").ToString();

    [GeneratedRegex(@"^\s+at \S+.*\)( in .*)?$|Exception:", RegexOptions.Multiline)]
    private static partial Regex StackFrame();
}
