using TeeLauncher.Registries;
using TeeLauncher.Tests.Support;

namespace TeeLauncher.Tests.Registries;

public sealed class CredentialsKeyTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("0000000000000000000000000000000000000000000000000000000000000002",
        "04c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee51ae168fea63dc339a3c58419466ceaeef7f632653266d0e1236431a950cfe52a")]
    [InlineData("0x5b5b1a0ff51e4350badd6f58d9e6fa6f57fbdbde6079d12901770dda3b803081\n",
        "048e41409f2e109f2d704f0afd15d1ab53935fd443729913a7e8536b4cef8cf5773d4db7bbd99e9ed64595e24a251c9836f35d4c9842132443c17f6d501b3410d2")]
    public void Derives_the_public_key_eciesjs_derives(string privateKey, string publicKey) =>
        CredentialsKey.Parse(privateKey).PublicKeyHex.Should().Be(publicKey);

    [Theory]
    [InlineData("")]
    [InlineData("abcd")]
    [InlineData("zz5b1a0ff51e4350badd6f58d9e6fa6f57fbdbde6079d12901770dda3b803081")]
    [InlineData("0000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141")]
    public void Rejects_what_is_not_a_private_key(string text)
    {
        var parse = () => CredentialsKey.Parse(text);

        parse.Should().Throw<CredentialException>();
    }

    [Fact]
    public void Writes_64_hex_digits_and_a_newline_with_mode_0600()
    {
        var path = _dir.Combine("keys/registry.key");
        var key = CredentialsKey.Generate();

        key.WriteNew(path);

        var text = File.ReadAllText(path);
        text.Should().MatchRegex("^[0-9a-f]{64}\n$");
        File.GetUnixFileMode(path).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        CredentialsKey.Parse(text).PublicKeyHex.Should().Be(key.PublicKeyHex);
    }

    [Fact]
    public void Never_replaces_an_existing_key()
    {
        var path = _dir.File("registry.key", "existing");

        var write = () => CredentialsKey.Generate().WriteNew(path);

        write.Should().Throw<CredentialException>().WithMessage("*already exists*");
        File.ReadAllText(path).Should().Be("existing");
    }

    [Fact]
    public void Prints_only_its_public_key()
    {
        var key = CredentialsKey.Parse("5b5b1a0ff51e4350badd6f58d9e6fa6f57fbdbde6079d12901770dda3b803081");

        key.ToString().Should().NotContain("5b5b1a0f").And.Contain(key.PublicKeyHex);
    }
}
