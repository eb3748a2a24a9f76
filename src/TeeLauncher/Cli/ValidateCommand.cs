using System.Text.Json;
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
        if (inputs is not null)
        {
            try
            {
                selection = inputs.Choose().Selection;
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
                selection?.Digest.ToString(), selection?.RuleName, selection?.Reason);
            await console.Out.WriteLineAsync(JsonSerializer.Serialize(report, CliJsonContext.Default.ValidationReport));
        }
        else if (code == ExitCode.Success)
        {
            await console.Out.WriteLineAsync(SafeText.Escape($"{path}: valid; would run {selection!.Digest} ({selection.Reason})"));
        }
        else
        {
            foreach (var message in messages)
                await console.Error.WriteLineAsync(SafeText.Escape(message));
            await console.Error.WriteLineAsync($"{(path.Length == 0 ? "config" : SafeText.Escape(path))}: {messages.Count} problem{(messages.Count == 1 ? "" : "s")}");
        }
        return code;
    }
}

public sealed record ValidationReport(
    string Config, bool Valid, int ExitCode, IReadOnlyList<string> Problems, string? Digest, string? Rule, string? Reason);
