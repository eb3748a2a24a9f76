using TeeLauncher.Configuration;
using TeeLauncher.Errors;
using TeeLauncher.Registries;
using TeeLauncher.Values;
using TeeLauncher.Tests.Support;

namespace TeeLauncher.Tests.Registries;

public sealed class RegistryCredentialStoreTests : IDisposable
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private readonly TempDirectory _dir = new();
    private readonly CredentialsKey _key = CredentialsKey.Generate();

    public void Dispose() => _dir.Dispose();

    private string KeyFile(UnixFileMode mode = OwnerOnly)
    {
        var path = _dir.Combine("registry.key");
        if (!File.Exists(path))
            _key.WriteNew(path);
        File.SetUnixFileMode(path, mode);
        return path;
    }

    private string PasswordFile(string name, string content, UnixFileMode mode = OwnerOnly)
    {
        var path = _dir.File(name, content);
        File.SetUnixFileMode(path, mode);
        return path;
    }

    private string Encrypted(string json) => Convert.ToHexStringLower(Ecies.Encrypt(_key.PublicKey, System.Text.Encoding.UTF8.GetBytes(json)));

    private LauncherConfig Config(Platform platform, params RegistrySettings[] registries) => new(
        _dir.Combine("launcher.toml"),
        new LauncherSettings(platform, _dir.Combine("state"), _dir.Combine("registry.key")),
        new ImageSettings(ImageReference.Parse("registry.example.com/acme/node"), null, null, null),
        PullSettings.Default,
        registries,
        MeasurementSettings.Default with { Backend = MeasurementBackendKind.None, EventLog = _dir.Combine("events.jsonl") },
        ComposeSettings.Default with { File = _dir.Combine("compose.yml") },
        new ConfigLocations(_dir.Combine("launcher.toml"), new Dictionary<string, (int, int)>
        {
            ["registry[0].encrypted_auth"] = (12, 18),
            ["launcher.credentials_key_file"] = (4, 24),
        }));

    private static RegistrySettings Encrypted(string host, string encryptedAuth) => new(RegistryHost.Parse(host), [], null, null, encryptedAuth);

    private static RegistrySettings WithPassword(string host, string user, string passwordFile) => new(RegistryHost.Parse(host), [], user, passwordFile, null);

    private static IReadOnlyList<InputProblem> ProblemsOf(Action load) =>
        load.Should().Throw<ConfigException>().Which.Problems;

    [Fact]
    public void Reads_encrypted_auth_and_password_files_per_host()
    {
        KeyFile();
        var config = Config(Platform.Tee,
            Encrypted("registry.example.com", Encrypted("{\"username\":\"bot\",\"password\":\"hunter2\"}")),
            WithPassword("mirror.internal:5000", "mirror-bot", PasswordFile("mirror.pw", "mirror-secret\n")),
            new RegistrySettings(RegistryHost.Parse("docker.io"), [new MirrorSettings(RegistryHost.Parse("mirror.internal:5000"), "", "")], null, null, null));

        var store = RegistryCredentialStore.Load(config);

        store.For(RegistryHost.Parse("registry.example.com"))!.DockerAuth.Should().Be(Convert.ToBase64String("bot:hunter2"u8));
        store.For(RegistryHost.Parse("REGISTRY.example.com")).Should().BeSameAs(store.For(RegistryHost.Parse("registry.example.com")));
        store.For(RegistryHost.Parse("mirror.internal:5000"))!.Password.Should().Be("mirror-secret", "the trailing newline is not part of the password");
        store.For(RegistryHost.Parse("docker.io")).Should().BeNull("no credentials configured: docker's own config or anonymous");
        store.For(RegistryHost.Parse("elsewhere.example.com")).Should().BeNull();
    }

    [Fact]
    public void Encrypted_auth_takes_precedence_over_username_and_password_file()
    {
        KeyFile();
        var config = Config(Platform.Dev, new RegistrySettings(
            RegistryHost.Parse("registry.example.com"), [], "other", PasswordFile("pw", "other-secret"), Encrypted("{\"username\":\"bot\",\"password\":\"hunter2\"}")));

        RegistryCredentialStore.Load(config).For(RegistryHost.Parse("registry.example.com"))!.Username.Should().Be("bot");
    }

    [Fact]
    public void Needs_no_key_file_without_encrypted_auth()
    {
        var config = Config(Platform.Tee, WithPassword("registry.example.com", "bot", PasswordFile("pw", "hunter2")));

        RegistryCredentialStore.Load(config).For(RegistryHost.Parse("registry.example.com")).Should().NotBeNull();
    }

    [Fact]
    public void Reports_the_spec_texts_at_the_position_of_encrypted_auth()
    {
        KeyFile();
        var config = Config(Platform.Tee,
            Encrypted("registry.example.com", Encrypted("{\"username\":\"x\"}")),
            Encrypted("other.example.com", "0xdeadbeef"));

        var problems = ProblemsOf(() => RegistryCredentialStore.Load(config));

        problems.Select(p => p.ToString()).Should().Equal(
            $"{_dir.Combine("launcher.toml")}:12:18: Invalid encrypted_auth for registry.example.com: Either 'auth' must be provided, or both 'username' and 'password' must be provided",
            $"{_dir.Combine("launcher.toml")}: Invalid encrypted_auth for other.example.com: failed to decrypt or parse");
    }

    [Fact]
    public void A_missing_key_file_is_one_problem_however_many_registries_need_it()
    {
        var config = Config(Platform.Tee,
            Encrypted("registry.example.com", Encrypted("{\"auth\":\"Ym90Omh1bnRlcjI=\"}")),
            Encrypted("other.example.com", Encrypted("{\"auth\":\"Ym90Omh1bnRlcjI=\"}")));

        var problems = ProblemsOf(() => RegistryCredentialStore.Load(config));

        problems.Should().ContainSingle().Which.Message.Should().Contain("registry.key does not exist").And.Contain("tee-launcher keygen");
        problems[0].Line.Should().Be(4);
    }

    [Fact]
    public void On_platform_tee_refuses_secrets_readable_by_group_or_others()
    {
        KeyFile(OwnerOnly | UnixFileMode.GroupRead);
        var config = Config(Platform.Tee,
            Encrypted("registry.example.com", Encrypted("{\"auth\":\"Ym90Omh1bnRlcjI=\"}")),
            WithPassword("other.example.com", "bot", PasswordFile("pw", "hunter2", OwnerOnly | UnixFileMode.OtherRead)));

        var problems = ProblemsOf(() => RegistryCredentialStore.Load(config));

        problems.Select(p => p.Message).Should().SatisfyRespectively(
            key => key.Should().Contain("credentials key file").And.Contain("(mode 0640)").And.Contain("chmod 600"),
            password => password.Should().Contain("password file of other.example.com").And.Contain("(mode 0604)"));
    }

    [Fact]
    public void On_platform_dev_accepts_secrets_readable_by_others()
    {
        KeyFile(OwnerOnly | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var config = Config(Platform.Dev,
            Encrypted("registry.example.com", Encrypted("{\"auth\":\"Ym90Omh1bnRlcjI=\"}")),
            WithPassword("other.example.com", "bot", PasswordFile("pw", "hunter2", OwnerOnly | UnixFileMode.OtherRead)));

        RegistryCredentialStore.Load(config).For(RegistryHost.Parse("other.example.com")).Should().NotBeNull();
    }

    [Fact]
    public void Reports_missing_and_empty_password_files()
    {
        var config = Config(Platform.Tee,
            WithPassword("registry.example.com", "bot", _dir.Combine("missing.pw")),
            WithPassword("other.example.com", "bot", PasswordFile("empty.pw", "\n")));

        var problems = ProblemsOf(() => RegistryCredentialStore.Load(config));

        problems.Select(p => p.Message).Should().SatisfyRespectively(
            missing => missing.Should().Contain("password file of registry.example.com").And.Contain("does not exist"),
            empty => empty.Should().Contain("password file of other.example.com").And.Contain("is empty"));
    }

    [Fact]
    public void Leaves_unread_the_credentials_of_a_registry_whose_host_was_refused()
    {
        var config = Config(Platform.Tee,
            new RegistrySettings(null, [], "bot", _dir.Combine("missing.pw"), null),
            WithPassword("other.example.com", "bot", _dir.Combine("missing-too.pw")));

        ProblemsOf(() => RegistryCredentialStore.Load(config)).Should().ContainSingle()
            .Which.Message.Should().Contain("password file of other.example.com");
    }

    [Fact]
    public void Problems_never_contain_the_secrets()
    {
        File.WriteAllText(_dir.Combine("registry.key"), "hunter2-key-material\n");
        File.SetUnixFileMode(_dir.Combine("registry.key"), OwnerOnly);
        var config = Config(Platform.Tee,
            Encrypted("registry.example.com", "0x" + Convert.ToHexString("hunter2"u8)),
            WithPassword("other.example.com", "bot", PasswordFile("pw", "hunter2", OwnerOnly | UnixFileMode.OtherRead)));

        var problems = ProblemsOf(() => RegistryCredentialStore.Load(config));

        problems.Should().NotBeEmpty();
        problems.Should().AllSatisfy(p => p.Message.Should().NotContain("hunter2"));
    }
}
