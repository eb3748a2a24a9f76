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
        // Every line whole through the sanitiser: names, sources and the compose file come from input files.
        void Line(string line) => text.AppendLine(SafeText.Escape(line));
        Line($"config:      {plan.Config} (platform {plan.Platform})");
        Line($"digest:      {plan.Digest}");
        Line($"rule:        {plan.Rule}: {plan.Reason}");
        Line($"repository:  {plan.Repository} (pull policy {plan.PullPolicy})");
        Line("sources, in order:");
        for (var i = 0; i < plan.Sources.Count; i++)
        {
            var source = plan.Sources[i];
            Line($"  {i + 1}. {source.Source}: {source.Reference}");
            Line($"     credentials: {source.Credentials}; compose sha256 if it serves: {source.ComposeSha256}");
        }
        Line($"images ({plan.Images.Count}, up to {plan.PullConcurrency} pulled at once):");
        foreach (var image in plan.Images)
        {
            Line($"  {image.Image}{(image.Measured ? " (measured)" : "")}, services {string.Join(", ", image.Services)}");
            foreach (var source in image.Sources)
                Line($"     {source.Source}: {source.Reference} ({source.Credentials})");
        }
        Line($"measurement: backend {plan.MeasurementBackend}, event log {plan.EventLog}");
        foreach (var e in plan.Events)
        {
            Line($"  event {e.Name}: payload {e.Payload}");
            Line($"        digest {e.Digest}");
        }
        Line($"compose:     project {plan.Project}, rendered file:");
        foreach (var line in plan.RenderedCompose.Split('\n'))
            Line($"  | {line}");
        return text.ToString();
    }
}
