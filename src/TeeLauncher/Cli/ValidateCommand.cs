using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using TeeLauncher.Compose;
using TeeLauncher.Docker;
using TeeLauncher.Errors;
using TeeLauncher.Launch;
using TeeLauncher.Selection;
using TeeLauncher.Values;

namespace TeeLauncher.Cli;

public sealed class ValidateCommand : Command
{
    public override string Name => "validate";

    public override string Purpose => "check the config, approved hashes, compose template and credentials; print every problem";

    public override string Example => "tee-launcher validate --config /etc/tee-launcher/launcher.toml";

    public override IReadOnlyList<CommandOption> Options { get; } = [CommandOption.Config, CommandOption.Json];

    public override async Task<ExitCode> ExecuteAsync(CommandArguments arguments, CommandConsole console, CancellationToken cancellationToken)
    {
        var path = arguments.ConfigPath;
        var (inputs, problems) = LaunchInputs.Check(path);
        var messages = problems.Select(p => p.ToString()).ToList();
        var code = problems.Count > 0 ? ExitCode.ConfigInvalid : ExitCode.Success;
        DigestSelection? selection = null;
        string? composeModel = null;
        if (inputs is not null)
        {
            try
            {
                var launch = inputs.Choose();
                selection = launch.Selection;
                composeModel = await AskComposeAsync(launch, cancellationToken);
            }
            catch (ConfigException e)
            {
                messages.AddRange(e.Problems.Select(p => p.ToString()));
                code = e.ExitCode;
            }
            catch (LauncherException e)
            {
                messages.Add(e.Message);
                code = e.ExitCode;
            }
        }

        if (arguments.Json)
        {
            var report = new ValidationReport(path, code == ExitCode.Success, (int)code, messages,
                selection?.Digest.ToString(), selection?.RuleName, selection?.Reason, composeModel);
            await console.Out.WriteLineAsync(JsonSerializer.Serialize(report, CliJsonContext.Default.ValidationReport));
        }
        else if (code == ExitCode.Success)
        {
            await console.Out.WriteLineAsync(SafeText.Escape($"{path}: valid; would run {selection!.Digest} ({selection.Reason}); {composeModel}"));
        }
        else
        {
            foreach (var message in messages)
                await console.Error.WriteLineAsync(SafeText.Escape(message));
            await console.Error.WriteLineAsync($"{(path.Length == 0 ? "config" : SafeText.Escape(path))}: {messages.Count} problem{(messages.Count == 1 ? "" : "s")}");
        }
        return code;
    }

    /// <summary>
    /// Judges compose's model of the file as <c>run</c> renders it before the pull, with the compose <c>run</c> would use, in a
    /// sealed folder of its own; says so when no compose is installed to ask.
    /// </summary>
    private static async Task<string> AskComposeAsync(ChosenLaunch launch, CancellationToken cancellationToken)
    {
        var folder = Directory.CreateTempSubdirectory("tee-launcher-validate-");
        try
        {
            var compose = new ComposeRunner(new DockerCli(), launch.Inputs.Config.Compose, ComposeSeal.Create(folder.FullName), NullLogger.Instance);
            var (rendered, model) = launch.RenderFor(launch.PullRequests.Select(r => r.Image).ToList());
            try
            {
                await compose.CheckModelAsync(rendered, model, launch.Inputs.Config.Compose.File, cancellationToken);
            }
            catch (ComposeException e)
            {
                return $"compose's model not checked: no compose to ask ({e.Message})";
            }
            return $"compose's model checked by {string.Join(' ', await compose.CommandAsync(cancellationToken))}";
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}

public sealed record ValidationReport(
    string Config, bool Valid, int ExitCode, IReadOnlyList<string> Problems, string? Digest, string? Rule, string? Reason, string? ComposeModel);
