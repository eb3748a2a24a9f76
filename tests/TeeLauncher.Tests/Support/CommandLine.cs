using TeeLauncher.Cli;

namespace TeeLauncher.Tests.Support;

/// <summary>The launcher's command line run in this process, as a user runs it: arguments in; exit code, stdout and stderr out.</summary>
public static class CommandLine
{
    public static Task<(int Code, string Out, string Error)> RunAsync(params string[] args) => RunWithInputAsync("", args);

    public static async Task<(int Code, string Out, string Error)> RunWithInputAsync(string input, params string[] args)
    {
        var (output, error) = (new StringWriter(), new StringWriter());
        var code = await CommandLineApp.RunAsync(args, new CommandConsole(output, error, new StringReader(input)));
        return (code, output.ToString(), error.ToString());
    }
}
