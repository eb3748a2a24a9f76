using TeeLauncher.Registries;
using TeeLauncher.IntegrationTests.Support;
using TeeLauncher.Values;

namespace TeeLauncher.IntegrationTests.Registries;

/// <summary>Issue 5, scenario 3: encrypted_auth interoperates with eciesjs in both directions.</summary>
public sealed class EncryptedAuthTests
{
    private const string User = "ecies-bot";
    private const string Password = "only-in-ciphertext-7f3a";

    [Theory]
    [InlineData("")]
    [InlineData("0x")]
    public async Task Credentials_encrypted_by_eciesjs_decrypt_in_the_launcher_and_the_pull_works(string prefix)
    {
        await using var setup = await Setup.CreateAsync("ecies");
        var encrypted = await Eciesjs.EncryptAsync(setup.PublicKey, $$"""{"username":"{{User}}","password":"{{Password}}"}""");
        setup.Configure(prefix + encrypted);
        var logBefore = setup.Registry.Log.Length;

        var run = await setup.Deployment.LauncherAsync("run");

        run.ExitCode.Should().Be(0, run.Error);
        (await setup.Deployment.ContainersAsync()).Should().ContainSingle()
            .Which.Image.Should().Be($"{setup.Registry.Host}/{setup.Deployment.Repository}@{setup.Digest}");
        setup.Registry.Log[logBefore..].Should().MatchRegex($"msg=\"authorized request\".*manifests/{setup.Digest}",
            "the registry, which knows only {0}, authenticated the pull with the credentials inside the ciphertext", User);
        run.Output.Should().NotContain(Password);
    }

    [Fact]
    public async Task The_key_file_of_keygen_is_an_eciesjs_private_key_with_the_printed_public_key()
    {
        await using var setup = await Setup.CreateAsync("keyfile");

        File.GetUnixFileMode(setup.KeyFile).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        setup.PublicKey.Should().MatchRegex("^04[0-9a-f]{128}$");
        var fromEciesjs = (await ToolRun.RunAsync("node",
            ["-e", "const {PrivateKey} = require('eciesjs'); process.stdout.write(PrivateKey.fromHex(require('fs').readFileSync(process.argv[1], 'utf8').trim()).publicKey.toHex(false))", setup.KeyFile],
            environment: new Dictionary<string, string?> { ["NODE_PATH"] = TestEnvironment.NodeModules })).Succeeded("eciesjs PrivateKey.fromHex").Out;
        fromEciesjs.Should().Be(setup.PublicKey, "eciesjs derives the same public key from the key file");
        var pubkey = await LauncherProcess.RunAsync(["pubkey", "--key", setup.KeyFile]);
        pubkey.ExitCode.Should().Be(0, pubkey.Error);
        pubkey.Out.Trim().Should().Be(setup.PublicKey);
        var again = await LauncherProcess.RunAsync(["keygen", "--out", setup.KeyFile]);
        again.ExitCode.Should().Be(3, again.Error);
        again.Error.Should().Contain("already exists");
        (await LauncherProcess.RunAsync(["pubkey", "--key", setup.KeyFile])).Out.Trim().Should().Be(setup.PublicKey, "the key was not replaced");
    }

    [Fact]
    public async Task Encrypt_auth_output_decrypts_with_eciesjs()
    {
        await using var setup = await Setup.CreateAsync("encrypt");
        var json = $$"""{"auth":"{{Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{User}:{Password}"))}}"}""";

        var encrypted = await LauncherProcess.RunAsync(["encrypt-auth", "--pubkey", setup.PublicKey], stdin: json);

        encrypted.ExitCode.Should().Be(0, encrypted.Error);
        var privateKey = File.ReadAllText(setup.KeyFile).Trim();
        (await Eciesjs.DecryptAsync(privateKey, encrypted.Out.Trim())).Should().Be(json);
        setup.Configure(encrypted.Out.Trim());
        (await setup.Deployment.LauncherAsync("run")).ExitCode.Should().Be(0, "the launcher reads what it encrypted");
    }

    [Theory]
    [InlineData("tampered", "failed to decrypt or parse")]
    [InlineData("{}", "Either 'auth' must be provided, or both 'username' and 'password' must be provided")]
    [InlineData("""{"username":"x"}""", "Either 'auth' must be provided, or both 'username' and 'password' must be provided")]
    public async Task Bad_encrypted_auth_is_exit_3_before_any_pull(string plaintext, string error)
    {
        await using var setup = await Setup.CreateAsync("badecies");
        var encrypted = plaintext == "tampered"
            ? Tamper(await Eciesjs.EncryptAsync(setup.PublicKey, $$"""{"username":"{{User}}","password":"{{Password}}"}"""))
            : await Eciesjs.EncryptAsync(setup.PublicKey, plaintext);
        setup.Configure(encrypted);
        var logBefore = setup.Registry.Log.Length;

        var run = await setup.Deployment.LauncherAsync("run");

        run.ExitCode.Should().Be(3, run.Error);
        run.Error.Trim().Split('\n').Should().ContainSingle().Which.Should().Contain($"Invalid encrypted_auth for {setup.Registry.Host}: {error}");
        setup.Registry.Log[logBefore..].Should().NotContain("/manifests/", "nothing is pulled");
        run.Error.Should().NotContain(Password);
    }

    /// <summary>Flips one bit of the ciphertext, after the ephemeral key, nonce and tag.</summary>
    private static string Tamper(string hex)
    {
        var bytes = Convert.FromHexString(hex);
        bytes[^1] ^= 0x01;
        return Convert.ToHexStringLower(bytes);
    }

    private sealed class Setup : IAsyncDisposable
    {
        private Setup(Deployment deployment, RegistryServer registry, string digest, string keyFile, string publicKey)
        {
            (Deployment, Registry, Digest, KeyFile, PublicKey) = (deployment, registry, digest, keyFile, publicKey);
        }

        public Deployment Deployment { get; }

        public RegistryServer Registry { get; }

        public string Digest { get; }

        public string KeyFile { get; }

        public string PublicKey { get; }

        public static async Task<Setup> CreateAsync(string name)
        {
            var deployment = Deployment.Create(name, Toolchain.Debian12);
            var registry = await RegistryServer.StartAsync(deployment.Directory, User, Password);
            var digest = await deployment.PushApprovedAsync(new RegistryLogin(registry.Host, User, Password));
            var keyFile = Path.Combine(deployment.Directory, "registry.key");
            var keygen = await LauncherProcess.RunAsync(["keygen", "--out", keyFile]);
            keygen.ExitCode.Should().Be(0, keygen.Error);
            return new Setup(deployment, registry, digest, keyFile, keygen.Out.Trim());
        }

        public void Configure(string encryptedAuth) =>
            Deployment.Config = Deployment.Config with
            {
                LauncherExtra = $"credentials_key_file = \"{KeyFile}\"\n",
                Registries = $"[[registry]]\nhost = \"{Registry.Host}\"\nencrypted_auth = \"{encryptedAuth}\"\n",
            };

        public async ValueTask DisposeAsync()
        {
            await Registry.DisposeAsync();
            await Deployment.DisposeAsync();
        }
    }

    [Theory]
    [InlineData(new byte[] { (byte)'b', (byte)'o', (byte)'t', (byte)':' })]
    [InlineData(new byte[] { (byte)'b', (byte)'o', (byte)'t', (byte)':', 0xff, 0xfe, 0x80, (byte)'x' })]
    public async Task Docker_auth_from_eciesjs_with_an_empty_or_non_utf8_password_reaches_docker_byte_for_byte(byte[] userColonPassword)
    {
        // docker/cli's decodeAuth splits the decoded bytes at the first ':' and takes either side as it is.
        var key = CredentialsKey.Generate();
        var auth = Convert.ToBase64String(userColonPassword);
        var encrypted = await Eciesjs.EncryptAsync(key.PublicKeyHex, $$"""{"auth":"{{auth}}"}""");

        var credential = EncryptedAuth.Decrypt(encrypted, key, RegistryHost.Parse("registry.example.com"));

        credential.DockerAuth.Should().Be(auth);
    }
}
