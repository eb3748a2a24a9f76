using System.Text;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging.Abstractions;
using TeeLauncher.Launch;
using TeeLauncher.Testing;
using TeeLauncher.Tests.Support;

namespace TeeLauncher.Tests.Fuzzing;

/// <summary>
/// docs/spec.md §10: whatever text reaches a STATUS= notification (a failure's message, docker's progress line), systemd
/// receives exactly one assignment with no control, line-separator or direction character in it.
/// </summary>
public sealed class NotifyTextFuzzTests
{
    private static readonly string[] Tokens =
    [
        "\nREADY=1\nMAINPID=1", "\nSTATUS=verified", "\r", "\u001b[2J", "\u001b]0;owned\a", "\u2028", "\u2029", "\u202e", "\u2066",
        "\u200f", "\u0085", "\0", "\t", "=", "WATCHDOG=1", "\n",
    ];

    [Fact]
    public void Mutated_failure_and_progress_text_is_one_clean_assignment()
    {
        var notifier = new RecordingNotifier();
        var status = new StatusRecorder("launcher.toml", notifier, NullLogger.Instance);
        var mutator = new Mutator(20_001, Tokens);
        var seed = "approved hashes file entry 1: 'sha256:zz' is not a digest"u8.ToArray();

        for (var i = 0; i < 3000; i++)
        {
            var text = Encoding.UTF8.GetString(mutator.Mutate(seed));
            status.Failed(new InvalidOperationException(text));
            status.PullProgress(text);
        }

        notifier.Messages.Should().HaveCount(6000);
        notifier.Messages.Should().OnlyContain(state => state.StartsWith("STATUS=", StringComparison.Ordinal)
            && !state.Any(c => char.IsControl(c) || FuzzRun.IsInvisibleLineOrDirection(c)));
    }
}
