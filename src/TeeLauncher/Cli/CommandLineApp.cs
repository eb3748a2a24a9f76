using TeeLauncher.Errors;
using TeeLauncher.Values;

namespace TeeLauncher.Cli;

/// <summary>The CLI edge: picks the command, and turns failures into one line and an exit code.</summary>
public static class CommandLineApp
{
    public static async Task<int> RunAsync(string[] args, CommandConsole console, CancellationToken cancellationToken = default)
    {
        try
        {
            return (int)await DispatchAsync(args, console, cancellationToken);
        }
        catch (LauncherException e)
        {
            await console.Error.WriteLineAsync($"tee-launcher: {SafeText.Escape(e.Message)}");
            return (int)e.ExitCode;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            await console.Error.WriteLineAsync($"tee-launcher: internal error (a bug, please report it): {e}");
            return (int)ExitCode.Internal;
        }
    }

    private static async Task<ExitCode> DispatchAsync(string[] args, CommandConsole console, CancellationToken cancellationToken)
    {
        if (args.Length == 0 || args[0] is "--help" or "-h" or "help")
        {
            await console.Out.WriteAsync(HelpText.Overview(CommandCatalog.All));
            return args.Length == 0 ? ExitCode.Usage : ExitCode.Success;
        }
        if (args[0] is "--version" or "version")
        {
            await console.Out.WriteLineAsync($"tee-launcher {LauncherVersion.Text}");
            return ExitCode.Success;
        }

        var command = CommandCatalog.All.FirstOrDefault(c => c.Name == args[0])
            ?? throw new UsageException($"unknown command '{args[0]}'; run 'tee-launcher --help' for the list");
        var rest = args[1..];
        if (rest.Any(a => a is "--help" or "-h"))
        {
            await console.Out.WriteAsync(HelpText.ForCommand(command));
            return ExitCode.Success;
        }
        var arguments = CommandArguments.Parse(command.Name, command.Options, rest);
        return await command.ExecuteAsync(arguments, console, cancellationToken);
    }
}
