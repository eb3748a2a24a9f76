using System.Text;
using System.Text.Json;
using TeeLauncher.Configuration;
using TeeLauncher.Errors;
using TeeLauncher.State;

namespace TeeLauncher.Cli;

public sealed class StatusCommand : Command
{
    public override string Name => "status";

    public override string Purpose => "show what this boot chose, measured and launched, from the state directory";

    public override string Example => "tee-launcher status --json";

    public override IReadOnlyList<CommandOption> Options { get; } = [CommandOption.Config, CommandOption.Json];

    public override async Task<ExitCode> ExecuteAsync(CommandArguments arguments, CommandConsole console, CancellationToken cancellationToken)
    {
        var config = ConfigLoader.Load(arguments.ConfigPath);
        var state = new StateDirectory(config.Launcher.StateDir);
        var status = LaunchStatus.Read(state.StatusFile);
        if (status is null)
        {
            await console.Out.WriteLineAsync(arguments.Json
                ? "{\"phase\": \"none\"}"
                : $"nothing launched in this boot ({state.StatusFile} does not exist)");
            return ExitCode.Success;
        }
        await console.Out.WriteAsync(arguments.Json
            ? JsonSerializer.Serialize(status, CliJsonContext.Default.LaunchStatus) + "\n"
            : Describe(status.Escaped()));
        return ExitCode.Success;
    }

    private static string Describe(LaunchStatus status)
    {
        var text = new StringBuilder();
        text.AppendLine($"phase:       {status.Phase.Spelling()} (updated {status.UpdatedAt:u})");
        if (status.Error is not null)
            text.AppendLine($"error:       {status.Error}");
        text.AppendLine($"digest:      {status.Digest ?? "-"}");
        text.AppendLine($"rule:        {status.Rule ?? "-"}: {status.Reason ?? "-"}");
        text.AppendLine($"image:       {status.Image ?? "-"}");
        text.AppendLine($"served by:   {status.PulledFrom ?? "-"}{(status.Pulled == false ? " (already present, not pulled)" : "")}");
        foreach (var skipped in status.SkippedSources)
            text.AppendLine($"             {skipped}");
        foreach (var image in status.Images)
            text.AppendLine($"  image {image.Reference} from {image.Source}{(image.Pulled ? "" : " (already present)")}");
        text.AppendLine($"measurement: {status.MeasurementBackend ?? "-"}");
        foreach (var e in status.Events)
            text.AppendLine($"  event {e.Name}: payload {e.Payload}, digest {e.Digest}{(e.ExtendedNow ? "" : " (extended earlier this boot)")}");
        text.AppendLine($"compose:     project {status.Project ?? "-"}, file {status.ComposeFile ?? "-"}, sha256 {status.ComposeSha256 ?? "-"}");
        foreach (var service in status.Services)
            text.AppendLine($"  service {service.Name}: {service.Restarts} restart{(service.Restarts == 1 ? "" : "s")} since launch" +
                (service.LastExitCode is { } code ? $", last exit {code} at {service.LastExitAt:u}" : ", no exit") + (service.Restarting ? ", restarting now" : ""));
        if (status.Approval is { } approval)
            text.AppendLine($"approval:    {approval.State} since {approval.Since:u} (checked {approval.CheckedAt:u}, on_unapproved = {approval.Policy}): {approval.Detail}");
        return text.ToString();
    }
}
