using TeeLauncher.Configuration;
using TeeLauncher.Errors;
using TeeLauncher.Values;

namespace TeeLauncher.Registries;

/// <summary>
/// The credentials configured per registry host (docs/spec.md §6.3): <c>encrypted_auth</c>, else <c>username</c> and
/// <c>password_file</c>. A host without either uses docker's own config of the environment, or none.
/// </summary>
public sealed class RegistryCredentialStore
{
    private readonly IReadOnlyDictionary<RegistryHost, RegistryCredential> _byHost;

    public RegistryCredentialStore(IReadOnlyDictionary<RegistryHost, RegistryCredential> byHost) => _byHost = new Dictionary<RegistryHost, RegistryCredential>(byHost);

    /// <summary>The configured credential of <paramref name="host"/>; null: docker's config of the environment, else anonymous.</summary>
    public RegistryCredential? For(RegistryHost host) => _byHost.GetValueOrDefault(host);

    /// <summary>Decrypts and reads every configured credential; throws one <see cref="ConfigException"/> with every problem found.</summary>
    public static RegistryCredentialStore Load(LauncherConfig config)
    {
        var problems = new List<InputProblem>();
        var byHost = new Dictionary<RegistryHost, RegistryCredential>();
        var refuseShared = config.Launcher.Platform == Platform.Tee;
        var key = new Lazy<CredentialsKey?>(() => Attempt(problems, config, "launcher.credentials_key_file",
            () => CredentialsKey.Load(config.Launcher.CredentialsKeyFile, refuseShared)));

        for (var i = 0; i < config.Registries.Count; i++)
        {
            // A registry whose host was refused has that problem reported; its credentials would serve no pull.
            if (config.Registries[i] is not { Host: { } host } registry)
                continue;
            var credential = registry switch
            {
                { EncryptedAuth: { } encrypted } => Attempt(problems, config, $"registry[{i}].encrypted_auth",
                    () => key.Value is { } k ? EncryptedAuth.Decrypt(encrypted, k, host) : null),
                { Username: { } username, PasswordFile: { } passwordFile } => Attempt(problems, config, $"registry[{i}].password_file",
                    () => new RegistryCredential(username, ReadPassword(passwordFile, host, refuseShared))),
                _ => null,
            };
            if (credential is not null)
                byHost[host] = credential;
        }
        return problems.Count == 0 ? new RegistryCredentialStore(byHost) : throw new ConfigException(problems);
    }

    private static string ReadPassword(string path, RegistryHost host, bool refuseShared)
    {
        var password = SecretFile.Read(path, $"password file of {host}", refuseShared);
        return password.Length > 0 ? password : throw new CredentialException($"password file of {host} {path} is empty");
    }

    private static T? Attempt<T>(List<InputProblem> problems, LauncherConfig config, string key, Func<T?> read) where T : class
    {
        try
        {
            return read();
        }
        catch (CredentialException e)
        {
            problems.Add(config.Locations.Problem(key, e.Message));
            return null;
        }
    }
}
