using System.Security.Cryptography;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Engines;
using Org.BouncyCastle.Crypto.Modes;
using Org.BouncyCastle.Crypto.Parameters;

namespace TeeLauncher.Registries;

/// <summary>
/// ECIES as eciesjs does it with its default settings: secp256k1; message = ephemeral public key (65 bytes,
/// uncompressed) || nonce (16) || tag (16) || ciphertext; key = HKDF-SHA256(ephemeral public key || shared point,
/// both uncompressed, no salt, no info, 32 bytes); AES-256-GCM with a 16-byte nonce and no associated data.
/// </summary>
public static class Ecies
{
    private const int NonceLength = 16;
    private const int TagLength = 16;
    private const int KeyLength = 32;
    private const int HeaderLength = Secp256k1.PublicKeyLength + NonceLength + TagLength;

    /// <summary>Encrypts for the holder of the private key of <paramref name="receiverPublicKey"/> (SEC1, 65 or 33 bytes).</summary>
    public static byte[] Encrypt(ReadOnlySpan<byte> receiverPublicKey, ReadOnlySpan<byte> plaintext)
    {
        var receiver = Secp256k1.Decode(receiverPublicKey);
        var ephemeral = CredentialsKey.Generate();
        var key = DeriveKey(ephemeral.PublicKey, Secp256k1.SharedPoint(ephemeral.Secret, receiver));
        var nonce = RandomNumberGenerator.GetBytes(NonceLength);

        var sealedText = Gcm(forEncryption: true, key, nonce, plaintext); // ciphertext || tag
        var ciphertextLength = sealedText.Length - TagLength;
        var message = new byte[HeaderLength + ciphertextLength];
        ephemeral.PublicKey.CopyTo(message, 0);
        nonce.CopyTo(message, Secp256k1.PublicKeyLength);
        sealedText.AsSpan(ciphertextLength).CopyTo(message.AsSpan(Secp256k1.PublicKeyLength + NonceLength));
        sealedText.AsSpan(0, ciphertextLength).CopyTo(message.AsSpan(HeaderLength));
        return message;
    }

    /// <summary>Decrypts a message for <paramref name="key"/>; throws <see cref="CryptographicException"/> when it is malformed or was tampered with.</summary>
    public static byte[] Decrypt(CredentialsKey key, ReadOnlySpan<byte> message)
    {
        if (message.Length < HeaderLength)
            throw new CryptographicException($"an ECIES message has at least {HeaderLength} bytes, found {message.Length}");
        var ephemeralPublicKey = message[..Secp256k1.PublicKeyLength];
        var nonce = message.Slice(Secp256k1.PublicKeyLength, NonceLength);
        var tag = message.Slice(Secp256k1.PublicKeyLength + NonceLength, TagLength);
        var ciphertext = message[HeaderLength..];

        Org.BouncyCastle.Math.EC.ECPoint ephemeral;
        try
        {
            ephemeral = Secp256k1.Decode(ephemeralPublicKey);
        }
        catch (ArgumentException e)
        {
            throw new CryptographicException($"the ephemeral public key is invalid: {e.Message}");
        }
        var symmetricKey = DeriveKey(ephemeralPublicKey, Secp256k1.SharedPoint(key.Secret, ephemeral));
        try
        {
            return Gcm(forEncryption: false, symmetricKey, nonce, [.. ciphertext, .. tag]);
        }
        catch (InvalidCipherTextException)
        {
            throw new CryptographicException("the ECIES message failed authentication: wrong key or altered message");
        }
    }

    private static byte[] DeriveKey(ReadOnlySpan<byte> ephemeralPublicKey, ReadOnlySpan<byte> sharedPoint) =>
        HKDF.DeriveKey(HashAlgorithmName.SHA256, [.. ephemeralPublicKey, .. sharedPoint], KeyLength, salt: [], info: []);

    private static byte[] Gcm(bool forEncryption, byte[] key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> input)
    {
        var cipher = new GcmBlockCipher(new AesEngine());
        cipher.Init(forEncryption, new AeadParameters(new KeyParameter(key), TagLength * 8, nonce.ToArray()));
        var output = new byte[cipher.GetOutputSize(input.Length)];
        var written = cipher.ProcessBytes(input.ToArray(), 0, input.Length, output, 0);
        written += cipher.DoFinal(output, written);
        return written == output.Length ? output : output[..written];
    }
}
