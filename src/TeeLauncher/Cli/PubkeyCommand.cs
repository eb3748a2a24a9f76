using System.Text;
using System.Text.Json;
using TeeLauncher.Configuration;
using TeeLauncher.Errors;
using TeeLauncher.Registries;

namespace TeeLauncher.Cli;

public sealed class PubkeyCommand : Command
{
    public override string Name => "pubkey";

    public override string Purpose => "print the public key of the registry credentials key, for 'encrypt-auth' or eciesjs";

    public override string Example => "tee-launcher pubkey --key /etc/tee-launcher/registry.key";

    public override IReadOnlyList<CommandOption> Options { get; } =
    [
        CommandOption.Value("key", "FILE", "the private key file (default launcher.credentials_key_file of the config)"),
        CommandOption.Config,
        CommandOption.Json,
    ];

    public override async Task<ExitCode> ExecuteAsync(CommandArguments arguments, CommandConsole console, CancellationToken cancellationToken)
    {
        var path = KeyPath(arguments, "key");
        CredentialsKey key;
        try
        {
            key = CredentialsKey.Load(path, refuseReadableByOthers: false);
        }
        catch (CredentialException e)
        {
            throw new ConfigException(e.Message);
        }
        await PrintAsync(console, arguments.Json, key, path);
        return ExitCode.Success;
    }

    /// <summary>The key file named by <c>--<paramref name="option"/></c>, else the config's <c>launcher.credentials_key_file</c>.</summary>
    internal static string KeyPath(CommandArguments arguments, string option) =>
        arguments.Value(option) is { } path
            ? Path.GetFullPath(path)
            : ConfigLoader.Load(arguments.ConfigPath).Launcher.CredentialsKeyFile;

    internal static Task PrintAsync(CommandConsole console, bool json, CredentialsKey key, string path) =>
        console.Out.WriteLineAsync(json ? JsonObject(("public_key", key.PublicKeyHex), ("key_file", path)) : key.PublicKeyHex);

    /// <summary>One line of JSON: an object of string members.</summary>
    internal static string JsonObject(params (string Name, string Value)[] members)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var (name, value) in members)
                writer.WriteString(name, value);
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
