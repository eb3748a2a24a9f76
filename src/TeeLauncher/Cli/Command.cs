using TeeLauncher.Errors;

namespace TeeLauncher.Cli;

/// <summary>One verb of the command line.</summary>
public abstract class Command
{
    public abstract string Name { get; }

    /// <summary>One line: what the command is for.</summary>
    public abstract string Purpose { get; }

    /// <summary>An example invocation, shown by <c>--help</c>.</summary>
    public abstract string Example { get; }

    public abstract IReadOnlyList<CommandOption> Options { get; }

    public abstract Task<ExitCode> ExecuteAsync(CommandArguments arguments, CommandConsole console, CancellationToken cancellationToken);
}
