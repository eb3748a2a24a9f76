using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using TeeLauncher.Configuration;
using TeeLauncher.Errors;
using TeeLauncher.Measurement;
using TeeLauncher.Tests.Support;
using TeeLauncher.Values;
using TeeLauncher.Verification;

namespace TeeLauncher.Tests.Values;

/// <summary>The one rule of the event version (docs/spec.md §5.1), and that every place a version enters says it alike.</summary>
public sealed class EventVersionTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData(1L, "1")]
    [InlineData(2L, "2")]
    public void The_numbers_1_and_2_are_the_versions_and_print_as_their_digit(long number, string printed)
    {
        EventVersion.TryFrom(number, out var version).Should().BeTrue();

        version.Number.Should().Be((int)number);
        version.ToString().Should().Be(printed);
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(3L)]
    [InlineData(-1L)]
    [InlineData(4294967298L)]
    [InlineData(long.MaxValue)]
    [InlineData(long.MinValue)]
    public void No_other_number_is_a_version(long number)
    {
        EventVersion.TryFrom(number, out _).Should().BeFalse();
    }

    [Theory]
    [InlineData("1", 1)]
    [InlineData("2", 2)]
    public void The_text_of_a_version_is_its_one_digit(string text, int number)
    {
        EventVersion.TryParse(text, out var version).Should().BeTrue();

        version.Number.Should().Be(number);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("0")]
    [InlineData("3")]
    [InlineData(" 1")]
    [InlineData("2 ")]
    [InlineData("01")]
    [InlineData("+1")]
    [InlineData("12")]
    [InlineData("1.0")]
    [InlineData("\u0661")]
    [InlineData("\uff12")]
    public void No_other_text_is_a_version(string? text)
    {
        EventVersion.TryParse(text, out _).Should().BeFalse();
    }

    [Fact]
    public void The_default_is_version_1_and_the_two_versions_differ()
    {
        default(EventVersion).Should().Be(EventVersion.V1);
        EventVersion.V1.Number.Should().Be(1);
        EventVersion.V2.Number.Should().Be(2);
        EventVersion.V1.Should().NotBe(EventVersion.V2);
    }

    [Fact]
    public void In_json_a_version_is_its_number()
    {
        JsonSerializer.Serialize(EventVersion.V2, EventVersionJson.Default.EventVersion).Should().Be("2");
        JsonSerializer.Deserialize("1", EventVersionJson.Default.EventVersion).Should().Be(EventVersion.V1);
        JsonSerializer.Deserialize("2", EventVersionJson.Default.EventVersion).Should().Be(EventVersion.V2);
    }

    [Theory]
    [InlineData("3")]
    [InlineData("1.5")]
    [InlineData("\"2\"")]
    [InlineData("null")]
    public void In_json_anything_but_1_or_2_is_no_version(string json)
    {
        var read = () => JsonSerializer.Deserialize(json, EventVersionJson.Default.EventVersion);

        read.Should().Throw<JsonException>();
    }

    [Theory]
    [InlineData("3")]
    [InlineData("0")]
    public void The_config_says_the_rule_at_the_value(string number)
    {
        var path = _dir.File("launcher.toml", $"[image]\nreference = \"ubuntu\"\n[measurement]\nevent_version = {number}\n");

        var (_, problems) = ConfigLoader.Read(path);

        problems.Select(p => p.ToString().Replace(path, "launcher.toml"))
            .Should().Equal($"launcher.toml:4:17: measurement.event_version must be 1 or 2, found {number}");
    }

    [Theory]
    [InlineData("3")]
    [InlineData(" 2")]
    [InlineData("02")]
    public async Task Measure_says_the_rule_of_its_option_with_the_usage_exit_code(string text)
    {
        var (code, output, error) = await CommandLine.RunAsync("measure", "--digest", Digests.A.ToString(), "--event-version", text);

        code.Should().Be((int)ExitCode.Usage);
        output.Should().BeEmpty();
        error.Should().Contain($"--event-version '{text}' must be 1 or 2");
    }

    [Theory]
    [InlineData("3")]
    [InlineData("0")]
    public void Evidence_says_the_rule_at_the_version(string number)
    {
        var parse = () => Evidence.Parse("e.log", Encoding.UTF8.GetBytes($"{{\"event\":\"a\",\"version\":{number}}}"));

        parse.Should().Throw<ConfigException>().Which.Message.Should().StartWith("e.log:1:24: event 1: \"version\" must be 1 or 2, the runtime event digest versions");
    }

    [Theory]
    [InlineData("3", "\"3\"")]
    [InlineData("01\n", "\"01\"")]
    public async Task Dstacks_version_file_is_refused_with_the_rule(string content, string quoted)
    {
        var file = _dir.File("dstack/runtime_event_version", content);
        var dstack = new DstackRuntimeEvents(_dir.Combine("dstack"), new RtmrAttribute(_dir.Combine("rtmr3")), DstackPlatformKind.Tdx, new Tpm2Tools("device:/dev/null"));

        var check = () => dstack.EnsureUsableAsync(CancellationToken.None);

        (await check.Should().ThrowAsync<MeasurementException>()).Which.Message.Should().Be(
            $"dstack's runtime event version file {file} holds {quoted}, not 1 or 2: this launcher does not know that digest version");
    }
}

[JsonSerializable(typeof(EventVersion))]
internal sealed partial class EventVersionJson : JsonSerializerContext;
