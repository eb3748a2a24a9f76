using TeeLauncher.Configuration;
using TeeLauncher.Errors;
using TeeLauncher.Tests.Support;
using TeeLauncher.Values;

namespace TeeLauncher.Tests.Configuration;

public sealed class ConfigLoaderTests : IDisposable
{
    private const string Digest = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
    private readonly TempDirectory _dir = new();

    private IReadOnlyList<string> Problems(string toml)
    {
        var path = _dir.File("launcher.toml", toml);
        var (_, problems) = ConfigLoader.Read(path);
        return problems.Select(p => p.ToString().Replace(path, "launcher.toml")).ToList();
    }

    private LauncherConfig Load(string toml) => ConfigLoader.Load(_dir.File("launcher.toml", toml));

    [Fact]
    public void The_full_example_of_the_spec_loads_with_every_key()
    {
        var config = Load($$"""
            [launcher]
            platform = "tee"
            state_dir = "/run/tee-launcher"
            credentials_key_file = "/etc/tee-launcher/registry.key"

            [image]
            reference = "registry.example.com/acme/node"
            default_digest = "{{Digest}}"
            override_digest = "{{Digest}}"
            approved_hashes_file = "/mnt/shared/image-digest.bin"
            on_unapproved = "report"
            approval_check_interval = "5m"

            [pull]
            policy = "missing"
            attempts = 6
            backoff_initial = "2s"
            backoff_max = "60s"
            attempt_timeout = "10m"
            deadline = "30m"
            concurrency = 5

            [[registry]]
            host = "registry.example.com"
            mirrors = ["mirror.internal:5000"]
            username = "bot"
            password_file = "/run/secrets/registry"

            [measurement]
            backend = "tpm"
            event_name = "mpc-image-digest"
            compose_event = false
            event_version = 2
            event_log = "/run/tee-launcher/events.jsonl"
            dstack_socket = "/var/run/dstack.sock"
            dstack_event_dir = "/run/log/dstack-test"
            tdx_rtmr_path = "/sys/devices/virtual/misc/tdx_guest/measurements/rtmr3:sha384"
            tpm_pcr = 16
            tpm_tcti = "device:/dev/tpmrm0"

            [compose]
            file = "/etc/tee-launcher/compose.yml"
            project = "workload"
            command = "docker-compose"
            env = { LOG_LEVEL = "info" }
            stop_timeout = "30s"
            supervise = false
            """);

        config.Launcher.Should().Be(new LauncherSettings(Platform.Tee, "/run/tee-launcher", "/etc/tee-launcher/registry.key"));
        config.Image.DefaultDigest!.ToString().Should().Be(Digest);
        config.Image.ApprovedHashesFile.Should().Be("/mnt/shared/image-digest.bin");
        config.Image.OnUnapproved.Should().Be(UnapprovedPolicy.Report);
        config.Image.ApprovalCheckInterval.Should().Be(TimeSpan.FromMinutes(5));
        config.Pull.Should().Be(new PullSettings(PullPolicy.Missing, 6, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(60),
            TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(30), 5));
        config.Registries.Should().ContainSingle().Which.Mirrors.Should().Equal(new MirrorSettings(RegistryHost.Parse("mirror.internal:5000"), "", ""));
        config.Measurement.Backend.Should().Be(MeasurementBackendKind.Tpm);
        config.Measurement.EventName.Should().Be("mpc-image-digest");
        config.Measurement.ComposeEvent.Should().BeFalse();
        config.Measurement.TpmPcr.Should().Be(16);
        config.Measurement.EventVersion.Should().Be(EventVersion.V2);
        config.Measurement.DstackEventDir.Should().Be("/run/log/dstack-test");
        config.Compose.Command.Should().Be(ComposeCommandKind.DockerComposeStandalone);
        config.Compose.Env.Should().Equal(new Dictionary<string, string> { ["LOG_LEVEL"] = "info" });
        config.Compose.Supervise.Should().BeFalse();
    }

    [Fact]
    public void Defaults_apply_and_relative_paths_resolve_against_the_config_file()
    {
        var config = Load("""
            [image]
            reference = "ubuntu"
            [compose]
            file = "compose.yml"
            """);
        config.Launcher.Platform.Should().Be(Platform.Tee);
        config.Image.OnUnapproved.Should().Be(UnapprovedPolicy.Stop, "a digest nobody approves any more stops running unless the operator says otherwise");
        config.Image.ApprovalCheckInterval.Should().Be(TimeSpan.FromMinutes(1));
        config.Pull.Should().Be(new PullSettings(PullPolicy.Always, 6, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(60),
            TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(30), 3));
        config.Measurement.Backend.Should().Be(MeasurementBackendKind.Dstack);
        config.Measurement.EventName.Should().Be("image-digest");
        config.Measurement.EventLog.Should().Be("/run/tee-launcher/events.jsonl");
        config.Measurement.EventVersion.Should().Be(EventVersion.V1);
        config.Measurement.DstackEventDir.Should().Be("/run/log/dstack");
        config.Compose.File.Should().Be(Path.Combine(_dir.Path, "compose.yml"));
        config.Compose.StopTimeout.Should().Be(TimeSpan.FromSeconds(30));
        config.Compose.Supervise.Should().BeTrue();
    }

    [Fact]
    public void A_config_of_only_the_image_reference_takes_every_named_default()
    {
        var config = Load("[image]\nreference = \"ubuntu\"\n");

        config.Launcher.Should().Be(LauncherSettings.Default);
        config.Pull.Should().Be(PullSettings.Default);
        config.Measurement.Should().Be(MeasurementSettings.Default);
        config.Compose.Should().Be(ComposeSettings.Default with { Env = config.Compose.Env });
        config.Compose.Env.Should().BeEmpty();
    }

    [Fact]
    public void Unknown_key_is_reported_at_its_position_with_the_key_meant()
    {
        Problems("""
            [image]
            reference = "ubuntu"
            defualt_digest = "x"
            """).Should().Equal("launcher.toml:3:1: unknown key 'defualt_digest' in [image]; did you mean 'default_digest'?");
    }

    [Fact]
    public void Unknown_table_is_reported()
    {
        Problems("""
            [image]
            reference = "ubuntu"
            [imgae.extra]
            x = 1
            """).Should().Equal("launcher.toml:3:2: unknown key 'imgae' at the top level; did you mean 'image'?");
    }

    [Fact]
    public void Every_problem_is_reported_at_once_with_positions()
    {
        Problems("""
            [launcher]
            platform = "tee"
            [image]
            reference = "Registry.example.com/Acme/node"
            default_digest = "sha256:XYZ"
            [pull]
            attempts = "six"
            deadline = "30 minutes"
            [measurement]
            backend = "none"
            [compose]
            env = { log-level = "info", OK = 3 }
            """).Should().SatisfyRespectively(
                p => p.Should().StartWith("launcher.toml:4:13: image.reference 'Registry.example.com/Acme/node' is invalid:").And.Contain("Acme"),
                p => p.Should().StartWith("launcher.toml:5:18: image.default_digest: 'sha256:XYZ' is not a digest"),
                p => p.Should().Be("launcher.toml:7:12: pull.attempts must be an integer, found a string"),
                p => p.Should().StartWith("launcher.toml:8:12: '30 minutes' is not a duration"),
                p => p.Should().StartWith("launcher.toml:10:11: measurement.backend \"none\" is allowed only with launcher.platform = \"dev\""),
                p => p.Should().Be("launcher.toml:12:9: compose.env name 'log-level' must match [A-Za-z_][A-Za-z0-9_]* (compose interpolates lower-case names too)"),
                p => p.Should().Be("launcher.toml:12:34: compose.env.OK must be a string, found an integer"));
    }

    [Theory]
    [InlineData("registry.example.com/acme/node@sha256:1111111111111111111111111111111111111111111111111111111111111111", "without a digest")]
    [InlineData("-acme/node", "invalid")]
    [InlineData("acme/Node", "invalid")]
    [InlineData("", "invalid")]
    public void Bad_references_are_config_errors(string reference, string reason)
    {
        Problems($"""
            [image]
            reference = "{reference}"
            """).Should().ContainSingle().Which.Should().StartWith("launcher.toml:2:13: ").And.Contain(reason);
    }

    [Fact]
    public void Malformed_toml_is_reported_with_its_position()
    {
        Problems("[image]\nreference = \"ubuntu\nx = 1\n").Should().ContainSingle()
            .Which.Should().StartWith("launcher.toml:2:").And.Contain("invalid TOML");
    }

    [Fact]
    public void Missing_config_file_says_how_to_point_at_one()
    {
        var act = () => ConfigLoader.Load(_dir.Combine("absent.toml"));
        act.Should().Throw<ConfigException>().Which.ExitCode.Should().Be(ExitCode.ConfigInvalid);
    }

    [Fact]
    public void Registry_credentials_must_be_complete_and_exclusive()
    {
        Problems("""
            [image]
            reference = "ubuntu"
            [[registry]]
            host = "ghcr.io"
            username = "bot"
            [[registry]]
            host = "ghcr.io"
            encrypted_auth = "00"
            """).Should().Equal(
                "launcher.toml:5:12: registry[0] needs both username and password_file, or neither",
                "launcher.toml:7:8: registry host 'ghcr.io' is configured twice");
    }

    [Theory]
    [InlineData("90s", 90_000)]
    [InlineData("10m", 600_000)]
    [InlineData("1h30m", 5_400_000)]
    [InlineData("250ms", 250)]
    public void Durations_parse(string text, long milliseconds)
    {
        Durations.TryParse(text, out var duration).Should().BeTrue();
        duration.TotalMilliseconds.Should().Be(milliseconds);
    }

    [Theory]
    [InlineData("")]
    [InlineData("10")]
    [InlineData("s")]
    [InlineData("10 s")]
    [InlineData("1.5h")]
    [InlineData("10d")]
    public void Bad_durations_do_not_parse(string text) => Durations.TryParse(text, out _).Should().BeFalse();

    [Theory]
    [InlineData("concurrency = 0", "launcher.toml:4:15: pull.concurrency must be between 1 and 16, found 0")]
    [InlineData("concurrency = 17", "launcher.toml:4:15: pull.concurrency must be between 1 and 16, found 17")]
    [InlineData("deadline = \"25d\"", "launcher.toml:4:12: '25d' is not a duration: write a positive amount with a unit, such as \"90s\", \"10m\" or \"1h\"")]
    [InlineData("deadline = \"577h\"", "launcher.toml:4:12: pull.deadline '577h' is longer than 24 days, the longest a timer takes")]
    [InlineData("deadline = \"999999999h\"", "launcher.toml:4:12: pull.deadline '999999999h' is longer than 24 days, the longest a timer takes")]
    [InlineData("attempt_timeout = \"999999999h999999999h999999999h\"", "launcher.toml:4:19: pull.attempt_timeout '999999999h999999999h999999999h' is longer than 24 days, the longest a timer takes")]
    public void Pull_values_out_of_range_are_reported_at_the_value(string line, string problem)
    {
        Problems($"""
            [image]
            reference = "ubuntu"
            [pull]
            {line}
            """).Should().Equal(problem);
    }

    [Fact]
    public void Twenty_four_days_is_the_longest_duration()
    {
        Load("""
            [image]
            reference = "ubuntu"
            [pull]
            deadline = "576h"
            """).Pull.Deadline.Should().Be(TimeSpan.FromDays(24));
    }

    [Theory]
    [InlineData("event_version = 3", "launcher.toml:4:17: measurement.event_version must be 1 or 2, found 3")]
    [InlineData("event_version = \"2\"", "launcher.toml:4:17: measurement.event_version must be an integer, found a string")]
    [InlineData("event_name = \"launcher-compose-hash\"", "launcher.toml:4:14: measurement.event_name must not be \"launcher-compose-hash\": that is the compose event's name")]
    [InlineData("dstack_event_dir = \"\"", "launcher.toml:4:20: measurement.dstack_event_dir must not be empty: write a path")]
    [InlineData("tdx_rtmr_path = \"\"", "launcher.toml:4:17: measurement.tdx_rtmr_path must not be empty: write a path")]
    [InlineData("event_log = \"\"", "launcher.toml:4:13: measurement.event_log must not be empty: write a path")]
    [InlineData("dstack_socket = \"\"", "launcher.toml:4:17: measurement.dstack_socket must not be empty: write a path")]
    public void Measurement_values_are_checked_at_the_value(string line, string problem)
    {
        Problems($"""
            [image]
            reference = "ubuntu"
            [measurement]
            {line}
            """).Should().Equal(problem);
    }

    [Theory]
    [InlineData("[launcher]\nstate_dir = \"\"", "launcher.toml:4:13: launcher.state_dir must not be empty: write a path")]
    [InlineData("[launcher]\ncredentials_key_file = \"\"", "launcher.toml:4:24: launcher.credentials_key_file must not be empty: write a path")]
    [InlineData("[compose]\nfile = \"\"", "launcher.toml:4:8: compose.file must not be empty: write a path")]
    public void An_empty_path_is_a_problem_at_its_value(string table, string problem)
    {
        Problems($"[image]\nreference = \"ubuntu\"\n{table}\n").Should().Equal(problem);
    }

    [Fact]
    public void An_empty_approved_hashes_file_is_a_problem_at_its_value()
    {
        Problems("[image]\nreference = \"ubuntu\"\napproved_hashes_file = \"\"\n")
            .Should().Equal("launcher.toml:3:24: image.approved_hashes_file must not be empty: write a path");
    }

    [Fact]
    public void An_empty_password_file_is_one_problem()
    {
        Problems("""
            [image]
            reference = "ubuntu"
            [[registry]]
            host = "ghcr.io"
            username = "bot"
            password_file = ""
            """).Should().Equal("launcher.toml:6:17: registry[0].password_file must not be empty: write a path");
    }

    [Theory]
    [InlineData("/run/tee-launcher/compose.yml")]
    [InlineData("/run/tee-launcher")]
    [InlineData("/run/tee-launcher/sub/../compose.yml")]
    public void The_state_directory_may_not_hold_the_compose_file(string file)
    {
        Problems($"""
            [image]
            reference = "ubuntu"
            [compose]
            file = "{file}"
            """).Should().Equal(
                $"launcher.toml:4:8: compose.file '{Path.GetFullPath(file)}' is inside launcher.state_dir '/run/tee-launcher': the state directory is the launcher's own; keep the template elsewhere");
    }

    [Fact]
    public void A_compose_file_beside_the_state_directory_is_fine()
    {
        Load("""
            [image]
            reference = "ubuntu"
            [compose]
            file = "/run/tee-launcher-compose.yml"
            """).Compose.File.Should().Be("/run/tee-launcher-compose.yml");
    }

    [Theory]
    [InlineData("host = \"[::1]:5000\"", "launcher.toml:4:8: registry[0].host: registry host '[::1]:5000' is not a host[:port]: docker does not accept an IPv6 address in an image reference; use a host name")]
    [InlineData("host = \"ghcr.io:0\"", "launcher.toml:4:8: registry[0].host: registry host 'ghcr.io:0' has port 0: a port is 1 to 65535")]
    [InlineData("host = \"ghcr.io:65536\"", "launcher.toml:4:8: registry[0].host: registry host 'ghcr.io:65536' has port 65536: a port is 1 to 65535")]
    [InlineData("host = \"ghcr.io\"\nmirrors = [\"mirror:99999\"]", "launcher.toml:5:12: registry[0].mirrors[0]: registry host 'mirror:99999' has port 99999: a port is 1 to 65535")]
    [InlineData("host = \"ghcr.io\"\nmirrors = [\"mirror.test/Proxy\"]", "launcher.toml:5:12: registry[0].mirrors[0]: path component 'Proxy' must be lowercase")]
    [InlineData("host = \"ghcr.io\"\nmirrors = [\"mirror.test/proxy:tag\"]", "launcher.toml:5:12: registry[0].mirrors[0]: path 'proxy:tag' takes no tag")]
    [InlineData("host = \"ghcr.io\"\nmirrors = [\"mirror.test/\"]", "launcher.toml:5:12: registry[0].mirrors[0]: path '' has an empty component: remove the extra '/'")]
    [InlineData("host = \"ghcr.io\"\nmirrors = [1]", "launcher.toml:5:12: registry[0].mirrors[0] must be a string \"host[:port][/path]\" or a table { location = \"host[:port][/path]\", replaces = \"path\" }, found an integer")]
    [InlineData("host = \"ghcr.io\"\nmirrors = [{ replaces = \"library\" }]", "launcher.toml:5:12: registry[0].mirrors[0] needs location = \"host[:port][/path]\"")]
    [InlineData("host = \"ghcr.io\"\nmirrors = [{ location = \"m.test\", replaces = \"../x\" }]", "launcher.toml:5:46: registry[0].mirrors[0].replaces: path component '..' is invalid: use lowercase letters and digits, joined by single '.', '_', '__' or runs of '-', starting and ending with a letter or digit")]
    [InlineData("host = \"ghcr.io\"\nmirrors = [{ location = \"m.test\", prefix = \"x\" }]", "launcher.toml:5:35: unknown key 'prefix' in [registry[0].mirrors[0]]")]
    public void Registry_hosts_follow_the_one_host_rule(string lines, string problem)
    {
        Problems($"""
            [image]
            reference = "ubuntu"
            [[registry]]
            {lines}
            """).Should().Equal(problem);
    }

    [Fact]
    public void The_approval_policy_and_interval_are_checked_at_their_positions()
    {
        Problems("""
            [image]
            reference = "ubuntu"
            on_unapproved = "kill"
            approval_check_interval = "500ms"
            """).Should().SatisfyRespectively(
                p => p.Should().StartWith("launcher.toml:3:17:").And.Contain("kill"),
                p => p.Should().Be("launcher.toml:4:27: image.approval_check_interval must be at least 1s"));
    }

    [Fact]
    public void A_mirror_is_a_location_with_an_optional_path_prefix_or_a_table_that_also_names_the_path_it_replaces()
    {
        Load("""
            [image]
            reference = "ubuntu"
            [[registry]]
            host = "docker.io"
            mirrors = ["mirror.internal:5000", "harbor.example/dockerhub-proxy", { location = "cache.example/hub", replaces = "library" }]
            """).Registries.Should().ContainSingle().Which.Mirrors.Should().Equal(
            new MirrorSettings(RegistryHost.Parse("mirror.internal:5000"), "", ""),
            new MirrorSettings(RegistryHost.Parse("harbor.example"), "dockerhub-proxy", ""),
            new MirrorSettings(RegistryHost.Parse("cache.example"), "hub", "library"));
    }

    [Fact]
    public void Archives_resolve_against_the_config_file_and_the_archive_port_defaults_to_5999()
    {
        var config = Load("""
            [image]
            reference = "ubuntu"
            archives = ["node.oci.tar", "/var/lib/images/side"]
            """);
        config.Image.Archives.Should().Equal(Path.GetFullPath(Path.Combine(Path.GetDirectoryName(config.SourcePath)!, "node.oci.tar")), "/var/lib/images/side");
        config.Pull.ArchivePort.Should().Be(5999);
    }

    [Theory]
    [InlineData("[image]\nreference = \"ubuntu\"\narchives = [\"\"]", "launcher.toml:3:12: image.archives must name files or directories: an entry is empty or has a NUL character")]
    [InlineData("[image]\nreference = \"ubuntu\"\n[pull]\narchive_port = 70000", "launcher.toml:4:16: pull.archive_port must be between 1 and 65535, found 70000")]
    public void Archive_settings_are_checked(string toml, string problem) => Problems(toml).Should().Equal(problem);

    public void Dispose() => _dir.Dispose();
}
