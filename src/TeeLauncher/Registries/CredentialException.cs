namespace TeeLauncher.Registries;

/// <summary>A credential, key or password file that cannot be used; the message never contains a secret.</summary>
public sealed class CredentialException(string message) : Exception(message);
