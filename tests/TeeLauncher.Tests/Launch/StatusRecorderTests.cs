using System.Text.Json;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using TeeLauncher.Compose;
using TeeLauncher.Configuration;
using TeeLauncher.Docker;
using TeeLauncher.Launch;
using TeeLauncher.Selection;
using TeeLauncher.Tests.Support;
using TeeLauncher.Values;

namespace TeeLauncher.Tests.Launch;

/// <summary>What systemd is told at each step, and what reaches the status file and when.</summary>
public sealed class StatusRecorderTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly RecordingNotifier _notifier = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 1, 8, 0, 0, TimeSpan.Zero));

    private string StatusFile => _dir.Combine("status.json");

    private StatusRecorder Recorder() => new("/etc/tee-launcher/launcher.toml", _notifier, NullLogger.Instance, _time);

    private JsonElement Written() => JsonDocument.Parse(File.ReadAllBytes(StatusFile)).RootElement;

    [Fact]
    public void Progress_is_only_told_to_systemd_and_nothing_is_written_before_the_state_directory_is_known()
    {
        var status = Recorder();

        status.LoadingConfiguration();
        status.Failed(new InvalidOperationException("no config"));
        status.WritesTo(StatusFile);
        status.Pulling(1);
        status.PullProgress("pulling 1 image: app 1/2 layers done");

        _notifier.Messages.Should().Equal(
            "STATUS=loading configuration", "STATUS=failed: no config", "STATUS=pulling 1 image", "STATUS=pulling 1 image: app 1/2 layers done");
        File.Exists(StatusFile).Should().BeFalse();
    }

    [Fact]
    public void Each_decision_is_written_with_the_phase_by_name_and_the_time_it_was_made()
    {
        var status = Recorder();
        status.WritesTo(StatusFile);
        var image = new PinnedImage(ImageReference.Parse("registry.example/app"), Digests.A);
        var origin = PullSource.For(image.Repository, [])[0];

        status.Pulled([new PullResult(image, image, origin, true, [])], "/state/compose.rendered.yml", "services: {}\n"u8.ToArray());
        _time.Advance(TimeSpan.FromSeconds(5));
        status.Running(image);

        var written = Written();
        written.GetProperty("phase").GetString().Should().Be("running");
        written.GetProperty("updated_at").GetDateTimeOffset().Should().Be(_time.GetUtcNow());
        written.GetProperty("image").GetString().Should().Be(image.Reference);
        written.GetProperty("compose_file").GetString().Should().Be("/state/compose.rendered.yml");
        _notifier.Messages.Should().Equal("STATUS=measuring", $"STATUS=running {image}");
    }

    [Fact]
    public void A_failure_is_recorded_with_its_message_and_a_status_file_that_cannot_be_written_does_not_hide_it()
    {
        var status = Recorder();
        status.WritesTo(StatusFile);

        status.Failed(new InvalidOperationException("the stack stopped"));
        Written().GetProperty("phase").GetString().Should().Be("failed");
        Written().GetProperty("error").GetString().Should().Be("the stack stopped");

        status.WritesTo(_dir.Combine("missing/status.json"));
        status.Invoking(s => s.Failed(new InvalidOperationException("again"))).Should().NotThrow();
    }

    [Fact]
    public void STATUS_says_when_a_service_is_restarting_and_the_status_file_keeps_its_restarts_and_last_exit()
    {
        var status = Recorder();
        status.WritesTo(StatusFile);
        var image = new PinnedImage(ImageReference.Parse("registry.example/app"), Digests.A);
        var exited = new DateTimeOffset(2026, 12, 1, 8, 0, 3, TimeSpan.Zero);
        status.Running(image);

        status.Restarts([new ServiceRestarts("db", 0, null, null, false), new ServiceRestarts("web", 4, 3, exited, true)]);
        status.Restarts([new ServiceRestarts("db", 0, null, null, false), new ServiceRestarts("web", 4, 3, exited, false)]);
        status.Restarts([new ServiceRestarts("db", 0, null, null, false), new ServiceRestarts("web", 4, 3, exited, false)]);

        _notifier.Messages.Should().Equal(
            $"STATUS=running {image}",
            $"STATUS=restarting web (4 restarts since launch, last exit 3 at 2026-12-01 08:00:03Z); running {image}",
            $"STATUS=running {image}; web (4 restarts since launch, last exit 3 at 2026-12-01 08:00:03Z)");
        var web = Written().GetProperty("services")[1];
        web.GetProperty("name").GetString().Should().Be("web");
        web.GetProperty("restarts").GetInt32().Should().Be(4);
        web.GetProperty("last_exit_code").GetInt32().Should().Be(3);
        web.GetProperty("last_exit_at").GetDateTimeOffset().Should().Be(exited);
        Written().GetProperty("services")[0].TryGetProperty("last_exit_code", out _).Should().BeFalse("db never exited");
    }

    [Fact]
    public void The_approval_is_recorded_with_since_and_checked_at_and_STATUS_names_what_is_not_plainly_approved()
    {
        var status = Recorder();
        status.WritesTo(StatusFile);
        var image = new PinnedImage(ImageReference.Parse("registry.example/app"), Digests.A);
        var since = _time.GetUtcNow();
        status.Running(image);

        status.Approval(new ApprovalVerdict(ApprovalState.Approved, "listed at position 1 in /shared/approved.json", 1), UnapprovedPolicy.Report, since);
        status.Approval(new ApprovalVerdict(ApprovalState.Approved, "listed at position 2 ...", 2, Digests.B), UnapprovedPolicy.Report, since);
        _time.Advance(TimeSpan.FromMinutes(1));
        status.Approval(new ApprovalVerdict(ApprovalState.Unreadable, "/shared/approved.json: approved hashes file is not valid JSON\u001b[2J"), UnapprovedPolicy.Report, since);
        status.Approval(new ApprovalVerdict(ApprovalState.Unapproved, "no longer listed"), UnapprovedPolicy.Report, since);

        _notifier.Messages.Should().Equal(
            $"STATUS=running {image}",
            $"STATUS=running {image}; a newer image is approved; it runs after the next boot",
            $"STATUS=running {image}; the approved list cannot be read since 2026-12-01 08:00:00Z: approval unknown",
            $"STATUS=running {image}; the image is no longer approved since 2026-12-01 08:00:00Z (on_unapproved = report)");
        var approval = Written().GetProperty("approval");
        approval.GetProperty("state").GetString().Should().Be("unapproved");
        approval.GetProperty("policy").GetString().Should().Be("report");
        approval.GetProperty("since").GetDateTimeOffset().Should().Be(since);
        approval.GetProperty("checked_at").GetDateTimeOffset().Should().Be(_time.GetUtcNow());
        Written().GetProperty("phase").GetString().Should().Be("running", "report keeps the stack running");
    }

    [Theory]
    [InlineData("\nREADY=1\nMAINPID=1", "\\nREADY=1\\nMAINPID=1")]
    [InlineData("a\rb\u001b[2Jc", "a\\rb\\x1b[2Jc")]
    [InlineData("x\u2028y\u202ez", "x\\u2028y\\u202ez")]
    public void No_input_text_adds_a_notify_assignment_or_a_control_sequence(string hostile, string escaped)
    {
        var status = Recorder();

        status.Failed(new InvalidOperationException($"approved list field {hostile}"));
        status.PullProgress(hostile);

        _notifier.Messages.Should().Equal($"STATUS=failed: approved list field {escaped}", $"STATUS={escaped}");
        _notifier.Messages.Should().OnlyContain(line => !line.Any(c => char.IsControl(c) || c == '\u2028' || c == '\u202e'));
    }

    public void Dispose() => _dir.Dispose();
}
