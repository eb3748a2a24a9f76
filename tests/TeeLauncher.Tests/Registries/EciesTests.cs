using System.Security.Cryptography;
using System.Text;
using TeeLauncher.Registries;

namespace TeeLauncher.Tests.Registries;

public sealed class EciesTests
{
    [Fact]
    public void Round_trips()
    {
        var key = CredentialsKey.Generate();
        var plaintext = Encoding.UTF8.GetBytes("helloworld🌍");

        var message = Ecies.Encrypt(key.PublicKey, plaintext);

        message.Should().HaveCount(65 + 16 + 16 + plaintext.Length);
        message[0].Should().Be(0x04, "the ephemeral key is uncompressed");
        Ecies.Decrypt(key, message).Should().Equal(plaintext);
    }

    [Fact]
    public void Encrypts_for_a_compressed_public_key_too()
    {
        var key = CredentialsKey.Generate();
        var compressed = new byte[33];
        compressed[0] = (byte)(2 + (key.PublicKey[64] & 1));
        key.PublicKey.AsSpan(1, 32).CopyTo(compressed.AsSpan(1));

        Ecies.Decrypt(key, Ecies.Encrypt(compressed, [1, 2, 3])).Should().Equal(1, 2, 3);
    }

    [Fact]
    public void Decrypts_the_known_message_of_ecies_py_and_eciesjs()
    {
        // The secp256k1 / AES-256-GCM (16-byte nonce) / HKDF-SHA256 vector that ecies/py and eciesjs both decrypt.
        var key = CredentialsKey.Parse("8d5a6fe64ceda8b818836c6bdbd7a3430da9f2f9ec8d5b2e7f692e1a2f15c3b6");
        var message = Convert.FromBase64String(
            "BL0d+HM4gQi8l1PO7bYl2pBK+CbO+gCNHFk2cmSi/cD9OTrdBiuQazCiDzfPkw7gEIVoP3Txj+hVqr" +
            "+r7Hik5bOLD9qQ+nbfJPtcjGrJotN/ufZhfeQCR45Ku338DJMhlYzJw2uDwVF6QH4swg==");

        Encoding.UTF8.GetString(Ecies.Decrypt(key, message)).Should().Be("hello world!");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(64)]
    [InlineData(80)]
    [InlineData(97)]
    public void Rejects_any_altered_byte(int index)
    {
        var key = CredentialsKey.Generate();
        var message = Ecies.Encrypt(key.PublicKey, Encoding.UTF8.GetBytes("{\"auth\":\"Ym90Omh1bnRlcjI=\"}"));
        message[index] ^= 0x01;

        var decrypt = () => Ecies.Decrypt(key, message);

        decrypt.Should().Throw<CryptographicException>();
    }

    [Fact]
    public void Rejects_a_message_for_another_key()
    {
        var message = Ecies.Encrypt(CredentialsKey.Generate().PublicKey, [42]);

        var decrypt = () => Ecies.Decrypt(CredentialsKey.Generate(), message);

        decrypt.Should().Throw<CryptographicException>().WithMessage("*authentication*");
    }

    [Fact]
    public void Rejects_a_truncated_message()
    {
        var decrypt = () => Ecies.Decrypt(CredentialsKey.Generate(), new byte[96]);

        decrypt.Should().Throw<CryptographicException>().WithMessage("*at least 97 bytes*");
    }
}
