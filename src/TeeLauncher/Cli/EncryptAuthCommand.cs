using System.Text;
using TeeLauncher.Errors;
using TeeLauncher.Registries;
using TeeLauncher.Values;

namespace TeeLauncher.Cli;

public sealed class EncryptAuthCommand : Command
{
    private const int MaxInputChars = 64 * 1024;

    public override string Name => "encrypt-auth";

    public override string Purpose => "encrypt registry credentials (JSON on stdin) for a launcher's public key; prints the hex for encrypted_auth";

    public override string Example =>
        "echo '{\"username\": \"bot\", \"password\": \"s3cret\"}' | tee-launcher encrypt-auth --pubkey 04ab...";

    public override IReadOnlyList<CommandOption> Options { get; } =
    [
        CommandOption.Value("pubkey", "HEX", "the launcher's public key, as 'tee-launcher keygen' or 'pubkey' print it"),
        CommandOption.Json,
    ];

    public override async Task<ExitCode> ExecuteAsync(CommandArguments arguments, CommandConsole console, CancellationToken cancellationToken)
    {
        var publicKey = PublicKey(arguments.Required("pubkey"));
        var input = await console.In.ReadToEndAsync(cancellationToken);
        if (input.Length > MaxInputChars)
            throw new ConfigException(InputProblem.InFile("standard input", $"the credentials JSON is longer than {MaxInputChars} characters"));

        string encrypted;
        try
        {
            encrypted = EncryptedAuth.Encrypt(Encoding.UTF8.GetBytes(input), publicKey);
        }
        catch (CredentialException e)
        {
            throw new ConfigException(InputProblem.InFile("standard input", $"{e.Message}; expected {{\"username\": ..., \"password\": ...}} or {{\"auth\": base64 of user:password}}"));
        }
        await console.Out.WriteLineAsync(arguments.Json ? PubkeyCommand.JsonObject(("encrypted_auth", encrypted)) : encrypted);
        return ExitCode.Success;
    }

    private static byte[] PublicKey(string text) =>
        Hex.TryDecode(Hex.WithoutPrefix(text.Trim()), out var bytes) && Secp256k1.IsPublicKey(bytes)
            ? bytes
            : throw new UsageException("--pubkey must be a secp256k1 public key in hex: the 130 digits 'tee-launcher pubkey' prints");
}
