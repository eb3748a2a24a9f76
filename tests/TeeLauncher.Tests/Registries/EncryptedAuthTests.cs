using System.Text;
using TeeLauncher.Registries;
using TeeLauncher.Values;

namespace TeeLauncher.Tests.Registries;

public sealed class EncryptedAuthTests
{
    private static readonly RegistryHost Host = RegistryHost.Parse("registry.example.com");

    // Made with eciesjs 0.5.0 `encrypt(publicKey, plaintext)` for this key (eciesjs's own test key).
    private static readonly CredentialsKey Key = CredentialsKey.Parse("5b5b1a0ff51e4350badd6f58d9e6fa6f57fbdbde6079d12901770dda3b803081");

    private const string UsernameAndPassword = // {"username":"bot","password":"hunter2"}
        "045070319e37855d0997a23100acbe1a7d955885069bad980f366607a09b19c797e47605dda5ad4f0a4005588a02990b3e243de93900f3cce7f3a295aeb3399f2a" +
        "0bf3e8a7297b54418fb39b69d838a548d2290157498a256160f79a74906c58bdcd0fe7497a081beb64e853839f1a2c1d849d0ffd33893ce99209aaa5d3f021676921317bce42f8";

    private const string Auth = // {"auth":"Ym90Omh1bnRlcjI="}
        "047dc3b942a4ff6283f49d2beb595e5870648114ad448657443f0b06684617032e77997134d9e6acfa9ba76b5947677b4d918df0552dcd198995e2a4371881f696" +
        "4f3fc405d3b1389b036d2d5fdba87dbbf147f10f8b1874ff6ca1c6b41360e897c9b03b27c92e2771da8bdef2cd5419b181fc1ff4bc0988763298a6";

    private const string EmptyObject = // {}
        "04fc9104fb9bcf3e37cf9c3d15d4a894f79b4d06311bfd0874d644f7edb4b7c6a62d530640aeefdb46cc0e5ff9a0121434e9da22e221c1e9786bdd57d78dec05d4" +
        "980743ac5d70f48066f97ff0dff259b613f6dc447a3eb907a718fe55cc1fc514dd28";

    private const string UsernameOnly = // {"username":"x"}
        "04d99d0a714c7aad1e811f0d4999b687d8daac12f50cac000839175ef4673a8cabff61ac67d96328e7acc09a536b580258c22aff1825339d834b85fd6a980356c8" +
        "3155a8d0ef70115505adf72cad664baf0cf0f984206e97930d70513247d1a20c055420c93df79c576b3b2e1f4a219c28";

    private const string NotJson = // not json
        "04db072799906910a1c61bb560339e987aee8924e5b2a108c6bb92844c3c1cd33c3af8890a9ff7439bcf7c345b318c0bfebe8192a79f9e191b3bf1579888bd34c1" +
        "8a927cba679b0869217ecffaa3d95e53a1f32d56bcc93d08fe1a872c34c7c40bdc85151a611fa204";

    private const string FailedText = "Invalid encrypted_auth for registry.example.com: failed to decrypt or parse";
    private const string RuleText =
        "Invalid encrypted_auth for registry.example.com: Either 'auth' must be provided, or both 'username' and 'password' must be provided";

    [Theory]
    [InlineData(UsernameAndPassword)]
    [InlineData("0x" + UsernameAndPassword)]
    [InlineData(Auth)]
    public void Decrypts_what_eciesjs_encrypted(string encrypted)
    {
        var credential = EncryptedAuth.Decrypt(encrypted, Key, Host);

        credential.Username.Should().Be("bot");
        credential.Password.Should().Be("hunter2");
        credential.DockerAuth.Should().Be("Ym90Omh1bnRlcjI=");
    }

    [Theory]
    [InlineData(EmptyObject)]
    [InlineData(UsernameOnly)]
    public void Names_the_rule_when_the_credentials_are_incomplete(string encrypted)
    {
        var decrypt = () => EncryptedAuth.Decrypt(encrypted, Key, Host);

        decrypt.Should().Throw<CredentialException>().Which.Message.Should().Be(RuleText);
    }

    [Theory]
    [InlineData(NotJson)]
    [InlineData("zz")]
    [InlineData("")]
    [InlineData("0x")]
    [InlineData("04abc")]
    public void Says_failed_to_decrypt_or_parse_for_what_is_not_a_message(string encrypted)
    {
        var decrypt = () => EncryptedAuth.Decrypt(encrypted, Key, Host);

        decrypt.Should().Throw<CredentialException>().Which.Message.Should().Be(FailedText);
    }

    [Fact]
    public void Says_failed_to_decrypt_or_parse_for_a_tampered_message()
    {
        var tampered = UsernameAndPassword[..^2] + (UsernameAndPassword[^2..] == "f8" ? "f9" : "f8");

        var decrypt = () => EncryptedAuth.Decrypt(tampered, Key, Host);

        decrypt.Should().Throw<CredentialException>().Which.Message.Should().Be(FailedText);
    }

    [Fact]
    public void Says_failed_to_decrypt_or_parse_with_the_wrong_key()
    {
        var decrypt = () => EncryptedAuth.Decrypt(UsernameAndPassword, CredentialsKey.Generate(), Host);

        decrypt.Should().Throw<CredentialException>().Which.Message.Should().Be(FailedText);
    }

    [Theory]
    [InlineData("{\"username\":\"bot\",\"password\":\"hunter2\"}", typeof(PlaintextCredential.Valid))]
    [InlineData("{\"auth\":\"Ym90Omh1bnRlcjI=\",\"email\":\"x@example.com\"}", typeof(PlaintextCredential.Valid))]
    [InlineData("{\"auth\":\"\",\"username\":\"bot\",\"password\":\"hunter2\"}", typeof(PlaintextCredential.Valid))]
    [InlineData("{}", typeof(PlaintextCredential.RuleBroken))]
    [InlineData("{\"username\":\"x\"}", typeof(PlaintextCredential.RuleBroken))]
    [InlineData("{\"username\":\"x\",\"password\":\"\"}", typeof(PlaintextCredential.RuleBroken))]
    [InlineData("{\"auth\":null,\"password\":\"p\"}", typeof(PlaintextCredential.RuleBroken))]
    [InlineData("{\"username\":1,\"password\":\"p\"}", typeof(PlaintextCredential.Malformed))]
    [InlineData("{\"auth\":\"not base64!\"}", typeof(PlaintextCredential.Malformed))]
    [InlineData("{\"auth\":\"Ym90\"}", typeof(PlaintextCredential.Malformed))]
    [InlineData("{\"auth\":\"dXNlcjo=\"}", typeof(PlaintextCredential.Valid))] // "user:", an empty password, as docker/cli's decodeAuth reads it
    [InlineData("[\"bot\"]", typeof(PlaintextCredential.Malformed))]
    [InlineData("{\"username\":", typeof(PlaintextCredential.Malformed))]
    public void Applies_the_rule_of_spec_6_3(string json, Type expected) =>
        EncryptedAuth.ParsePlaintext(Encoding.UTF8.GetBytes(json)).Should().BeOfType(expected);

    [Fact]
    public void Encrypt_then_decrypt_round_trips()
    {
        var key = CredentialsKey.Generate();

        var encrypted = EncryptedAuth.Encrypt("{\"username\":\"bot\",\"password\":\"hunter2\"}"u8, key.PublicKey);

        encrypted.Should().MatchRegex("^[0-9a-f]+$");
        EncryptedAuth.Decrypt(encrypted, key, Host).Password.Should().Be("hunter2");
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("{\"username\":\"x\"}")]
    public void Encrypt_refuses_credentials_that_would_not_decrypt_to_a_usable_login(string json)
    {
        var encrypt = () => EncryptedAuth.Encrypt(Encoding.UTF8.GetBytes(json), CredentialsKey.Generate().PublicKey);

        encrypt.Should().Throw<CredentialException>().WithMessage(
            "*Either 'auth' must be provided, or both 'username' and 'password' must be provided*");
    }

    [Fact]
    public void Error_messages_never_contain_the_secret()
    {
        var withSecretNotBase64 = EncryptedAuth.Encrypt("{\"username\":\"bot\",\"password\":\"hunter2\"}"u8, Key.PublicKey);
        var parse = () => EncryptedAuth.Encrypt("{\"auth\":\"hunter2-is-not-base64\"}"u8, Key.PublicKey);

        parse.Should().Throw<CredentialException>().Which.Message.Should().NotContain("hunter2");
        EncryptedAuth.Decrypt(withSecretNotBase64, Key, Host).ToString().Should().NotContain("hunter2").And.NotContain("bot");
    }

    [Fact]
    public void Password_bytes_that_are_not_utf8_reach_docker_unchanged()
    {
        byte[] userColonPassword = [.. "bot:"u8, 0xff, 0xfe, 0x80, (byte)'x'];
        var auth = Convert.ToBase64String(userColonPassword);

        var parsed = EncryptedAuth.ParsePlaintext(Encoding.UTF8.GetBytes($"{{\"auth\":\"{auth}\"}}"));

        parsed.Should().BeOfType<PlaintextCredential.Valid>().Which.Credential.DockerAuth.Should().Be(auth, "no byte is rewritten to U+FFFD");
    }
}
