using System.Text.Json;
using TeeLauncher.Cli;
using TeeLauncher.Errors;
using TeeLauncher.Registries;
using TeeLauncher.Tests.Support;
using TeeLauncher.Values;

namespace TeeLauncher.Tests.Cli;

public sealed class KeyCommandsTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static async Task<(ExitCode Code, string Out, string Error)> RunAsync(Command command, string input, params string[] args)
    {
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        var console = new CommandConsole(stdout, stderr, new StringReader(input));
        try
        {
            var code = await command.ExecuteAsync(CommandArguments.Parse(command.Name, command.Options, args), console, CancellationToken.None);
            return (code, stdout.ToString(), stderr.ToString());
        }
        catch (LauncherException e)
        {
            return (e.ExitCode, stdout.ToString(), e.Message);
        }
    }

    [Fact]
    public async Task Keygen_writes_a_key_prints_its_public_key_and_pubkey_prints_it_again()
    {
        var path = _dir.Combine("etc/registry.key");

        var keygen = await RunAsync(new KeygenCommand(), "", "--out", path);
        var pubkey = await RunAsync(new PubkeyCommand(), "", "--key", path);

        keygen.Code.Should().Be(ExitCode.Success);
        keygen.Out.Should().MatchRegex("^04[0-9a-f]{128}\n$");
        keygen.Error.Should().Contain(path).And.Contain("0600");
        File.GetUnixFileMode(path).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        pubkey.Should().Be((ExitCode.Success, keygen.Out, ""));
    }

    [Fact]
    public async Task Without_a_path_keygen_and_pubkey_use_the_key_file_of_the_config()
    {
        var config = _dir.File("launcher.toml", """
            [launcher]
            credentials_key_file = "keys/registry.key"

            [image]
            reference = "registry.example.com/acme/node"
            """);

        var keygen = await RunAsync(new KeygenCommand(), "", "--config", config);
        var pubkey = await RunAsync(new PubkeyCommand(), "", "--config", config, "--json");

        keygen.Code.Should().Be(ExitCode.Success);
        File.Exists(_dir.Combine("keys/registry.key")).Should().BeTrue();
        pubkey.Out.Should().Contain(keygen.Out.Trim()).And.Contain(_dir.Combine("keys/registry.key"));
    }

    [Fact]
    public async Task Keygen_refuses_to_overwrite()
    {
        var path = _dir.File("registry.key", "5b5b1a0ff51e4350badd6f58d9e6fa6f57fbdbde6079d12901770dda3b803081\n");

        var (code, stdout, error) = await RunAsync(new KeygenCommand(), "", "--out", path);

        code.Should().Be(ExitCode.ConfigInvalid);
        stdout.Should().BeEmpty();
        error.Should().Contain("already exists");
        File.ReadAllText(path).Should().StartWith("5b5b1a0f");
    }

    [Fact]
    public async Task Pubkey_prints_json_on_request()
    {
        var path = _dir.File("registry.key", "5b5b1a0ff51e4350badd6f58d9e6fa6f57fbdbde6079d12901770dda3b803081\n");

        var (_, stdout, _) = await RunAsync(new PubkeyCommand(), "", "--key", path, "--json");

        using var json = JsonDocument.Parse(stdout);
        json.RootElement.GetProperty("public_key").GetString().Should().StartWith("048e41409f2e109f");
        json.RootElement.GetProperty("key_file").GetString().Should().Be(path);
    }

    [Fact]
    public async Task Pubkey_of_a_malformed_key_file_says_so_without_quoting_it()
    {
        var path = _dir.File("registry.key", "hunter2\n");

        var (code, _, error) = await RunAsync(new PubkeyCommand(), "", "--key", path);

        code.Should().Be(ExitCode.ConfigInvalid);
        error.Should().Contain(path).And.Contain("64 hex digits").And.NotContain("hunter2");
    }

    [Fact]
    public async Task Encrypt_auth_output_decrypts_with_the_key()
    {
        var key = CredentialsKey.Generate();

        var (code, stdout, _) = await RunAsync(new EncryptAuthCommand(), "{\"username\":\"bot\",\"password\":\"hunter2\"}\n", "--pubkey", "0x" + key.PublicKeyHex);

        code.Should().Be(ExitCode.Success);
        EncryptedAuth.Decrypt(stdout.Trim(), key, RegistryHost.Parse("registry.example.com")).Password.Should().Be("hunter2");
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("{\"username\":\"x\"}")]
    public async Task Encrypt_auth_refuses_incomplete_credentials(string json)
    {
        var (code, stdout, error) = await RunAsync(new EncryptAuthCommand(), json, "--pubkey", CredentialsKey.Generate().PublicKeyHex);

        code.Should().Be(ExitCode.ConfigInvalid);
        stdout.Should().BeEmpty();
        error.Should().Contain("Either 'auth' must be provided, or both 'username' and 'password' must be provided");
    }

    [Theory]
    [InlineData("04zz")]
    [InlineData("04")]
    [InlineData("0400000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000")]
    public async Task Encrypt_auth_refuses_what_is_not_a_public_key(string publicKey)
    {
        var (code, _, error) = await RunAsync(new EncryptAuthCommand(), "{\"auth\":\"Ym90Omh1bnRlcjI=\"}", "--pubkey", publicKey);

        code.Should().Be(ExitCode.Usage);
        error.Should().Contain("--pubkey");
    }

    [Fact]
    public async Task Encrypt_auth_prints_json_on_request()
    {
        var key = CredentialsKey.Generate();

        var (_, stdout, _) = await RunAsync(new EncryptAuthCommand(), "{\"auth\":\"Ym90Omh1bnRlcjI=\"}", "--pubkey", key.PublicKeyHex, "--json");

        using var json = JsonDocument.Parse(stdout);
        EncryptedAuth.Decrypt(json.RootElement.GetProperty("encrypted_auth").GetString()!, key, RegistryHost.Parse("h")).Username.Should().Be("bot");
    }

    [Theory]
    [InlineData("keygen")]
    [InlineData("pubkey")]
    [InlineData("encrypt-auth")]
    public void Each_command_has_a_purpose_and_an_example(string name)
    {
        var command = CommandCatalog.All.Single(c => c.Name == name);

        HelpText.ForCommand(command).Should().Contain("example:").And.Contain($"tee-launcher {name}");
    }
}
