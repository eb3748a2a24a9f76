using System.Text;
using TeeLauncher.IntegrationTests.Support;

namespace TeeLauncher.IntegrationTests.LaunchPath;

/// <summary>
/// Issue 10: what an operator sees for a realistic mistake in launcher.toml. <c>run</c> stops with exit 3
/// and exactly one line, the file:line:column and the reason, and nothing is pulled, measured or started.
/// </summary>
public sealed class ConfigMistakeTests(ConfigMistakeTests.PushedImage image) : IClassFixture<ConfigMistakeTests.PushedImage>
{
    private const string Config = """
        # launcher.toml of one deployment
        [launcher]
        platform = "dev"
        state_dir = "{state}"

        [image]
        reference = "{reference}"
        approved_hashes_file = "{approved}"

        [pull]
        policy = "always"
        attempts = 2
        backoff_initial = "1s"
        deadline = "3m"

        [measurement]
        backend = "none"

        [compose]
        file = "{compose}"
        project = "{project}"
        env = { LOG_LEVEL = "info" }
        """;

    private static readonly string TenThousandParts = "a" + string.Concat(Enumerable.Repeat(".a", 9_999));

    [Theory]
    [InlineData("typo'd key", "attempts = 2", "atempts = 2",
        "12:1: unknown key 'atempts' in [pull]; did you mean 'attempts'?")]
    [InlineData("typo'd table", "[measurement]", "[measurment]",
        "16:2: unknown key 'measurment' at the top level; did you mean 'measurement'?")]
    [InlineData("string where an integer belongs", "attempts = 2", "attempts = \"2\"",
        "12:12: pull.attempts must be an integer, found a string")]
    [InlineData("duplicate key", "attempts = 2", "attempts = 2\nattempts = 3",
        "13:1: invalid TOML: the key 'pull.attempts' is already defined at 12:1 and cannot be redefined")]
    [InlineData("[pull] twice", "[measurement]", "[pull]\npolicy = \"never\"\n\n[measurement]",
        "16:1: invalid TOML: the key 'pull' is already defined at 10:1 and cannot be redefined")]
    [InlineData("bad duration", "deadline = \"3m\"", "deadline = \"3 minutes\"",
        "14:12: '3 minutes' is not a duration: write a positive amount with a unit, such as \"90s\", \"10m\" or \"1h\"")]
    [InlineData("duration past the timers", "deadline = \"3m\"", "deadline = \"999999999h\"",
        "14:12: pull.deadline '999999999h' is longer than 24 days, the longest a timer takes")]
    [InlineData("unterminated string", "policy = \"always\"", "policy = \"always",
        "11:17: invalid TOML: invalid newline in a string")]
    [InlineData("bad UTF-8", "\"info\"", "\"inf\u00ffo\"",
        "22:25: invalid TOML: invalid UTF-8 (byte 0xff): a TOML document must be UTF-8 text")]
    [InlineData("10,000-segment dotted key", "policy = \"always\"", "{ten thousand parts} = 1",
        "11:1: invalid TOML: a key of 10000 dotted parts; at most 64 are allowed")]
    [InlineData("2^64 - 1 as hex", "attempts = 2", "attempts = 0xFFFFFFFFFFFFFFFF",
        "12:12: invalid TOML: integer 0xFFFFFFFFFFFFFFFF is larger than 9223372036854775807, the largest TOML integer")]
    [InlineData("2^64 as hex", "attempts = 2", "attempts = 0x10000000000000000",
        "12:12: invalid TOML: invalid size of hexadecimal integer. Expecting less than or equal 16 hexadecimal digits")]
    [InlineData("empty path", "file = \"{compose}\"", "file = \"\"",
        "20:8: compose.file must not be empty: write a path")]
    [InlineData("mirror port out of range", "[measurement]", "[[registry]]\nhost = \"{registry}\"\nmirrors = [\"mirror.internal:99999\"]\n\n[measurement]",
        "18:12: registry[0].mirrors[0]: registry host 'mirror.internal:99999' has port 99999: a port is 1 to 65535")]
    public async Task A_mistake_stops_run_with_exit_3_and_one_line_at_its_position_and_nothing_is_pulled(
        string mistake, string correct, string wrong, string expected)
    {
        await using var deployment = Deployment.Create("mistake", Toolchain.Debian12);
        deployment.Approve(image.Digest);
        var text = Render(deployment, Config).Replace(Render(deployment, correct), Render(deployment, wrong));
        text.Should().NotBe(Render(deployment, Config), "the mistake ({0}) is made", mistake);
        File.WriteAllBytes(deployment.ConfigPath, Bytes(text));

        var run = await LauncherProcess.RunAsync(["run", "--config", deployment.ConfigPath], toolchain: deployment.Toolchain);

        run.ExitCode.Should().Be(3, run.Error);
        run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries).Should().Equal($"tee-launcher: {deployment.ConfigPath}:{expected}");
        (await deployment.ImagePresentAsync($"{image.Reference}@{image.Digest}")).Should().BeFalse("nothing is pulled");
        File.Exists(deployment.EventLog).Should().BeFalse("nothing is measured");
        (await deployment.ContainersAsync(all: true)).Should().BeEmpty("nothing is started");
    }

    [Fact]
    public async Task The_same_config_without_a_mistake_is_valid()
    {
        await using var deployment = Deployment.Create("mistake", Toolchain.Debian12);
        deployment.Approve(image.Digest);
        File.WriteAllText(deployment.ConfigPath, Render(deployment, Config));

        var validate = await LauncherProcess.RunAsync(["validate", "--config", deployment.ConfigPath], toolchain: deployment.Toolchain);

        validate.ExitCode.Should().Be(0, validate.Error);
    }

    private string Render(Deployment deployment, string text) => text
        .Replace("{state}", deployment.StateDir)
        .Replace("{reference}", image.Reference)
        .Replace("{approved}", deployment.Config.ApprovedHashesFile)
        .Replace("{compose}", deployment.Config.ComposeFile)
        .Replace("{project}", deployment.Config.Project)
        .Replace("{registry}", TestEnvironment.Registry)
        .Replace("{ten thousand parts}", TenThousandParts);

    /// <summary>UTF-8, except that U+00FF stands for the single invalid byte 0xFF.</summary>
    private static byte[] Bytes(string text) =>
        [.. text.Split('\u00ff').SelectMany((part, i) => i == 0 ? Encoding.UTF8.GetBytes(part) : [0xFF, .. Encoding.UTF8.GetBytes(part)])];

    /// <summary>One image in the registry, pushed once for all the cases, never pulled by them.</summary>
    public sealed class PushedImage : IAsyncLifetime
    {
        public string Reference { get; } = $"{TestEnvironment.Registry}/it/mistakes";

        public string Digest { get; private set; } = "";

        public async Task InitializeAsync() => Digest = await Images.PushNewAsync(TestEnvironment.Registry, "it/mistakes");

        public Task DisposeAsync() => Task.CompletedTask;
    }
}
