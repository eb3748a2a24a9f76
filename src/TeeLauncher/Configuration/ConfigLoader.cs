using System.Text.RegularExpressions;
using TeeLauncher.Docker;
using TeeLauncher.Errors;
using TeeLauncher.Measurement;
using TeeLauncher.Selection;
using TeeLauncher.Toml;

namespace TeeLauncher.Configuration;

/// <summary>Reads the launcher TOML strictly (SPEC 3): every problem is collected with its position.</summary>
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
            var info = new FileInfo(path);
            if (!info.Exists)
                return (null, [InputProblem.InFile(path, "config file not found; pass --config PATH or set TEE_LAUNCHER_CONFIG")]);
            if (info.Length > MaxConfigBytes)
                return (null, [InputProblem.InFile(path, "config file is larger than 1 MiB")]);
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return (null, [InputProblem.InFile(path, $"cannot read the config file: {e.Message}")]);
        }

        TomlTable document;
        try
        {
            document = TomlParser.Parse(bytes, path);
        }
        catch (TomlException e)
        {
            return (null, [new InputProblem(path, e.Line, e.Column, $"invalid TOML: {e.Reason}")]);
        }

        var context = new ConfigReadContext(path);
        var config = Bind(document, path, context);
        return (config, context.Problems);
    }

    private static LauncherConfig Bind(TomlTable document, string path, ConfigReadContext context)
    {
        var root = new TableReader(document, "", context, ["launcher", "image", "pull", "registry", "measurement", "compose"]);
        var baseDirectory = Path.GetDirectoryName(Path.GetFullPath(path)) ?? "/";

        var launcher = ReadLauncher(Section(root, "launcher", context), baseDirectory);
        var image = ReadImage(Section(root, "image", context, required: true), baseDirectory);
        var pull = ReadPull(Section(root, "pull", context));
        var registries = ReadRegistries(document, context, baseDirectory);
        var measurement = ReadMeasurement(Section(root, "measurement", context), launcher, baseDirectory);
        var compose = ReadCompose(Section(root, "compose", context), baseDirectory);

        return new LauncherConfig(Path.GetFullPath(path), launcher, image, pull, registries, measurement, compose, context.Locations());
    }

    private static TableReader Section(TableReader root, string name, ConfigReadContext context, bool required = false)
    {
        var table = root.Table(name);
        if (table is null && required && !root.Has(name))
            context.AddAt(new TomlPosition(1, 1), $"missing table [{name}]");
        return new TableReader(table, name, context, Schema[name]);
    }

    internal static readonly IReadOnlyDictionary<string, string[]> Schema = new Dictionary<string, string[]>
    {
        ["launcher"] = ["platform", "state_dir", "credentials_key_file"],
        ["image"] = ["reference", "default_digest", "override_digest", "approved_hashes_file"],
        ["pull"] = ["policy", "attempts", "backoff_initial", "backoff_max", "attempt_timeout", "deadline"],
        ["registry"] = ["host", "mirrors", "username", "password_file", "encrypted_auth"],
        ["measurement"] = ["backend", "event_name", "compose_event", "event_log", "dstack_socket", "tdx_rtmr_path", "tpm_pcr", "tpm_tcti", "event_version", "dstack_event_dir"],
        ["compose"] = ["file", "project", "command", "env", "stop_timeout", "supervise"],
    };

    private static LauncherSettings ReadLauncher(TableReader section, string baseDirectory) => new(
        section.Choice("platform", Platform.Tee, new Dictionary<string, Platform> { ["tee"] = Platform.Tee, ["dev"] = Platform.Dev }),
        FullPath(baseDirectory, section.String("state_dir", "/run/tee-launcher")),
        FullPath(baseDirectory, section.String("credentials_key_file", "/etc/tee-launcher/registry.key")));

    private static ImageSettings ReadImage(TableReader section, string baseDirectory)
    {
        var reference = section.String("reference");
        if (reference is null && !section.Has("reference"))
            section.Problem("reference", "image.reference is required: the repository to pull, such as \"registry.example.com/acme/node\"");
        else if (reference is not null)
            CheckReference(section, reference);

        return new ImageSettings(
            reference ?? "",
            Digest(section, "default_digest"),
            Digest(section, "override_digest"),
            section.String("approved_hashes_file") is { } approved ? FullPath(baseDirectory, approved) : null);
    }

    private static void CheckReference(TableReader section, string reference)
    {
        if (reference.Contains('@'))
        {
            section.Problem("reference", "image.reference must name a repository without a digest; put the digest in image.default_digest or image.override_digest");
            return;
        }
        try
        {
            ImageReference.Parse(reference);
        }
        catch (ImageReferenceException e)
        {
            section.Problem("reference", $"image.reference '{reference}' is invalid: {e.Message}");
        }
    }

    private static ImageDigest? Digest(TableReader section, string key)
    {
        if (section.String(key) is not { } text)
            return null;
        if (ImageDigest.TryParse(text, out var digest))
            return digest;
        section.Problem(key, $"{section.Key(key)}: {ImageDigest.Describe(text)}");
        return null;
    }

    private static PullSettings ReadPull(TableReader section)
    {
        var attempts = section.Integer("attempts") ?? 6;
        if (attempts is < 1 or > 100)
        {
            section.Problem("attempts", $"pull.attempts must be between 1 and 100, found {attempts}");
            attempts = 6;
        }
        var settings = new PullSettings(
            section.Choice("policy", PullPolicy.Always, new Dictionary<string, PullPolicy>
            {
                ["always"] = PullPolicy.Always, ["missing"] = PullPolicy.Missing, ["never"] = PullPolicy.Never,
            }),
            (int)attempts,
            section.Duration("backoff_initial", TimeSpan.FromSeconds(2)),
            section.Duration("backoff_max", TimeSpan.FromSeconds(60)),
            section.Duration("attempt_timeout", TimeSpan.FromMinutes(10)),
            section.Duration("deadline", TimeSpan.FromMinutes(30)));
        if (settings.BackoffMax < settings.BackoffInitial)
            section.Problem("backoff_max", "pull.backoff_max must not be shorter than pull.backoff_initial");
        return settings;
    }

    private static IReadOnlyList<RegistrySettings> ReadRegistries(TomlTable document, ConfigReadContext context, string baseDirectory)
    {
        if (!document.TryGetValue("registry", out var value))
            return [];
        if (value is not TomlTableArray tables)
        {
            context.AddAt(document.ValuePosition("registry"), "registry must be an array of tables: write each as [[registry]]");
            return [];
        }

        var registries = new List<RegistrySettings>();
        var seenHosts = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < tables.Count; i++)
        {
            var section = new TableReader(tables[i], $"registry[{i}]", context, Schema["registry"]);
            var host = section.String("host");
            if (host is null)
            {
                context.AddAt(tables[i].Position, $"registry[{i}] needs host = \"host[:port]\"");
                continue;
            }
            if (!IsHost(host))
                section.Problem("host", $"registry[{i}].host '{host}' is not a host[:port]");
            else if (!seenHosts.Add(host))
                section.Problem("host", $"registry host '{host}' is configured twice");

            var mirrors = section.StringArray("mirrors");
            foreach (var mirror in mirrors.Where(m => !IsHost(m)))
                section.Problem("mirrors", $"registry[{i}].mirrors: '{mirror}' is not a host[:port]");

            var username = section.String("username");
            var passwordFile = section.String("password_file");
            var encryptedAuth = section.String("encrypted_auth");
            if ((username is null) != (passwordFile is null))
                section.Problem(username is null ? "password_file" : "username", $"registry[{i}] needs both username and password_file, or neither");
            if (encryptedAuth is not null && (username is not null || passwordFile is not null))
                section.Problem("encrypted_auth", $"registry[{i}] sets encrypted_auth and username/password_file: keep one of them");

            registries.Add(new RegistrySettings(
                host,
                mirrors,
                username,
                passwordFile is null ? null : FullPath(baseDirectory, passwordFile),
                encryptedAuth));
        }
        return registries;
    }

    private static MeasurementSettings ReadMeasurement(TableReader section, LauncherSettings launcher, string baseDirectory)
    {
        var backend = section.Choice("backend", MeasurementBackendKind.Dstack, new Dictionary<string, MeasurementBackendKind>
        {
            ["dstack"] = MeasurementBackendKind.Dstack, ["tdx-sysfs"] = MeasurementBackendKind.TdxSysfs,
            ["tpm"] = MeasurementBackendKind.Tpm, ["none"] = MeasurementBackendKind.None,
        });
        if (backend == MeasurementBackendKind.None && launcher.Platform == Platform.Tee)
            section.Problem("backend", "measurement.backend \"none\" is allowed only with launcher.platform = \"dev\": a TEE boot must be measured");

        var eventName = section.String("event_name", RuntimeEvent.DefaultImageEventName);
        if (eventName.Length == 0 || eventName.Length > 128 || eventName.Contains(':') || eventName.Any(char.IsControl))
            section.Problem("event_name", "measurement.event_name must be 1 to 128 characters without ':' or control characters");

        var pcr = section.Integer("tpm_pcr") ?? 14;
        if (pcr is < 0 or > 23)
        {
            section.Problem("tpm_pcr", $"measurement.tpm_pcr must be a PCR index from 0 to 23, found {pcr}");
            pcr = 14;
        }
        var eventVersion = section.Integer("event_version") ?? 1;
        if (eventVersion is not (1 or 2))
        {
            section.Problem("event_version", $"measurement.event_version must be 1 or 2 (SPEC 5.1), found {eventVersion}");
            eventVersion = 1;
        }

        return new MeasurementSettings(
            backend,
            eventName,
            section.Boolean("compose_event", true),
            FullPath(baseDirectory, section.String("event_log", Path.Combine(launcher.StateDir, "events.jsonl"))),
            FullPath(baseDirectory, section.String("dstack_socket", "/var/run/dstack.sock")),
            section.String("tdx_rtmr_path", "/sys/devices/virtual/misc/tdx_guest/measurements/rtmr3:sha384"),
            (int)pcr,
            section.String("tpm_tcti", "device:/dev/tpmrm0"),
            (int)eventVersion,
            FullPath(baseDirectory, section.String("dstack_event_dir", "/run/log/dstack")));
    }

    private static ComposeSettings ReadCompose(TableReader section, string baseDirectory)
    {
        var project = section.String("project", "workload");
        if (!ProjectName().IsMatch(project))
            section.Problem("project", $"compose.project '{project}' must be lowercase letters, digits, '_' or '-', starting with a letter or digit");

        return new ComposeSettings(
            FullPath(baseDirectory, section.String("file", "/etc/tee-launcher/compose.yml")),
            project,
            section.Choice("command", ComposeCommandKind.Auto, new Dictionary<string, ComposeCommandKind>
            {
                ["auto"] = ComposeCommandKind.Auto,
                ["docker compose"] = ComposeCommandKind.DockerComposePlugin,
                ["docker-compose"] = ComposeCommandKind.DockerComposeStandalone,
            }),
            ReadEnv(section),
            section.Duration("stop_timeout", TimeSpan.FromSeconds(30)),
            section.Boolean("supervise", true));
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
                section.ProblemAt(at, $"compose.env name '{name}' must match [A-Z_][A-Z0-9_]*");
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

    private static bool IsHost(string host) => HostPattern().IsMatch(host);

    private static string FullPath(string baseDirectory, string path) => Path.GetFullPath(path, baseDirectory);

    [GeneratedRegex("^[a-z0-9][a-z0-9_-]*$")]
    private static partial Regex ProjectName();

    [GeneratedRegex("^[A-Z_][A-Z0-9_]*$")]
    private static partial Regex EnvName();

    [GeneratedRegex(@"^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:]+\])(?::[0-9]{1,5})?$")]
    private static partial Regex HostPattern();
}
