using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using TeeLauncher.Cli;
using TeeLauncher.Configuration;
using TeeLauncher.Launch;
using TeeLauncher.Measurement;
using TeeLauncher.Tests.Support;
using TeeLauncher.Values;
using TeeLauncher.Events;

namespace TeeLauncher.Tests.Measurement;

/// <summary>What a launch logs, <c>measure</c> predicts and <c>verify</c> accepts, through the command line.</summary>
public sealed class MeasureVerifyRoundTripTests : IDisposable
{
    private const string EventName = "mpc-image-digest";

    private readonly TempDirectory _dir = new();

    [Fact]
    public async Task A_launch_log_verifies_against_the_rtmr3_that_measure_predicts()
    {
        var (log, compose) = await LaunchAsync();
        var approved = _dir.File("approved.json", $$"""{"approved_hashes": ["{{Digests.B}}", "{{Digests.A}}"]}""");

        var measure = await CommandLine.RunAsync("measure", "--digest", Digests.A.ToString(), "--compose", compose, "--event-name", EventName, "--json");
        using var prediction = JsonDocument.Parse(measure.Out);
        var rtmr3 = prediction.RootElement.GetProperty("rtmr3").GetString()!;
        var verify = await CommandLine.RunAsync("verify", "--event-log", log, "--rtmr3", rtmr3, "--approved-hashes", approved,
            "--compose", compose, "--event-name", EventName);

        measure.Code.Should().Be(0, measure.Error);
        prediction.RootElement.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("digest").GetString())
            .Should().Equal(File.ReadAllLines(log).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("digest").GetString()));
        verify.Code.Should().Be(0, verify.Out + verify.Error);
        verify.Out.Should().Contain($"image:     {Digests.A}")
            .And.Contain("approved:  position 2 of the approved list")
            .And.Contain("compose:   matches the compose event")
            .And.Contain("verified")
            .And.Contain("not checked: the quote's signature");
    }

    [Fact]
    public async Task Another_compose_file_or_register_value_does_not_verify()
    {
        var (log, compose) = await LaunchAsync();
        var rtmr3 = Convert.ToHexStringLower(Replay(new byte[48], File.ReadAllLines(log).Select(DigestOf), SHA384.HashData));
        var otherCompose = _dir.File("other.yml", "services: {other: {}}\n");

        var wrongCompose = await CommandLine.RunAsync("verify", "--event-log", log, "--rtmr3", rtmr3, "--compose", otherCompose, "--event-name", EventName);
        var wrongRegister = await CommandLine.RunAsync("verify", "--event-log", log, "--rtmr3", new string('0', 96), "--event-name", EventName);
        var right = await CommandLine.RunAsync("verify", "--event-log", log, "--rtmr3", rtmr3, "--compose", compose, "--event-name", EventName);

        wrongCompose.Code.Should().Be(1);
        wrongCompose.Error.Should().StartWith("tee-launcher: NOT verified: event 2 'launcher-compose-hash': payload ");
        wrongRegister.Code.Should().Be(1);
        wrongRegister.Error.Should().Contain($"RTMR3 differs: expected {new string('0', 96)} (--rtmr3), the replay of 2 events gives {rtmr3}");
        right.Code.Should().Be(0, right.Out);
    }

    [Fact]
    public async Task A_tpm_log_verifies_in_the_bank_the_pcr_value_names_from_a_base()
    {
        var log = new EventLog(_dir.Combine("tpm.jsonl"));
        RuntimeEvent[] events = [RuntimeEvent.ForImage("image-digest", Digests.C), RuntimeEvent.ForCompose("services: {}"u8)];
        foreach (var runtimeEvent in events)
            log.Append(EventLogEntry.For(runtimeEvent, registerIndex: 14));
        var base256 = SHA256.HashData("earlier boot events"u8);
        var sha256 = Replay(base256, events.Select(e => SHA256.HashData(e.Preimage())), SHA256.HashData);
        var sha384 = Replay(new byte[48], events.Select(e => SHA384.HashData(e.Preimage())), SHA384.HashData);

        var inSha256 = await CommandLine.RunAsync("verify", "--event-log", log.Path, "--pcr", Convert.ToHexStringLower(sha256), "--base", Convert.ToHexStringLower(base256));
        var inSha384 = await CommandLine.RunAsync("verify", "--event-log", log.Path, "--pcr", Convert.ToHexStringLower(sha384), "--json");
        var withoutBase = await CommandLine.RunAsync("verify", "--event-log", log.Path, "--pcr", Convert.ToHexStringLower(sha256));

        inSha256.Code.Should().Be(0, inSha256.Out);
        inSha256.Out.Should().Contain("replayed into PCR 14 (sha256 bank)").And.Contain($"image:     {Digests.C}");
        inSha384.Code.Should().Be(0, inSha384.Out);
        JsonDocument.Parse(inSha384.Out).RootElement.GetProperty("register").GetString().Should().Be("PCR 14 (sha384 bank)");
        withoutBase.Code.Should().Be(1);
    }

    [Fact]
    public async Task A_log_of_two_pcrs_needs_pcr_index()
    {
        var log = new EventLog(_dir.Combine("tpm.jsonl"));
        log.Append(EventLogEntry.For(RuntimeEvent.ForImage("image-digest", Digests.C), registerIndex: 14));
        log.Append(EventLogEntry.For(new RuntimeEvent("other", [1]), registerIndex: 15));
        var pcr14 = Replay(new byte[32], [SHA256.HashData(RuntimeEvent.ForImage("image-digest", Digests.C).Preimage())], SHA256.HashData);

        var ambiguous = await CommandLine.RunAsync("verify", "--event-log", log.Path, "--pcr", Convert.ToHexStringLower(pcr14));
        var chosen = await CommandLine.RunAsync("verify", "--event-log", log.Path, "--pcr", Convert.ToHexStringLower(pcr14), "--pcr-index", "14");

        ambiguous.Code.Should().Be(1);
        ambiguous.Error.Should().Contain("the log names PCRs 14, 15: choose one with --pcr-index");
        chosen.Code.Should().Be(0, chosen.Out);
    }

    [Theory]
    [InlineData(2, "--event-log", "LOG", "--rtmr3", "00", "--pcr", "00")]
    [InlineData(2, "--event-log", "LOG", "--rtmr3", "abcd")]
    [InlineData(2, "--event-log", "LOG", "--pcr-index", "24")]
    [InlineData(3, "--event-log", "/nonexistent/events.jsonl")]
    public async Task Bad_arguments_are_usage_errors_and_an_unreadable_log_is_bad_input(int code, params string[] arguments)
    {
        var (log, _) = await LaunchAsync();

        var verify = await CommandLine.RunAsync(["verify", .. arguments.Select(a => a == "LOG" ? log : a)]);

        verify.Code.Should().Be(code, verify.Error);
        verify.Error.Should().StartWith("tee-launcher: ");
        verify.Error.TrimEnd('\n').Should().NotContain("\n", "a failure is one line");
    }

    [Fact]
    public async Task Measure_in_version_2_predicts_the_spec_vector_preimage_form_and_verify_accepts_the_version_2_log()
    {
        var measure = await CommandLine.RunAsync("measure", "--digest", Digests.D.ToString(), "--event-version", "2", "--json");

        var image = JsonDocument.Parse(measure.Out).RootElement.GetProperty("events")[0];
        image.GetProperty("version").GetInt32().Should().Be(2);
        System.Text.Encoding.UTF8.GetString(Convert.FromHexString(image.GetProperty("preimage").GetString()!))
            .Should().Be($$"""{"name":"image-digest","payload":"{{Digests.D.Hex}}","type":134217729}""");
        var log = _dir.File("v2.jsonl", $$"""{"imr":3,"event_type":134217729,"digest":"{{image.GetProperty("digest").GetString()}}","event":"image-digest","event_payload":"{{Digests.D.Hex}}","version":2}""" + "\n");
        var verify = await CommandLine.RunAsync("verify", "--event-log", log, "--rtmr3", JsonDocument.Parse(measure.Out).RootElement.GetProperty("rtmr3").GetString()!);
        verify.Code.Should().Be(0, verify.Out);
        var unknown = await CommandLine.RunAsync("measure", "--digest", Digests.D.ToString(), "--event-version", "3");
        unknown.Code.Should().Be(2, "there is no digest version 3");
    }

    [Fact]
    public async Task Measure_from_a_base_extends_that_base()
    {
        var start = SHA384.HashData("rtmr3 so far"u8);

        var measure = await CommandLine.RunAsync("measure", "--digest", Digests.D.ToString(), "--base", Convert.ToHexStringLower(start), "--json");

        var expected = Replay(start, [RuntimeEvent.ForImage(EventNames.DefaultImage, Digests.D).Digest()], SHA384.HashData);
        JsonDocument.Parse(measure.Out).RootElement.GetProperty("rtmr3").GetString().Should().Be(Convert.ToHexStringLower(expected));
    }

    public void Dispose() => _dir.Dispose();

    /// <summary>Measures as the launch pipeline does, on backend none: the log is what is checked here.</summary>
    private async Task<(string Log, string Compose)> LaunchAsync()
    {
        var compose = _dir.File("compose.yml", "services:\n  node:\n    image: registry.example/node@" + Digests.A + "\n");
        var settings = MeasurementSettings.Default with
        {
            Backend = MeasurementBackendKind.None, EventName = EventName, EventLog = _dir.Combine("events.jsonl"),
        };
        var measurer = new Measurer(settings, _dir.Path, Platform.Dev, NullLogger.Instance, boot: new BootIdentity("this-boot"));
        var prepared = await measurer.PrepareAsync(Digests.A, CancellationToken.None);
        await prepared.MeasureAsync(File.ReadAllBytes(compose), CancellationToken.None);
        return (settings.EventLog, compose);
    }

    private static byte[] DigestOf(string logLine) =>
        Convert.FromHexString(JsonDocument.Parse(logLine).RootElement.GetProperty("digest").GetString()!);

    private static byte[] Replay(byte[] start, IEnumerable<byte[]> measurements, Func<byte[], byte[]> hash) =>
        measurements.Aggregate(start, (register, measurement) => hash([.. register, .. measurement]));
}
