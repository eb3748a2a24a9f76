using System.Text;

namespace TeeLauncher.Registries;

/// <summary>A user name and password for one registry host; never printed.</summary>
public sealed class RegistryCredential
{
    public RegistryCredential(string username, string password)
    {
        if (username.Length == 0 || password.Length == 0)
            throw new ArgumentException("a registry credential needs a user name and a password");
        Username = username;
        Password = password;
    }

    public string Username { get; }

    public string Password { get; }

    /// <summary>The value of <c>auth</c> in a docker config file: base64 of <c>user:password</c>.</summary>
    public string DockerAuth => Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Username}:{Password}"));

    /// <summary>Reads docker's <c>auth</c> form; null when it is not base64 of <c>user:password</c>.</summary>
    public static RegistryCredential? FromDockerAuth(string auth)
    {
        var bytes = new byte[auth.Length];
        if (!Convert.TryFromBase64String(auth, bytes, out var length))
            return null;
        var text = Encoding.UTF8.GetString(bytes, 0, length);
        var colon = text.IndexOf(':');
        return colon > 0 && colon < text.Length - 1 ? new RegistryCredential(text[..colon], text[(colon + 1)..]) : null;
    }

    public override string ToString() => "registry credential (hidden)";
}
