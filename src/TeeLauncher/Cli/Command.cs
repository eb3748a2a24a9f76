using TeeLauncher.Errors;

namespace TeeLauncher.Cli;

/// <summary>One verb of the command line.</summary>
public abstract class Command
{
    /// <summary>The limit of a rendered compose file given as <c>--compose</c>: a template's limit plus room for the substituted values.</summary>
    protected const int RenderedComposeMaxBytes = 4 * Compose.ComposeTemplate.MaxBytes;

    public abstract string Name { get; }

    /// <summary>One line: what the command is for.</summary>
    public abstract string Purpose { get; }

    /// <summary>An example invocation, shown by <c>--help</c>.</summary>
    public abstract string Example { get; }

    public abstract IReadOnlyList<CommandOption> Options { get; }

    public abstract Task<ExitCode> ExecuteAsync(CommandArguments arguments, CommandConsole console, CancellationToken cancellationToken);
}
