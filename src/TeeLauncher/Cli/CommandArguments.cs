using TeeLauncher.Configuration;
using TeeLauncher.Errors;

namespace TeeLauncher.Cli;

/// <summary>The options given to one command, checked against what it accepts.</summary>
public sealed class CommandArguments
{
    private readonly string _command;
    private readonly Dictionary<string, string?> _given;

    private CommandArguments(string command, Dictionary<string, string?> given)
    {
        _command = command;
        _given = given;
    }

    public bool Has(string name) => _given.ContainsKey(name);

    public bool Json => Has(CommandOption.Json.Name);

    public string? Value(string name) => _given.GetValueOrDefault(name);

    public string Required(string name) =>
        Value(name) ?? throw new UsageException($"'{_command}' needs --{name}; see 'tee-launcher {_command} --help'");

    public string ConfigPath =>
        Value(CommandOption.Config.Name)
        ?? (Environment.GetEnvironmentVariable("TEE_LAUNCHER_CONFIG") is { Length: > 0 } fromEnvironment
            ? fromEnvironment
            : LauncherConfig.DefaultPath);

    public static CommandArguments Parse(string command, IReadOnlyList<CommandOption> accepted, IReadOnlyList<string> args)
    {
        var given = new Dictionary<string, string?>(StringComparer.Ordinal);
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal) || arg.Length == 2)
                throw new UsageException($"unexpected argument '{arg}' for '{command}'; see 'tee-launcher {command} --help'");

            var name = arg[2..];
            string? inlineValue = null;
            if (name.IndexOf('=') is var eq and > 0)
            {
                inlineValue = name[(eq + 1)..];
                name = name[..eq];
            }

            var option = accepted.FirstOrDefault(o => o.Name == name)
                ?? throw new UsageException($"unknown option '--{name}' for '{command}'; see 'tee-launcher {command} --help'");
            if (given.ContainsKey(name))
                throw new UsageException($"option '--{name}' given twice");

            if (!option.TakesValue)
            {
                if (inlineValue is not null)
                    throw new UsageException($"option '--{name}' takes no value");
                given[name] = null;
                continue;
            }

            if (inlineValue is null)
            {
                if (i + 1 >= args.Count)
                    throw new UsageException($"option '--{name}' needs a value ({option.ValueName})");
                inlineValue = args[++i];
            }
            given[name] = inlineValue;
        }
        return new CommandArguments(command, given);
    }
}
