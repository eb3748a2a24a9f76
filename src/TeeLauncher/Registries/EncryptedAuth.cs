using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using TeeLauncher.Values;

namespace TeeLauncher.Registries;

/// <summary>
/// Registry credentials as an operator puts them in <c>encrypted_auth</c> (docs/spec.md §6.3): hex (optional <c>0x</c>) of an
/// <see cref="Ecies"/> message whose plaintext is JSON <c>{"username","password"}</c> or <c>{"auth"}</c>.
/// </summary>
public static class EncryptedAuth
{
    public const string RuleText = "Either 'auth' must be provided, or both 'username' and 'password' must be provided";

    public static RegistryCredential Decrypt(string encryptedAuth, CredentialsKey key, RegistryHost host)
    {
        byte[] plaintext;
        try
        {
            if (!Hex.TryDecode(Hex.WithoutPrefix(encryptedAuth), out var message))
                throw new CryptographicException("not hex");
            plaintext = Ecies.Decrypt(key, message);
        }
        catch (CryptographicException)
        {
            throw FailedToDecryptOrParse(host);
        }
        return ParsePlaintext(plaintext) switch
        {
            PlaintextCredential.Valid valid => valid.Credential,
            PlaintextCredential.Malformed => throw FailedToDecryptOrParse(host),
            _ => throw new CredentialException($"Invalid encrypted_auth for {host}: {RuleText}"),
        };
    }

    /// <summary>Checks the plaintext JSON and encrypts it for <paramref name="publicKey"/> (SEC1, 65 or 33 bytes); returns lowercase hex.</summary>
    public static string Encrypt(ReadOnlySpan<byte> plaintextJson, ReadOnlySpan<byte> publicKey)
    {
        switch (ParsePlaintext(plaintextJson))
        {
            case PlaintextCredential.Malformed malformed:
                throw new CredentialException($"the credentials are not usable: {malformed.Reason}");
            case PlaintextCredential.RuleBroken:
                throw new CredentialException($"the credentials are not usable: {RuleText}");
        }
        return Convert.ToHexStringLower(Ecies.Encrypt(publicKey, plaintextJson));
    }

    /// <summary>Reads <c>{"username","password"}</c> or <c>{"auth"}</c>; other members are ignored.</summary>
    public static PlaintextCredential ParsePlaintext(ReadOnlySpan<byte> json)
    {
        string? username, password, auth;
        try
        {
            using var document = JsonDocument.Parse(json.ToArray());
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                return new PlaintextCredential.Malformed("expected a JSON object");
            username = StringMember(document.RootElement, "username");
            password = StringMember(document.RootElement, "password");
            auth = StringMember(document.RootElement, "auth");
        }
        catch (JsonException)
        {
            return new PlaintextCredential.Malformed("not valid JSON");
        }
        catch (FormatException e)
        {
            return new PlaintextCredential.Malformed(e.Message);
        }

        if (!string.IsNullOrEmpty(auth))
            return RegistryCredential.FromDockerAuth(auth) is { } fromAuth
                ? new PlaintextCredential.Valid(fromAuth)
                : new PlaintextCredential.Malformed("'auth' must be base64 of 'username:password' (with the ':')");
        return !string.IsNullOrEmpty(username) && !string.IsNullOrEmpty(password)
            ? new PlaintextCredential.Valid(new RegistryCredential(username, password))
            : new PlaintextCredential.RuleBroken();
    }

    private static string? StringMember(JsonElement root, string name) =>
        !root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null ? null
        : value.ValueKind == JsonValueKind.String ? value.GetString()
        : throw new FormatException($"'{name}' must be a string");

    private static CredentialException FailedToDecryptOrParse(RegistryHost host) =>
        new($"Invalid encrypted_auth for {host}: failed to decrypt or parse");
}

/// <summary>What the plaintext of <c>encrypted_auth</c> holds.</summary>
public abstract record PlaintextCredential
{
    private PlaintextCredential() { }

    public sealed record Valid(RegistryCredential Credential) : PlaintextCredential;

    /// <summary>Not JSON, or not of the expected shape; <see cref="Reason"/> never quotes a secret.</summary>
    public sealed record Malformed(string Reason) : PlaintextCredential;

    /// <summary>Well-formed, but neither a non-empty <c>auth</c> nor a non-empty username and password.</summary>
    public sealed record RuleBroken : PlaintextCredential;
}
