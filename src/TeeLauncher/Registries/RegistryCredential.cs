using System.Text;

namespace TeeLauncher.Registries;

/// <summary>
/// A user name and password for one registry host; never printed. Kept as the bytes of <c>user:password</c> that docker
/// sends, so that a password from <c>auth</c> that is not UTF-8 reaches the registry unchanged (docs/spec.md §6.3).
/// </summary>
public sealed class RegistryCredential
{
    private readonly byte[] _userColonPassword;

    public RegistryCredential(string username, string password)
    {
        if (username.Length == 0 || password.Length == 0)
            throw new ArgumentException("a registry credential needs a user name and a password");
        _userColonPassword = Encoding.UTF8.GetBytes($"{username}:{password}");
    }

    private RegistryCredential(byte[] userColonPassword) => _userColonPassword = userColonPassword;

    public string Username => Encoding.UTF8.GetString(_userColonPassword.AsSpan(0, Colon));

    public string Password => Encoding.UTF8.GetString(_userColonPassword.AsSpan(Colon + 1));

    /// <summary>The value of <c>auth</c> in a docker config file: base64 of <c>user:password</c>.</summary>
    public string DockerAuth => Convert.ToBase64String(_userColonPassword);

    private int Colon => Array.IndexOf(_userColonPassword, (byte)':');

    /// <summary>
    /// Reads docker's <c>auth</c> form as docker/cli's decodeAuth does: base64 of bytes with a ':' between user and
    /// password, either of which may be empty; null otherwise. The bytes are kept as they are.
    /// </summary>
    public static RegistryCredential? FromDockerAuth(string auth)
    {
        var bytes = new byte[auth.Length];
        if (!Convert.TryFromBase64String(auth, bytes, out var length) || Array.IndexOf(bytes, (byte)':', 0, length) < 0)
            return null;
        return new RegistryCredential(bytes[..length]);
    }

    public override string ToString() => "registry credential (hidden)";
}
