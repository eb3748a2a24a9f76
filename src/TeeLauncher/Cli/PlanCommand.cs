using System.Text;
using System.Text.Json;
using TeeLauncher.Errors;
using TeeLauncher.Launch;
using TeeLauncher.Values;

namespace TeeLauncher.Cli;

public sealed class PlanCommand : Command
{
    public override string Name => "plan";

    public override string Purpose => "print what 'run' would do and why, without pulling, measuring or starting anything";

    public override string Example => "tee-launcher plan --config /etc/tee-launcher/launcher.toml --json";

    public override IReadOnlyList<CommandOption> Options { get; } = [CommandOption.Config, CommandOption.Json];

    public override async Task<ExitCode> ExecuteAsync(CommandArguments arguments, CommandConsole console, CancellationToken cancellationToken)
    {
        var plan = LaunchPlan.For(LaunchInputs.Load(arguments.ConfigPath).Choose());
        await console.Out.WriteAsync(arguments.Json
            ? JsonSerializer.Serialize(plan, CliJsonContext.Default.LaunchPlan) + "\n"
            : Describe(plan));
        return ExitCode.Success;
    }

    private static string Describe(LaunchPlan plan)
    {
        var text = new StringBuilder();
        text.AppendLine($"config:      {plan.Config} (platform {plan.Platform})");
        text.AppendLine($"digest:      {plan.Digest}");
        text.AppendLine($"rule:        {plan.Rule}: {plan.Reason}");
        text.AppendLine($"repository:  {plan.Repository} (pull policy {plan.PullPolicy})");
        text.AppendLine("sources, in order:");
        for (var i = 0; i < plan.Sources.Count; i++)
        {
            var source = plan.Sources[i];
            text.AppendLine($"  {i + 1}. {source.Source}: {source.Reference}");
            text.AppendLine($"     credentials: {source.Credentials}; compose sha256 if it serves: {source.ComposeSha256}");
        }
        text.AppendLine($"images ({plan.Images.Count}, up to {plan.PullConcurrency} pulled at once):");
        foreach (var image in plan.Images)
        {
            text.AppendLine($"  {image.Image}{(image.Measured ? " (measured)" : "")}, services {string.Join(", ", image.Services)}");
            foreach (var source in image.Sources)
                text.AppendLine($"     {source.Source}: {source.Reference} ({source.Credentials})");
        }
        text.AppendLine($"measurement: backend {plan.MeasurementBackend}, event log {plan.EventLog}");
        foreach (var e in plan.Events)
            text.AppendLine($"  event {e.Name}: payload {e.Payload}\n        digest {e.Digest}");
        text.AppendLine($"compose:     project {plan.Project}, rendered file:");
        foreach (var line in plan.RenderedCompose.Split('\n'))
            text.AppendLine($"  | {SafeText.Escape(line)}");
        return text.ToString();
    }
}
