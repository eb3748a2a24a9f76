using TeeLauncher.Errors;
using TeeLauncher.Service;

namespace TeeLauncher.Cli;

public sealed class RunCommand : Command
{
    public override string Name => "run";

    public override string Purpose => "the boot service: choose, pull, measure and launch the workload, then supervise it";

    public override string Example => "tee-launcher run --config /etc/tee-launcher/launcher.toml";

    public override IReadOnlyList<CommandOption> Options { get; } =
        [CommandOption.Config, CommandOption.Flag("json", "log as JSON lines (one event per line) instead of text")];

    public override async Task<ExitCode> ExecuteAsync(CommandArguments arguments, CommandConsole console, CancellationToken cancellationToken)
    {
        try
        {
            await LauncherHost.RunAsync(arguments.ConfigPath, arguments.Json, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            await console.Error.WriteLineAsync("tee-launcher: stopped before the stack was started; nothing was launched");
        }
        return ExitCode.Success;
    }
}
