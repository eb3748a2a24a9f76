namespace TeeLauncher.IntegrationTests.Support;

/// <summary>
/// One launcher deployment in a scratch folder: config, compose template, approved hashes, state directory,
/// a repository of its own in the registry and a compose project of its own, run with one <see cref="Toolchain"/> (engine,
/// docker CLI, compose). Disposing removes its containers.
/// </summary>
public sealed class Deployment : IAsyncDisposable
{
    public const string DefaultTemplate = """
        version: "2.4"
        services:
          app:
            image: ${TEE_LAUNCHER_IMAGE}
            network_mode: none
            command: ["/bin/sleep", "3600"]
        """;

    private Deployment(string name, Toolchain toolchain)
    {
        Toolchain = toolchain;
        Name = $"{name}-{Guid.NewGuid().ToString("N")[..8]}";
        Directory = Path.Combine(Path.GetTempPath(), "tee-launcher-it", Name);
        System.IO.Directory.CreateDirectory(Directory);
        Config = new LauncherToml
        {
            StateDir = Path.Combine(Directory, "state"),
            Reference = $"{TestEnvironment.Registry}/it/{Name}",
            ComposeFile = Path.Combine(Directory, "compose.yml"),
            ApprovedHashesFile = Path.Combine(Directory, "approved-hashes.json"),
            Project = Name.Replace('-', '_'),
            ComposeCommand = toolchain.Compose.LauncherCommand,
        };
        WriteTemplate(DefaultTemplate);
    }

    public string Name { get; }

    public Toolchain Toolchain { get; }

    public string Directory { get; }

    public LauncherToml Config { get; set; }

    public string ConfigPath => Path.Combine(Directory, "launcher.toml");

    public string StateDir => Config.StateDir;

    public string EventLog => Path.Combine(StateDir, "events.jsonl");

    public string Repository => $"it/{Name}";

    public string Pinned(string digest) => $"{Config.Reference}@{digest}";

    public static Deployment Create(string name, Toolchain toolchain) => new(name, toolchain);

    public Task<string> PushImageAsync(string tag = "latest") => Images.PushNewAsync(TestEnvironment.Registry, Repository, tag);

    /// <summary>
    /// Pushes a new image to <paramref name="origin"/> (and the same image to <paramref name="mirrors"/>), approves
    /// its digest and points image.reference at the origin.
    /// </summary>
    public async Task<string> PushApprovedAsync(RegistryLogin origin, params RegistryLogin[] mirrors)
    {
        var digest = await Images.PushNewAsync(Repository, "v1", [origin, .. mirrors]);
        Approve(digest);
        Config = Config with { Reference = $"{origin.Host}/{Repository}" };
        return digest;
    }

    public void WriteTemplate(string template) => File.WriteAllText(Config.ComposeFile, template);

    public void Approve(params string[] digests) =>
        File.WriteAllText(Config.ApprovedHashesFile!, $"{{\"approved_hashes\": [{string.Join(", ", digests.Select(d => $"\"{d}\""))}]}}");

    /// <summary>A file only its owner may read (mode 0600), as platform "tee" demands of secrets.</summary>
    public string SecretFile(string name, string content)
    {
        var path = Path.Combine(Directory, name);
        System.IO.File.WriteAllText(path, content);
        System.IO.File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return path;
    }

    public string WriteFile(string name, string content)
    {
        var path = Path.Combine(Directory, name);
        System.IO.File.WriteAllText(path, content);
        return path;
    }

    /// <summary>Runs one launcher command against this deployment's config (written first).</summary>
    public Task<ToolResult> LauncherAsync(params string[] arguments) => LauncherAsync(arguments, environment: null);

    /// <summary>Runs one launcher command against this deployment's config (written first), with variables of its own.</summary>
    public Task<ToolResult> LauncherAsync(IEnumerable<string> arguments, IReadOnlyDictionary<string, string?>? environment)
    {
        System.IO.File.WriteAllText(ConfigPath, Config.Render());
        return LauncherProcess.RunAsync([.. arguments, "--config", ConfigPath], environment, toolchain: Toolchain);
    }

    /// <summary>Starts <c>run</c> against this deployment's config (written first).</summary>
    public LauncherProcess StartRun(IReadOnlyDictionary<string, string?>? environment = null)
    {
        System.IO.File.WriteAllText(ConfigPath, Config.Render());
        return LauncherProcess.Start(["run", "--config", ConfigPath], environment, Toolchain);
    }

    public Task<IReadOnlyList<Container>> ContainersAsync(bool all = false) => Containers.OfProjectAsync(Toolchain.Engine, Config.Project, all);

    public Task<bool> ImagePresentAsync(string pinnedReference) => Images.PresentAsync(Toolchain.Engine, pinnedReference);

    /// <summary>Folders of the state directory other than compose's sealed folder (docs/spec.md §7.2): the pulls' private docker configs, if any were left.</summary>
    public IEnumerable<string> CredentialFolders() =>
        System.IO.Directory.Exists(StateDir)
            ? System.IO.Directory.EnumerateDirectories(StateDir).Where(folder => Path.GetFileName(folder) != "compose-seal")
            : [];

    public string[] EventLogLines() =>
        System.IO.File.Exists(EventLog) ? System.IO.File.ReadAllLines(EventLog).Where(l => l.Length > 0).ToArray() : [];

    public async ValueTask DisposeAsync()
    {
        await Containers.RemoveProjectAsync(Toolchain.Engine, Config.Project);
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
