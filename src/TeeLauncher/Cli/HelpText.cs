using System.Text;

namespace TeeLauncher.Cli;

public static class HelpText
{
    public static string Overview(IReadOnlyList<Command> commands)
    {
        var text = new StringBuilder();
        text.AppendLine("tee-launcher: boots a measured docker compose workload in a confidential VM");
        text.AppendLine();
        text.AppendLine("usage: tee-launcher <command> [options]   (tee-launcher <command> --help for its options)");
        text.AppendLine();
        text.AppendLine("commands:");
        var width = commands.Count == 0 ? 0 : commands.Max(c => c.Name.Length);
        foreach (var command in commands)
            text.AppendLine($"  {command.Name.PadRight(width)}  {command.Purpose}");
        text.AppendLine();
        text.AppendLine("exit codes: 0 ok, 1 not verified, 2 usage, 3 config invalid, 4 digest refused, 5 pull refused,");
        text.AppendLine("            6 pull failed (retry), 7 measurement failed, 8 compose failed, 9 other digest measured,");
        text.AppendLine("            10 image no longer approved (stack stopped), 11 quote verified but its TCB not up to date,");
        text.AppendLine("            12 state directory locked by another run, 70 bug");
        return text.ToString();
    }

    public static string ForCommand(Command command)
    {
        var text = new StringBuilder();
        text.AppendLine($"tee-launcher {command.Name}: {command.Purpose}");
        text.AppendLine();
        text.AppendLine("options:");
        var labels = command.Options.Select(o => o.TakesValue ? $"--{o.Name} {o.ValueName}" : $"--{o.Name}").ToList();
        var width = labels.Count == 0 ? 0 : labels.Max(l => l.Length);
        for (var i = 0; i < labels.Count; i++)
            text.AppendLine($"  {labels[i].PadRight(width)}  {command.Options[i].Help}");
        text.AppendLine();
        text.AppendLine("example:");
        text.AppendLine($"  {command.Example}");
        return text.ToString();
    }
}
