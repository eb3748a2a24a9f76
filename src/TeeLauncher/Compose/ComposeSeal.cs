using System.Collections;
using System.Text;
using TeeLauncher.Files;

namespace TeeLauncher.Compose;

/// <summary>
/// What compose runs in (docs/spec.md §7): an empty project directory of its own, so no <c>.env</c> is read and relative
/// and <c>~</c> paths land in a folder the model check recognises; an empty docker config directory, so no <c>proxies</c>
/// reach the containers; and none of the launcher's <c>COMPOSE_*</c>, <c>DOCKER_DEFAULT_PLATFORM</c> or <c>HOME</c>.
/// </summary>
public sealed class ComposeSeal
{
    private const string FolderName = "compose-seal";

    private ComposeSeal(string folder)
    {
        Folder = folder;
        ProjectDirectory = Path.Combine(folder, "project");
        ConfigDirectory = Path.Combine(folder, "docker-config");
    }

    public string Folder { get; }

    /// <summary>Compose's project directory and the containers' <c>HOME</c> as compose sees it: always empty.</summary>
    public string ProjectDirectory { get; }

    /// <summary>The docker CLI config compose reads (<c>DOCKER_CONFIG</c>): nothing but where the compose plugin is, so no proxies or contexts of a user.</summary>
    public string ConfigDirectory { get; }

    /// <summary>The variables to change in compose's environment; null removes one.</summary>
    public IReadOnlyDictionary<string, string?> Environment { get; private init; } = new Dictionary<string, string?>();

    /// <summary>Makes <c>compose-seal</c> in <paramref name="parent"/> anew, empty (what a killed launcher left is removed).</summary>
    public static ComposeSeal Create(string parent)
    {
        var folder = Path.Combine(parent, FolderName);
        if (Directory.Exists(folder))
            Directory.Delete(folder, recursive: true);
        var seal = new ComposeSeal(folder);
        foreach (var directory in new[] { folder, seal.ProjectDirectory, seal.ConfigDirectory })
            OutputFile.CreateOwnDirectory(directory);
        if (ComposePlugin.Folder() is { } plugins)
            OutputFile.CreateNew(Path.Combine(seal.ConfigDirectory, "config.json"), Encoding.UTF8.GetBytes(PluginsOnlyConfig(plugins)));
        return new ComposeSeal(folder) { Environment = SealedEnvironment(seal) };
    }

    /// <summary>Whether <paramref name="hostPath"/> (as compose resolved it) is the project directory or under it: written relative or with <c>~</c>.</summary>
    public bool Holds(string hostPath) =>
        hostPath == ProjectDirectory || hostPath.StartsWith(ProjectDirectory + "/", StringComparison.Ordinal);

    /// <summary>A path <see cref="Holds"/> found, as the operator wrote it relative to the project directory (<c>~</c> reads alike).</summary>
    public string AsWritten(string hostPath) => "." + hostPath[ProjectDirectory.Length..];

    /// <summary>A docker CLI config that only tells where the compose plugin is: no proxies, no contexts, no credentials.</summary>
    private static string PluginsOnlyConfig(string pluginFolder) =>
        $"{{\"cliPluginsExtraDirs\": [\"{System.Text.Json.JsonEncodedText.Encode(pluginFolder)}\"]}}\n";

    private static Dictionary<string, string?> SealedEnvironment(ComposeSeal seal)
    {
        var environment = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (DictionaryEntry variable in System.Environment.GetEnvironmentVariables())
        {
            if (variable.Key is string name && name.StartsWith("COMPOSE_", StringComparison.Ordinal))
                environment[name] = null;
        }
        environment["DOCKER_DEFAULT_PLATFORM"] = null;
        environment["HOME"] = seal.ProjectDirectory;
        environment["DOCKER_CONFIG"] = seal.ConfigDirectory;
        return environment;
    }
}
