using System.Text;
using CliWrap;
using CliWrap.Buffered;

namespace TeeLauncher.IntegrationTests.Support;

/// <summary>The outcome of one external command.</summary>
public sealed record ToolResult(int ExitCode, string Out, string Error)
{
    public string Output => Out + Error;

    public ToolResult Succeeded(string what)
    {
        if (ExitCode != 0)
            throw new InvalidOperationException($"{what} failed with exit code {ExitCode}: {Error.Trim()} {Out.Trim()}");
        return this;
    }
}

/// <summary>Runs the test's tools (docker, tpm2-tools, node, the launcher) with argument lists.</summary>
public static class ToolRun
{
    public static async Task<ToolResult> RunAsync(string program, IEnumerable<string> arguments, string? stdin = null,
        IReadOnlyDictionary<string, string?>? environment = null, TimeSpan? timeout = null)
    {
        using var cancel = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(3));
        var command = CliWrap.Cli.Wrap(program)
            .WithArguments(arguments)
            .WithValidation(CommandResultValidation.None)
            .WithEnvironmentVariables(e =>
            {
                if (environment is not null)
                    e.Set(environment);
            });
        if (stdin is not null)
            command = command.WithStandardInputPipe(PipeSource.FromString(stdin, Encoding.UTF8));
        var result = await command.ExecuteBufferedAsync(cancel.Token);
        return new ToolResult(result.ExitCode, result.StandardOutput, result.StandardError);
    }
}
