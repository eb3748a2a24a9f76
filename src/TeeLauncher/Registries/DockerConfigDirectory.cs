using System.Text.Json;
using TeeLauncher.Files;
using TeeLauncher.State;

namespace TeeLauncher.Registries;

/// <summary>
/// A private docker config directory for one pull (docs/spec.md §6.3): <c>&lt;state_dir&gt;/docker-config-&lt;random&gt;</c>, mode 0700,
/// whose <c>config.json</c> (mode 0600) holds only the <c>auths</c> entry the pull needs. Disposing deletes it.
/// </summary>
public sealed class DockerConfigDirectory : IAsyncDisposable
{
    private const string Prefix = "docker-config-";

    private DockerConfigDirectory(string path) => Path = path;

    /// <summary>The directory to pass as <c>docker --config</c>.</summary>
    public string Path { get; }

    public static async Task<DockerConfigDirectory> CreateAsync(
        string stateDir, string credentialKey, RegistryCredential credential, CancellationToken cancellationToken)
    {
        var directory = new DockerConfigDirectory(StateDirectory.CreatePrivateDirectory(stateDir, Prefix));
        try
        {
            cancellationToken.ThrowIfCancellationRequested();
            WriteConfig(System.IO.Path.Combine(directory.Path, "config.json"), credentialKey, credential);
            return directory;
        }
        catch
        {
            await directory.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Deletes the directories of pulls whose process was killed before it could clean up (SIGKILL, power loss
    /// without tmpfs); the caller holds the state lock, so no pull of this launcher is using them.
    /// </summary>
    public static int RemoveLeftovers(string stateDir)
    {
        if (!Directory.Exists(stateDir))
            return 0;
        var leftovers = Directory.GetDirectories(stateDir, $"{Prefix}*");
        foreach (var leftover in leftovers)
            Directory.Delete(leftover, recursive: true);
        return leftovers.Length;
    }

    public ValueTask DisposeAsync()
    {
        if (Directory.Exists(Path))
            Directory.Delete(Path, recursive: true);
        return ValueTask.CompletedTask;
    }

    private static void WriteConfig(string file, string credentialKey, RegistryCredential credential)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteStartObject("auths");
            json.WriteStartObject(credentialKey);
            json.WriteString("auth", credential.DockerAuth);
            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteEndObject();
        }
        OutputFile.CreateNew(file, buffer.WrittenSpan);
    }
}
