using System.Diagnostics;
using System.Text;
using CliWrap;
using TeeLauncher.Values;

namespace TeeLauncher.Docker;

/// <summary>The result of one docker CLI call.</summary>
public sealed record DockerOutput(int ExitCode, string StandardOutput, string StandardError, TimeSpan Duration)
{
    public bool Succeeded => ExitCode == 0;

    /// <summary>Docker's own words, trimmed to one line for an error message, control characters escaped.</summary>
    public string Complaint
    {
        get
        {
            var text = (StandardError.Trim().Length > 0 ? StandardError : StandardOutput).Trim();
            var line = string.Join(" ", text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            return SafeText.Escape(line.Length <= 400 ? line : line[..397] + "...");
        }
    }
}

/// <summary>The docker and compose processes, so the pull, compose and supervision logic can be tested without a daemon.</summary>
public interface IDockerRunner
{
    /// <summary>The docker executable; compose's plugin runs as this with "compose" first.</summary>
    string Executable { get; }

    /// <summary>Runs docker to completion; <paramref name="onOutputLine"/>, when given, sees each line of standard output as it comes.</summary>
    Task<DockerOutput> RunAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken, Action<string>? onOutputLine = null);

    /// <summary>
    /// Runs <paramref name="executable"/> (docker, or docker-compose) in <paramref name="workingDirectory"/>, its standard input from
    /// <paramref name="standardInput"/>, with <paramref name="environment"/> changed (a null value removes the variable).
    /// </summary>
    Task<DockerOutput> RunInAsync(
        string executable, IReadOnlyList<string> arguments, string workingDirectory, PipeSource standardInput,
        IReadOnlyDictionary<string, string?> environment, CancellationToken cancellationToken);
}

/// <summary>Runs docker (and compose) through CliWrap with argument lists; the environment is inherited, so DOCKER_HOST applies.</summary>
public sealed class DockerCli(string executable = "docker") : IDockerRunner
{
    public string Executable { get; } = executable;

    public Task<DockerOutput> RunAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken, Action<string>? onOutputLine = null) =>
        RunAsync(Executable, arguments, cancellationToken, onOutputLine: onOutputLine);

    public Task<DockerOutput> RunInAsync(
        string executable, IReadOnlyList<string> arguments, string workingDirectory, PipeSource standardInput,
        IReadOnlyDictionary<string, string?> environment, CancellationToken cancellationToken) =>
        RunAsync(executable, arguments, cancellationToken, workingDirectory, standardInput: standardInput, environment: environment);

    private const int StreamedLinesKept = 64;

    /// <summary>Runs <paramref name="executable"/> to completion; a non-zero exit is a result, not an exception.</summary>
    public static async Task<DockerOutput> RunAsync(
        string executable, IReadOnlyList<string> arguments, CancellationToken cancellationToken, string? workingDirectory = null,
        Action<string>? onOutputLine = null,
        PipeSource? standardInput = null,
        IReadOnlyDictionary<string, string?>? environment = null)
    {
        var clock = Stopwatch.StartNew();
        var standardOutput = new StringBuilder();
        var standardError = new StringBuilder();
        // A streamed command may run for the life of the service (docker events): only its last lines are kept.
        var streamedTail = new Queue<string>();
        var command = CliWrap.Cli.Wrap(executable)
            .WithArguments(arguments)
            .WithValidation(CommandResultValidation.None)
            .WithStandardOutputPipe(onOutputLine is null
                ? PipeTarget.ToStringBuilder(standardOutput)
                : PipeTarget.ToDelegate(line =>
                {
                    onOutputLine(line);
                    streamedTail.Enqueue(line);
                    if (streamedTail.Count > StreamedLinesKept)
                        streamedTail.Dequeue();
                }))
            .WithStandardErrorPipe(PipeTarget.ToStringBuilder(standardError))
            .WithStandardInputPipe(standardInput ?? PipeSource.Null);
        if (workingDirectory is not null)
            command = command.WithWorkingDirectory(workingDirectory);
        command = command.WithEnvironmentVariables(variables =>
        {
            // The docker CLI (26+) would pull and run another platform's image for it: the host's platform is what runs.
            variables.Set("DOCKER_DEFAULT_PLATFORM", null);
            if (environment is not null)
                variables.Set(environment);
        });
        try
        {
            var result = await command.ExecuteAsync(cancellationToken);
            var output = onOutputLine is null ? standardOutput.ToString() : string.Join('\n', streamedTail);
            return new DockerOutput(result.ExitCode, output, standardError.ToString(), clock.Elapsed);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return new DockerOutput(127, "", $"cannot start {executable}: {e.Message}", clock.Elapsed);
        }
    }
}
