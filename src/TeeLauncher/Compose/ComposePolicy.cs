namespace TeeLauncher.Compose;

/// <summary>
/// Which compose keys the launcher lets through, and why (docs/spec.md §7). The template is refused what would build, pull
/// unpinned or bring in content the compose event does not cover; compose's model of the rendered file may hold only keys
/// known to run the measured file and nothing else.
/// </summary>
public static class ComposePolicy
{
    private const string BringsIn = "it brings in content the compose event does not cover";

    private const string ReadsEnvironment = "compose would copy it from the launcher's environment, which no event covers; give it a value";

    public static readonly IReadOnlySet<string> TopLevelKeys = new HashSet<string> { "version", "name", "services", "networks", "volumes", "configs", "secrets" };

    /// <summary>The keys of a <c>configs</c> or <c>secrets</c> definition.</summary>
    public static readonly IReadOnlySet<string> DefinitionKeys = new HashSet<string> { "name", "file", "content", "external", "labels" };

    /// <summary>
    /// The service keys compose may run with. Each configures the container of the service's image from values that are
    /// in the measured file and nowhere else, or is checked: image (measured or pulled), environment (no value left for
    /// compose to fill), volumes (no relative, <c>~</c> or unpulled image source), scale, deploy and profiles (the
    /// measured service runs), pull_policy (never a pull: <see cref="ServiceProblems"/>). Keys that run something besides
    /// the image (<c>provider</c>: a plugin binary; <c>use_api_socket</c>: the engine socket and the CLI's credentials;
    /// <c>develop</c>, <c>models</c>, <c>build</c>) or read content from elsewhere (<c>extends</c>, <c>env_file</c>,
    /// <c>label_file</c>) are absent, and so is every key compose adds later until it is judged.
    /// </summary>
    public static readonly IReadOnlySet<string> ServiceKeys = new HashSet<string>
    {
        "image", "command", "entrypoint", "environment", "volumes", "scale", "deploy", "profiles", "pull_policy",
        "annotations", "attach", "blkio_config", "cap_add", "cap_drop", "cgroup", "cgroup_parent", "configs", "container_name",
        "cpu_count", "cpu_percent", "cpu_period", "cpu_quota", "cpu_rt_period", "cpu_rt_runtime", "cpu_shares", "cpus", "cpuset",
        "depends_on", "device_cgroup_rules", "devices", "dns", "dns_opt", "dns_search", "domainname", "expose", "external_links",
        "extra_hosts", "gpus", "group_add", "healthcheck", "hostname", "init", "ipc", "isolation", "labels", "links", "logging",
        "mac_address", "mem_limit", "mem_reservation", "mem_swappiness", "memswap_limit", "network_mode", "networks",
        "oom_kill_disable", "oom_score_adj", "pid", "pids_limit", "platform", "ports", "post_start", "pre_stop", "privileged",
        "read_only", "restart", "runtime", "secrets", "security_opt", "shm_size", "stdin_open", "stop_grace_period",
        "stop_signal", "storage_opt", "sysctls", "tmpfs", "tty", "ulimits", "user", "userns_mode", "uts", "volumes_from",
        "working_dir",
    };

    /// <summary>The service keys the template may not have, each with why: compose's model would refuse them too, later.</summary>
    private static readonly IReadOnlyDictionary<string, string> RefusedServiceKeys = new Dictionary<string, string>
    {
        ["build"] = "every image must come from a registry, pinned by digest",
        ["extends"] = BringsIn,
        ["env_file"] = BringsIn,
        ["label_file"] = BringsIn,
    };

    /// <summary>The pull policies under which compose never pulls: the launcher pulls every image.</summary>
    private static readonly IReadOnlySet<string> PullPolicies = new HashSet<string> { "missing", "never", "if_not_present" };

    public static bool IsTopLevelKey(string key) => TopLevelKeys.Contains(key) || key.StartsWith("x-", StringComparison.Ordinal);

    /// <summary>What the template's top level may not have: <c>include</c>, unknown keys, a definition read from the environment.</summary>
    public static IEnumerable<YamlProblem> TopLevelProblems(YamlMapping top)
    {
        foreach (var (key, value) in top.Entries)
        {
            if (key.Value == "include")
                yield return new(key.Start, "'include' is not allowed: it brings in compose files the compose event does not cover");
            else if (!IsTopLevelKey(key.Value))
                yield return new(key.Start, $"unknown top-level key '{key.Value}': compose files have services, networks, volumes, configs, secrets, version, name and x- extensions");
            else if (key.Value is "configs" or "secrets" && value is YamlMapping definitions)
                foreach (var definition in definitions.Entries.Select(d => d.Value).OfType<YamlMapping>())
                    if (definition.Entries.FirstOrDefault(e => e.Key.Value == "environment").Key is { } environment)
                        yield return new(environment.Start, $"'environment' in {key.Value} is not allowed: compose would read the launcher's environment, which no event covers");
        }
    }

    /// <summary>What a service of the template may not have: a refused key, a pulling policy, a variable left to the environment.</summary>
    public static IEnumerable<YamlProblem> ServiceProblems(YamlMapping service)
    {
        foreach (var (key, value) in service.Entries)
        {
            if (RefusedServiceKeys.TryGetValue(key.Value, out var why))
                yield return new(key.Start, $"'{key.Value}' is not allowed: {why}");
            else if (key.Value == "pull_policy" && (value is not YamlScalar { Value: var policy } || !PullPolicies.Contains(policy)))
                yield return new(value.Start, "pull_policy may only be missing, never or if_not_present: the launcher pulls every image");
            else if (key.Value == "environment")
                foreach (var problem in EnvironmentProblems(value))
                    yield return problem;
        }
    }

    /// <summary>A variable listed without a value is taken from compose's own environment, the launcher's: nothing measures it.</summary>
    private static IEnumerable<YamlProblem> EnvironmentProblems(YamlNode environment) => environment switch
    {
        YamlSequence list => list.Items.OfType<YamlScalar>().Where(i => !i.Value.Contains('='))
            .Select(i => new YamlProblem(i.Start, $"environment entry '{i.Value}' has no value: {ReadsEnvironment}")),
        YamlMapping map => map.Entries.Where(e => e.Value is YamlScalar { IsNull: true })
            .Select(e => new YamlProblem(e.Key.Start, $"environment variable '{e.Key.Value}' has no value: {ReadsEnvironment}")),
        _ => [],
    };
}
