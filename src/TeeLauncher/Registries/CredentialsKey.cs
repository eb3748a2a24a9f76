using System.Security.Cryptography;
using System.Text;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.Utilities;
using TeeLauncher.Files;
using TeeLauncher.Values;

namespace TeeLauncher.Registries;

/// <summary>
/// The secp256k1 private key that decrypts <c>encrypted_auth</c>. Its file holds 64 lowercase hex digits and a
/// newline, the form eciesjs's <c>PrivateKey.toHex()</c> prints and <c>PrivateKey.fromHex()</c> reads.
/// </summary>
public sealed class CredentialsKey
{
    private CredentialsKey(BigInteger secret)
    {
        Secret = secret;
        PublicKey = Secp256k1.Encode(Secp256k1.PublicPoint(secret));
    }

    /// <summary>The public key, 65 bytes uncompressed (<c>04</c> first).</summary>
    public byte[] PublicKey { get; }

    public string PublicKeyHex => Convert.ToHexStringLower(PublicKey);

    internal BigInteger Secret { get; }

    public static CredentialsKey Generate()
    {
        Span<byte> bytes = stackalloc byte[Secp256k1.PrivateKeyLength];
        while (true)
        {
            RandomNumberGenerator.Fill(bytes);
            var secret = new BigInteger(1, bytes);
            if (Secp256k1.IsValidScalar(secret))
                return new CredentialsKey(secret);
        }
    }

    /// <summary>Reads the key file's text: 64 hex digits, an optional <c>0x</c> and surrounding whitespace tolerated.</summary>
    public static CredentialsKey Parse(string text)
    {
        var hex = Hex.WithoutPrefix(text.Trim());
        if (hex.Length != 2 * Secp256k1.PrivateKeyLength || !Hex.TryDecode(hex, out var bytes))
            throw new CredentialException($"a credentials key is {2 * Secp256k1.PrivateKeyLength} hex digits (a secp256k1 private key)");
        var secret = new BigInteger(1, bytes);
        return Secp256k1.IsValidScalar(secret)
            ? new CredentialsKey(secret)
            : throw new CredentialException("the credentials key is not a valid secp256k1 private key (zero or not below the group order)");
    }

    /// <summary>Reads a key file; the messages name the file and never quote it.</summary>
    public static CredentialsKey Load(string path, bool refuseReadableByOthers)
    {
        if (!Files.InputFile.Exists(path))
            throw new CredentialException(
                $"credentials key file {path} does not exist; create it with 'tee-launcher keygen' or set launcher.credentials_key_file");
        var text = SecretFile.Read(path, "credentials key file", refuseReadableByOthers);
        try
        {
            return Parse(text);
        }
        catch (CredentialException e)
        {
            throw new CredentialException($"credentials key file {path}: {e.Message}");
        }
    }

    /// <summary>Writes a new key file with mode 0600; never replaces an existing file.</summary>
    public void WriteNew(string path)
    {
        if (Path.GetDirectoryName(Path.GetFullPath(path)) is { } directory)
            Directory.CreateDirectory(directory);
        try
        {
            OutputFile.CreateNew(path, Encoding.ASCII.GetBytes(Convert.ToHexStringLower(BigIntegers.AsUnsignedByteArray(Secp256k1.PrivateKeyLength, Secret)) + "\n"));
        }
        catch (IOException) when (File.Exists(path))
        {
            throw new CredentialException($"credentials key file {path} already exists; keygen never replaces a key: remove it first, or pass --out FILE");
        }
    }

    public override string ToString() => $"credentials key with public key {PublicKeyHex}";
}
