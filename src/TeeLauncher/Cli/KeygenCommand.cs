using TeeLauncher.Errors;
using TeeLauncher.Registries;

namespace TeeLauncher.Cli;

public sealed class KeygenCommand : Command
{
    public override string Name => "keygen";

    public override string Purpose => "create the secp256k1 key that decrypts registry encrypted_auth (mode 0600, never overwritten) and print its public key";

    public override string Example => "tee-launcher keygen --out /etc/tee-launcher/registry.key";

    public override IReadOnlyList<CommandOption> Options { get; } =
    [
        CommandOption.Value("out", "FILE", "where to write the private key (default launcher.credentials_key_file of the config)"),
        CommandOption.Config,
        CommandOption.Json,
    ];

    public override async Task<ExitCode> ExecuteAsync(CommandArguments arguments, CommandConsole console, CancellationToken cancellationToken)
    {
        var path = PubkeyCommand.KeyPath(arguments, "out");
        var key = CredentialsKey.Generate();
        try
        {
            key.WriteNew(path);
        }
        catch (CredentialException e)
        {
            throw new ConfigException(e.Message);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException($"cannot write credentials key file {path}: {e.Message}");
        }
        await console.Error.WriteLineAsync($"tee-launcher: wrote a new credentials key to {path} (mode 0600); its public key follows");
        await PubkeyCommand.PrintAsync(console, arguments.Json, key, path);
        return ExitCode.Success;
    }
}
