using System.Text.RegularExpressions;
using TeeLauncher.Errors;
using TeeLauncher.Files;
using TeeLauncher.TomlModel;
using TeeLauncher.Values;

namespace TeeLauncher.Configuration;

/// <summary>Reads the launcher TOML strictly (docs/spec.md §3): every problem is collected with its position.</summary>
public static partial class ConfigLoader
{
    private const int MaxConfigBytes = 1 << 20;
    private const int MaxEnvValueBytes = 1024;

    public static LauncherConfig Load(string path)
    {
        var (config, problems) = Read(path);
        if (problems.Count > 0 || config is null)
            throw new ConfigException(problems);
        return config;
    }

    /// <summary>The config and every problem found; the config is null when the file cannot be parsed at all.</summary>
    public static (LauncherConfig? Config, IReadOnlyList<InputProblem> Problems) Read(string path)
    {
        byte[] bytes;
        try
        {
            bytes = InputFile.Read(path, MaxConfigBytes);
        }
        catch (InputFileException e)
        {
            return (null, [InputProblem.InFile(path, path.Length == 0
                ? "the config path is empty; pass --config PATH or set TEE_LAUNCHER_CONFIG"
                : e.Missing ? "config file not found; pass --config PATH or set TEE_LAUNCHER_CONFIG" : $"config file {e.Reason}")]);
        }

        TomlTable document;
        try
        {
            document = TomlDocument.Parse(bytes, path);
        }
        catch (TomlReadException e)
        {
            return (null, [.. e.Errors.Select(error => new InputProblem(path, error.At.Line, error.At.Column, $"invalid TOML: {error.Reason}"))]);
        }

        var context = new ConfigReadContext(path);
        var config = Bind(document, path, context);
        return (config, context.Problems);
    }

    private static LauncherConfig Bind(TomlTable document, string path, ConfigReadContext context) =>
        TableReader.Read(document, "", context, root =>
        {
            var baseDirectory = Path.GetDirectoryName(Path.GetFullPath(path)) ?? "/";
            var launcher = root.Section("launcher", section => ReadLauncher(section, baseDirectory));
            var image = root.Section("image", section =>
            {
                if (!root.Has("image"))
                    section.ProblemAt(new TomlPosition(1, 1), "missing table [image]");
                return ReadImage(section, baseDirectory);
            });
            var pull = root.Section("pull", ReadPull);
            var registries = ReadRegistries(root, context, baseDirectory);
            var measurement = root.Section("measurement", section => ReadMeasurement(section, launcher, baseDirectory));
            var compose = root.Section("compose", section => ReadCompose(section, launcher, baseDirectory));
            return new LauncherConfig(Path.GetFullPath(path), launcher, image, pull, registries, measurement, compose, context.Locations());
        });

    /// <summary>The keys of each table ("registry.mirrors" for a mirror): what the loader reads from a document that has one of every table.</summary>
    internal static IReadOnlyDictionary<string, IReadOnlyList<string>> Schema()
    {
        var context = new ConfigReadContext("schema.toml");
        Bind(TomlDocument.Parse("[[registry]]\nmirrors = [{}]\n"u8, "schema.toml"), "schema.toml", context);
        return context.KeysAsked
            .Select(k => IndexSuffix().Replace(k, ""))
            .Where(k => k.Contains('.'))
            .Distinct()
            .GroupBy(k => k[..k.LastIndexOf('.')], k => k[(k.LastIndexOf('.') + 1)..])
            .ToDictionary(g => g.Key, g => (IReadOnlyList<string>)[.. g]);
    }

    private static LauncherSettings ReadLauncher(TableReader section, string baseDirectory) => new(
        section.Choice("platform", LauncherSettings.Default.Platform, ConfigSpellings.Platforms),
        FullPath(baseDirectory, section.Path("state_dir") ?? LauncherSettings.Default.StateDir),
        FullPath(baseDirectory, section.Path("credentials_key_file") ?? LauncherSettings.Default.CredentialsKeyFile));

    private static ImageSettings ReadImage(TableReader section, string baseDirectory)
    {
        var reference = Reference(section);
        var onUnapproved = section.Choice("on_unapproved", UnapprovedPolicy.Stop, ConfigSpellings.UnapprovedPolicies);
        var interval = section.Duration("approval_check_interval", ImageSettings.DefaultApprovalCheckInterval);
        if (interval < MinApprovalCheckInterval)
            section.Problem("approval_check_interval", $"image.approval_check_interval must be at least {Durations.Format(MinApprovalCheckInterval)}");
        return new ImageSettings(
            reference,
            Digest(section, "default_digest"),
            Digest(section, "override_digest"),
            section.Path("approved_hashes_file") is { } approved ? FullPath(baseDirectory, approved) : null)
        {
            OnUnapproved = onUnapproved,
            ApprovalCheckInterval = interval,
            Archives = [.. Archives(section).Select(archive => FullPath(baseDirectory, archive))],
        };
    }

    private static List<string> Archives(TableReader section)
    {
        var archives = section.StringArray("archives").ToList();
        if (archives.Any(a => a.Length == 0 || a.Contains('\0')))
            section.Problem("archives", "image.archives must name files or directories: an entry is empty or has a NUL character");
        return [.. archives.Where(a => a.Length > 0 && !a.Contains('\0'))];
    }

    private static readonly TimeSpan MinApprovalCheckInterval = TimeSpan.FromSeconds(1);

    /// <summary>The repository to pull, parsed once here; null when it is missing or invalid (a problem says which).</summary>
    private static ImageReference? Reference(TableReader section)
    {
        if (section.String("reference") is not { } text)
        {
            if (!section.Has("reference"))
                section.Problem("reference", "image.reference is required: the repository to pull, such as \"registry.example.com/acme/node\"");
            return null;
        }
        try
        {
            return ImageReference.Parse(text);
        }
        catch (ImageReferenceException e)
        {
            section.Problem("reference", $"image.reference '{text}' is invalid: {e.Message}");
            return null;
        }
    }

    private static ImageDigest? Digest(TableReader section, string key)
    {
        if (section.String(key) is not { } text)
            return null;
        if (ImageDigest.TryParse(text, out var digest))
            return digest;
        section.Problem(key, $"{section.Key(key)}: {ImageDigest.WhyNotADigest(text)}");
        return null;
    }

    private static PullSettings ReadPull(TableReader section)
    {
        var defaults = PullSettings.Default;
        var settings = new PullSettings(
            section.Choice("policy", defaults.Policy, ConfigSpellings.PullPolicies),
            section.Integer("attempts", defaults.Attempts, 1, 100),
            section.Duration("backoff_initial", defaults.BackoffInitial),
            section.Duration("backoff_max", defaults.BackoffMax),
            section.Duration("attempt_timeout", defaults.AttemptTimeout),
            section.Duration("deadline", defaults.Deadline),
            section.Integer("concurrency", defaults.Concurrency, 1, 16))
        {
            ArchivePort = section.Integer("archive_port", PullSettings.DefaultArchivePort, 1, 65535),
        };
        if (settings.BackoffMax < settings.BackoffInitial)
            section.Problem("backoff_max", "pull.backoff_max must not be shorter than pull.backoff_initial");
        return settings;
    }

    private static IReadOnlyList<RegistrySettings> ReadRegistries(TableReader root, ConfigReadContext context, string baseDirectory)
    {
        if (root.Tables("registry") is not { } tables)
            return [];

        var registries = new List<RegistrySettings>();
        var seenHosts = new HashSet<RegistryHost>();
        for (var i = 0; i < tables.Count; i++)
        {
            var registry = TableReader.Read(tables[i], $"registry[{i}]", context, section =>
            {
                var written = section.String("host");
                RegistryHost? host = null;
                if (written is null)
                    section.ProblemAt(tables[i].Position, $"registry[{i}] needs host = \"host[:port]\"");
                else if (!RegistryHost.TryParse(written, out host, out var hostProblem))
                    section.Problem("host", $"registry[{i}].host: {hostProblem}");
                else if (!seenHosts.Add(host))
                    section.Problem("host", host.Name == written
                        ? $"registry host '{host}' is configured twice"
                        : $"registry host '{written}' is Docker Hub, '{host}', which is configured twice");

                var mirrors = ReadMirrors(section, $"registry[{i}].mirrors", context);

                var username = section.String("username");
                var passwordFile = section.Path("password_file");
                var encryptedAuth = section.String("encrypted_auth");
                if (section.Has("username") != section.Has("password_file"))
                    section.Problem(section.Has("username") ? "username" : "password_file", $"registry[{i}] needs both username and password_file, or neither");
                if (section.Has("encrypted_auth") && (section.Has("username") || section.Has("password_file")))
                    section.Problem("encrypted_auth", $"registry[{i}] sets encrypted_auth and username/password_file: keep one of them");

                return written is null ? null : new RegistrySettings(
                    host,
                    mirrors,
                    username,
                    passwordFile is null ? null : FullPath(baseDirectory, passwordFile),
                    encryptedAuth);
            });
            if (registry is not null)
                registries.Add(registry);
        }
        return registries;
    }

    /// <summary>Each mirror as <c>"host[:port][/prefix]"</c> or <c>{ location = "host[:port][/prefix]", replaces = "path" }</c>.</summary>
    private static List<MirrorSettings> ReadMirrors(TableReader section, string key, ConfigReadContext context)
    {
        var mirrors = new List<MirrorSettings>();
        if (section.Array("mirrors", "an array of mirrors") is not { } array)
            return mirrors;
        for (var j = 0; j < array.Count; j++)
        {
            var item = $"{key}[{j}]";
            var mirror = array[j] switch
            {
                string location => Mirror(location, "", problem => context.AddAt(array.ItemPosition(j), $"{item}: {problem}")),
                TomlTable table => TableReader.Read(table, item, context, mirror => MirrorTable(mirror, item)),
                var other => Refused(() => context.AddAt(array.ItemPosition(j),
                    $"{item} must be a string \"host[:port][/path]\" or a table {{ location = \"host[:port][/path]\", replaces = \"path\" }}, found {TomlTypes.Describe(other)}")),
            };
            if (mirror is not null)
                mirrors.Add(mirror);
        }
        return mirrors;
    }

    private static MirrorSettings? MirrorTable(TableReader mirror, string item)
    {
        var location = mirror.String("location");
        if (location is null)
            mirror.Problem("location", $"{item} needs location = \"host[:port][/path]\"");
        var replaces = mirror.String("replaces", "");
        if (location is null)
            return null;
        if (mirror.Has("replaces") && RepositoryPathProblem(replaces) is { } problem)
            return Refused(() => mirror.Problem("replaces", $"{mirror.Key("replaces")}: {problem}"));
        return Mirror(location, replaces, problem => mirror.Problem("location", $"{mirror.Key("location")}: {problem}"));
    }

    private static MirrorSettings? Mirror(string location, string replaces, Action<string> problem)
    {
        var slash = location.IndexOf('/');
        var (written, prefix) = slash < 0 ? (location, "") : (location[..slash], location[(slash + 1)..]);
        if (!RegistryHost.TryParse(written, out var host, out var hostProblem))
            return Refused(() => problem(hostProblem));
        if (slash >= 0 && RepositoryPathProblem(prefix) is { } pathProblem)
            return Refused(() => problem(pathProblem));
        return new MirrorSettings(host, prefix, replaces);
    }

    private static string? RepositoryPathProblem(string path)
    {
        try
        {
            MirrorSettings.RepositoryPath(RegistryHost.Parse("localhost"), path);
            return null;
        }
        catch (ImageReferenceException e)
        {
            return e.Message;
        }
    }

    private static MirrorSettings? Refused(Action report)
    {
        report();
        return null;
    }

    private static MeasurementSettings ReadMeasurement(TableReader section, LauncherSettings launcher, string baseDirectory)
    {
        var defaults = MeasurementSettings.Default;
        var backend = section.Choice("backend", defaults.Backend, ConfigSpellings.Backends);
        if (backend == MeasurementBackendKind.None && launcher.Platform == Platform.Tee)
            section.Problem("backend", "measurement.backend \"none\" is allowed only with launcher.platform = \"dev\": a TEE boot must be measured");

        var eventName = section.String("event_name", defaults.EventName);
        if (!EventNames.IsValidImageName(eventName))
            section.Problem("event_name", $"measurement.event_name must be 1 to {EventNames.MaxCharacters} characters without ':' or control characters");
        else if (eventName == EventNames.Compose)
            section.Problem("event_name", $"measurement.event_name must not be \"{EventNames.Compose}\": that is the compose event's name");

        return new MeasurementSettings(
            backend,
            eventName,
            section.Boolean("compose_event", defaults.ComposeEvent),
            FullPath(baseDirectory, section.Path("event_log") ?? Path.Combine(launcher.StateDir, "events.jsonl")),
            FullPath(baseDirectory, section.Path("dstack_socket") ?? defaults.DstackSocket),
            section.Path("tdx_rtmr_path") ?? defaults.TdxRtmrPath,
            section.Integer("tpm_pcr", defaults.TpmPcr, 0, 23),
            section.String("tpm_tcti", defaults.TpmTcti),
            ReadEventVersion(section, defaults.EventVersion),
            FullPath(baseDirectory, section.Path("dstack_event_dir") ?? defaults.DstackEventDir),
            section.Choice("dstack_platform", defaults.DstackPlatform, ConfigSpellings.DstackPlatforms));
    }

    private static EventVersion ReadEventVersion(TableReader section, EventVersion fallback)
    {
        if (section.Integer("event_version") is not { } number)
            return fallback;
        if (EventVersion.TryFrom(number, out var version))
            return version;
        section.Problem("event_version", $"{section.Key("event_version")} must be {EventVersion.Choices}, found {number}");
        return fallback;
    }

    private static ComposeSettings ReadCompose(TableReader section, LauncherSettings launcher, string baseDirectory)
    {
        var defaults = ComposeSettings.Default;
        var project = section.String("project", defaults.Project);
        if (!ProjectName().IsMatch(project))
            section.Problem("project", $"compose.project '{project}' must be lowercase letters, digits, '_' or '-', starting with a letter or digit");

        var compose = new ComposeSettings(
            FullPath(baseDirectory, section.Path("file") ?? defaults.File),
            project,
            section.Choice("command", defaults.Command, ConfigSpellings.ComposeCommands),
            ReadEnv(section),
            section.Duration("stop_timeout", defaults.StopTimeout),
            section.Boolean("supervise", defaults.Supervise));
        if (IsWithin(compose.File, launcher.StateDir))
            section.Problem("file", $"compose.file '{compose.File}' is inside launcher.state_dir '{launcher.StateDir}': the state directory is the launcher's own; keep the template elsewhere");
        return compose;
    }

    private static Dictionary<string, string> ReadEnv(TableReader section)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        if (section.Table("env") is not { } table)
            return env;
        foreach (var (name, value) in table)
        {
            var at = table.KeyPosition(name);
            if (!EnvName().IsMatch(name))
                section.ProblemAt(at, $"compose.env name '{name}' must match [A-Za-z_][A-Za-z0-9_]* (compose interpolates lower-case names too)");
            else if (name == "TEE_LAUNCHER_IMAGE")
                section.ProblemAt(at, "compose.env must not set TEE_LAUNCHER_IMAGE: the launcher sets it to the measured image");
            else if (value is not string text)
                section.ProblemAt(table.ValuePosition(name), $"compose.env.{name} must be a string, found {TomlTypes.Describe(value)}");
            else if (text.Any(char.IsControl))
                section.ProblemAt(table.ValuePosition(name), $"compose.env.{name} must not contain control characters");
            else if (System.Text.Encoding.UTF8.GetByteCount(text) > MaxEnvValueBytes)
                section.ProblemAt(table.ValuePosition(name), $"compose.env.{name} is longer than {MaxEnvValueBytes} bytes");
            else
                env[name] = text;
        }
        return env;
    }

    /// <summary>Judged on the resolved paths: a symlinked folder on either side does not hide the one inside the other.</summary>
    private static bool IsWithin(string path, string directory) =>
        Path.GetRelativePath(ResolvedPath.Of(directory), ResolvedPath.Of(path)) is var relative
        && relative != ".." && !relative.StartsWith("../", StringComparison.Ordinal) && !Path.IsPathRooted(relative);

    private static string FullPath(string baseDirectory, string path) => Path.GetFullPath(path, baseDirectory);

    [GeneratedRegex("^[a-z0-9][a-z0-9_-]*$")]
    private static partial Regex ProjectName();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex EnvName();

    [GeneratedRegex(@"\[[0-9]+\]")]
    private static partial Regex IndexSuffix();
}
