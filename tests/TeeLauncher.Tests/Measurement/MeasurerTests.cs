using Microsoft.Extensions.Logging.Abstractions;
using TeeLauncher.Configuration;
using TeeLauncher.Errors;
using TeeLauncher.Measurement;
using TeeLauncher.Tests.Support;
using TeeLauncher.Values;
using TeeLauncher.Events;

namespace TeeLauncher.Tests.Measurement;

/// <summary>The once-per-boot and fail-closed rules of docs/spec.md §5.3, on a backend that records what it was asked.</summary>
public sealed class MeasurerTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    [Fact]
    public async Task Each_entry_is_in_the_log_before_its_extend()
    {
        var backend = new RecordingBackend(this);

        var measured = await MeasureAsync(backend, Digests.A);

        backend.LogLinesAtExtend.Should().Equal([1, 2]);
        measured.Should().OnlyContain(m => m.ExtendedNow);
    }

    [Fact]
    public async Task A_version_2_backend_extends_version_2_digests_and_logs_them_with_version_2()
    {
        var backend = new RecordingBackend(this) { EventVersion = EventVersion.V2 };

        var measured = await MeasureAsync(backend, Digests.A);

        backend.Extended.Should().OnlyContain(e => e.Version.Number == 2);
        measured.Select(m => m.DigestHex).Should().Equal(Events(Digests.A).Select(e => Convert.ToHexStringLower(e.InVersion(EventVersion.V2).Digest())));
        File.ReadAllLines(LogPath).Should().OnlyContain(line => line.EndsWith(",\"version\":2}", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_second_run_with_the_same_digest_extends_nothing()
    {
        await MeasureAsync(new RecordingBackend(this), Digests.A);
        var again = new RecordingBackend(this);

        var measurer = await NewMeasurer(again).PrepareAsync(Digests.A, CancellationToken.None);
        var measured = await measurer.MeasureAsync(Compose, CancellationToken.None);

        measurer.HasMeasuredThisBoot.Should().BeTrue();
        again.Extended.Should().BeEmpty();
        measured.Should().OnlyContain(m => !m.ExtendedNow);
        File.ReadAllLines(LogPath).Should().HaveCount(2);
    }

    [Fact]
    public async Task The_image_event_carries_the_digest_the_measurement_was_prepared_for()
    {
        var backend = new RecordingBackend(this);

        var prepared = await NewMeasurer(backend).PrepareAsync(Digests.B, CancellationToken.None);
        await prepared.MeasureAsync(Compose, CancellationToken.None);

        prepared.Digest.Should().Be(Digests.B);
        backend.Extended.Select(e => Convert.ToHexStringLower(e.Digest())).Should().Equal(Events(Digests.B).Select(e => Convert.ToHexStringLower(e.Digest())));
        backend.Extended[0].Payload.Should().Equal(RuntimeEvent.ForImage(Settings.EventName, Digests.B).Payload);
    }

    [Fact]
    public async Task Another_digest_in_the_same_boot_is_exit_9()
    {
        await MeasureAsync(new RecordingBackend(this), Digests.A);

        var prepare = () => NewMeasurer(new RecordingBackend(this)).PrepareAsync(Digests.B, CancellationToken.None);

        (await prepare.Should().ThrowAsync<AlreadyMeasuredException>()).Which.ExitCode.Should().Be(ExitCode.AlreadyMeasuredOther);
    }

    [Fact]
    public async Task A_run_that_died_between_log_and_extend_is_reported_by_the_next_run()
    {
        var dying = new RecordingBackend(this) { FailOnExtend = 2 };
        var first = () => MeasureAsync(dying, Digests.A);
        await first.Should().ThrowAsync<IOException>();

        var prepare = () => NewMeasurer(new RecordingBackend(this)).PrepareAsync(Digests.A, CancellationToken.None);

        (await prepare.Should().ThrowAsync<MeasurementException>()).Which.Message.Should()
            .Contain("event 'launcher-compose-hash'").And.Contain("never confirmed");
    }

    [Fact]
    public async Task An_edited_log_is_refused_in_the_same_boot()
    {
        await MeasureAsync(new RecordingBackend(this), Digests.A);
        File.WriteAllLines(LogPath, File.ReadAllLines(LogPath).Take(1));

        var prepare = () => NewMeasurer(new RecordingBackend(this)).PrepareAsync(Digests.A, CancellationToken.None);

        (await prepare.Should().ThrowAsync<MeasurementException>()).Which.Message.Should().Contain("changed or truncated");
    }

    [Fact]
    public async Task A_new_boot_starts_a_new_log_and_keeps_the_old_one_beside_it()
    {
        await MeasureAsync(new RecordingBackend(this), Digests.A);
        var nextBoot = new RecordingBackend(this);

        await MeasureAsync(nextBoot, Digests.B, new BootIdentity("next-boot"));

        nextBoot.Extended.Should().HaveCount(2);
        File.ReadAllLines(LogPath).Should().HaveCount(2);
        File.ReadAllLines(LogPath + ".previous-boot").Should().HaveCount(2);
    }

    [Fact]
    public async Task A_log_of_this_boot_whose_record_was_deleted_is_refused()
    {
        await MeasureAsync(new RecordingBackend(this), Digests.A);
        File.Delete(_dir.Combine("measured.json"));
        var backend = new RecordingBackend(this);

        var prepare = () => NewMeasurer(backend).PrepareAsync(Digests.A, CancellationToken.None);

        (await prepare.Should().ThrowAsync<MeasurementException>()).Which.Message.Should().Contain("record").And.Contain("is missing");
        backend.Extended.Should().BeEmpty();
    }

    public void Dispose() => _dir.Dispose();

    private string LogPath => _dir.Combine("events.jsonl");

    private static readonly BootIdentity ThisBoot = new("this-boot");

    [Fact]
    public async Task An_event_log_that_cannot_be_written_is_found_before_the_pull_and_leaves_no_record()
    {
        Directory.CreateDirectory(LogPath);
        var backend = new RecordingBackend(this);

        var prepare = () => NewMeasurer(backend).PrepareAsync(Digests.A, CancellationToken.None);

        (await prepare.Should().ThrowAsync<MeasurementException>()).Which.Message.Should()
            .Be($"event log {LogPath} is a directory, not a regular file; remove it or set measurement.event_log");
        backend.Extended.Should().BeEmpty();
        File.Exists(Path.Combine(_dir.Path, "measured.json")).Should().BeFalse();
    }

    [Fact]
    public async Task A_log_write_that_fails_after_the_check_leaves_no_pending_record_behind()
    {
        var backend = new RecordingBackend(this);
        var measurer = await NewMeasurer(backend).PrepareAsync(Digests.A, CancellationToken.None);
        Directory.CreateDirectory(LogPath);

        var measure = () => measurer.MeasureAsync(Compose, CancellationToken.None);

        (await measure.Should().ThrowAsync<MeasurementException>()).Which.Message.Should().StartWith($"event log {LogPath} cannot be written");
        backend.Extended.Should().BeEmpty();
        File.Exists(Path.Combine(_dir.Path, "measured.json")).Should().BeFalse("nothing was extended, so no later run may be blocked");
        Directory.Delete(LogPath);
        var next = () => NewMeasurer(new RecordingBackend(this)).PrepareAsync(Digests.B, CancellationToken.None);
        await next.Should().NotThrowAsync("a failed write before any extend does not bind the boot to a digest");
    }

    [Fact]
    public async Task A_stop_while_the_backend_waits_before_any_extend_leaves_no_record_that_demands_a_reboot()
    {
        var stopped = new RecordingBackend(this) { StopBeforeCommit = true };
        var first = () => MeasureAsync(stopped, Digests.A);
        await first.Should().ThrowAsync<OperationCanceledException>();

        File.Exists(_dir.Combine("measured.json")).Should().BeFalse("nothing was extended");
        File.Exists(LogPath).Should().BeFalse("no entry is logged for an extend that never began");
        var next = new RecordingBackend(this);
        await MeasureAsync(next, Digests.A);
        next.Extended.Should().HaveCount(2);
    }

    [Theory]
    [InlineData(Platform.Dev, "recording", "backend 'recording' on platform 'dev'")]
    [InlineData(Platform.Tee, "other", "backend 'other' on platform 'tee'")]
    public async Task A_record_of_another_platform_or_backend_is_not_this_runs_measurement(Platform platform, string backend, string named)
    {
        await MeasureAsync(new RecordingBackend(this) { Name = backend }, Digests.A, platform: platform);
        var now = new RecordingBackend(this);

        var prepare = () => NewMeasurer(now).PrepareAsync(Digests.A, CancellationToken.None);

        var refused = (await prepare.Should().ThrowAsync<AlreadyMeasuredException>()).Which;
        refused.ExitCode.Should().Be(ExitCode.AlreadyMeasuredOther);
        refused.Message.Should().Contain(named).And.Contain("not by backend 'recording' on platform 'tee'").And.Contain("reboot");
        now.Extended.Should().BeEmpty();
    }

    [Fact]
    public async Task A_log_whose_boot_is_unknown_is_refused_without_its_record()
    {
        await MeasureAsync(new RecordingBackend(this), Digests.A);
        File.Delete(_dir.Combine("measured.json"));
        File.Delete(LogPath + ".boot_id");

        var prepare = () => NewMeasurer(new RecordingBackend(this), new BootIdentity("next-boot")).PrepareAsync(Digests.A, CancellationToken.None);

        (await prepare.Should().ThrowAsync<MeasurementException>()).Which.Message.Should().Contain("unknown boot");
    }

    private MeasurementSettings Settings => MeasurementSettings.Default with { EventLog = LogPath };

    private static readonly byte[] Compose = "services: {}"u8.ToArray();

    private Measurer NewMeasurer(IMeasurementBackend backend, BootIdentity? boot = null, Platform platform = Platform.Tee) =>
        new(Settings, _dir.Path, platform, NullLogger.Instance, backend, boot ?? ThisBoot);

    private async Task<IReadOnlyList<MeasuredEvent>> MeasureAsync(IMeasurementBackend backend, ImageDigest digest, BootIdentity? boot = null, Platform platform = Platform.Tee)
    {
        var measurer = await NewMeasurer(backend, boot, platform).PrepareAsync(digest, CancellationToken.None);
        return await measurer.MeasureAsync(Compose, CancellationToken.None);
    }

    private IReadOnlyList<RuntimeEvent> Events(ImageDigest digest) => LaunchEvents.For(Settings, digest, Compose);

    private sealed class RecordingBackend(MeasurerTests test) : IMeasurementBackend
    {
        public List<RuntimeEvent> Extended { get; } = [];

        public List<int> LogLinesAtExtend { get; } = [];

        public int FailOnExtend { get; init; }

        public bool StopBeforeCommit { get; init; }

        public string Name { get; init; } = "recording";

        public int RegisterIndex => 3;

        public EventVersion EventVersion { get; init; } = EventVersion.V1;

        public Task EnsureAvailableAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task ExtendAsync(RuntimeEvent runtimeEvent, Action commit, CancellationToken cancellationToken)
        {
            if (StopBeforeCommit)
                throw new OperationCanceledException("stopped while waiting for dstack's lock");
            commit();
            if (Extended.Count + 1 == FailOnExtend)
                throw new IOException("the process is killed here");
            LogLinesAtExtend.Add(File.ReadAllLines(test.LogPath).Length);
            Extended.Add(runtimeEvent);
            return Task.CompletedTask;
        }
    }
}
