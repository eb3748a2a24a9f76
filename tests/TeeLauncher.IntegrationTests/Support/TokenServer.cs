using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace TeeLauncher.IntegrationTests.Support;

/// <summary>
/// A registry token server (the docker token authentication protocol): checks Basic credentials and issues
/// RS256 JWTs for the requested scope, signed by a key whose certificate the registry trusts. The header's
/// <c>kid</c> is the libtrust key ID distribution looks the key up by.
/// </summary>
public sealed class TokenServer : IDisposable
{
    public const string Service = "tee-test-registry";
    public const string Issuer = "tee-test-token-issuer";

    private readonly HttpListener _listener = new();
    private readonly RSA _key = RSA.Create(2048);
    private readonly string _user;
    private readonly string _password;
    private readonly List<string> _requests = [];

    public TokenServer(string directory, string user, string password)
    {
        _user = user;
        _password = password;
        var port = RegistryServer.UnusedPort();
        Realm = $"http://127.0.0.1:{port}/token";
        _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        _listener.Start();
        CertificateFile = Path.Combine(directory, "token-signer.pem");
        var request = new CertificateRequest("CN=tee-test-token-issuer", _key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        File.WriteAllText(CertificateFile, certificate.ExportCertificatePem());
        _ = ServeAsync();
    }

    public string Realm { get; }

    public string CertificateFile { get; }

    /// <summary>"user scope -> granted" or "refused", one per token request.</summary>
    public IReadOnlyList<string> Requests
    {
        get
        {
            lock (_requests)
                return [.. _requests];
        }
    }

    /// <summary>SHA-256 of the public key's DER, first 30 bytes, base32 without padding, a ':' every 4 characters.</summary>
    public static string KeyId(RSA key)
    {
        var fingerprint = SHA256.HashData(key.ExportSubjectPublicKeyInfo())[..30];
        var base32 = Base32(fingerprint);
        return string.Join(':', Enumerable.Range(0, base32.Length / 4).Select(i => base32.Substring(i * 4, 4)));
    }

    private Task ServeAsync() => HttpServing.ServeAsync(_listener, context =>
    {
        Answer(context);
        return Task.CompletedTask;
    });

    private void Answer(HttpListenerContext context)
    {
        using var response = context.Response;
        var user = Authenticated(context.Request.Headers["Authorization"]);
        var scope = context.Request.QueryString["scope"];
        lock (_requests)
            _requests.Add(user is null ? "refused" : $"{user} {scope ?? "(no scope)"}");
        if (user is null)
        {
            response.StatusCode = 401;
            response.AddHeader("WWW-Authenticate", "Basic realm=\"tee-test-token\"");
            return;
        }
        var token = Issue(user, scope);
        var body = Encoding.UTF8.GetBytes(new JsonObject
        {
            ["token"] = token, ["access_token"] = token, ["expires_in"] = 300, ["issued_at"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture),
        }.ToJsonString());
        response.ContentType = "application/json";
        response.OutputStream.Write(body);
    }

    private string? Authenticated(string? authorization)
    {
        if (authorization is null || !authorization.StartsWith("Basic ", StringComparison.Ordinal))
            return null;
        var pair = Encoding.UTF8.GetString(Convert.FromBase64String(authorization[6..])).Split(':', 2);
        return pair.Length == 2 && pair[0] == _user && pair[1] == _password ? pair[0] : null;
    }

    private string Issue(string user, string? scope)
    {
        var access = new JsonArray();
        // scope: repository:<name>:<actions>; the name may itself hold no ':' here.
        if (scope?.Split(':') is [var type, var name, var actions])
            access.Add(new JsonObject { ["type"] = type, ["name"] = name, ["actions"] = new JsonArray([.. actions.Split(',').Select(a => (JsonNode)a)]) });
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var header = new JsonObject { ["typ"] = "JWT", ["alg"] = "RS256", ["kid"] = KeyId(_key) };
        var claims = new JsonObject
        {
            ["iss"] = Issuer, ["sub"] = user, ["aud"] = Service, ["exp"] = now + 300, ["nbf"] = now - 10, ["iat"] = now,
            ["jti"] = Guid.NewGuid().ToString("N"), ["access"] = access,
        };
        var signingInput = $"{Base64Url(Encoding.UTF8.GetBytes(header.ToJsonString()))}.{Base64Url(Encoding.UTF8.GetBytes(claims.ToJsonString()))}";
        var signature = _key.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return $"{signingInput}.{Base64Url(signature)}";
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static string Base32(byte[] bytes)
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        var text = new StringBuilder();
        int buffer = 0, bits = 0;
        foreach (var b in bytes)
        {
            buffer = ((buffer << 8) | b) & 0xFFF;
            bits += 8;
            while (bits >= 5)
            {
                text.Append(alphabet[(buffer >> (bits - 5)) & 31]);
                bits -= 5;
            }
        }
        if (bits > 0)
            text.Append(alphabet[(buffer << (5 - bits)) & 31]);
        return text.ToString();
    }

    public void Dispose()
    {
        _listener.Close();
        _key.Dispose();
    }
}
