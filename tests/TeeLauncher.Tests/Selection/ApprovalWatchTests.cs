using System.Collections.Concurrent;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using TeeLauncher.Selection;
using TeeLauncher.Tests.Support;
using TeeLauncher.Testing;

namespace TeeLauncher.Tests.Selection;

/// <summary>
/// docs/spec.md §4.1: the list is judged again when it changes, however it is replaced (real inotify on a scratch
/// folder), and at the interval; a verdict other than approved is read twice before it is reported.
/// </summary>
public sealed class ApprovalWatchTests : IDisposable
{
    private static readonly ApprovalVerdict Approved = new(ApprovalState.Approved, "listed", 1);
    private static readonly ApprovalVerdict Unapproved = new(ApprovalState.Unapproved, "not listed");

    private readonly TempDirectory _dir = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<ApprovalVerdict> _reported = new();
    private int _judged;

    private string Folder => _dir.Combine("shared");

    private string File => Path.Combine(Folder, "approved.json");

    private Task Watch(Func<int, ApprovalVerdict> judge, TimeSpan interval, TimeProvider? time = null) =>
        new ApprovalWatch(File, () => judge(Interlocked.Increment(ref _judged)), interval, NullLogger.Instance, time)
            .WatchAsync(_reported.Enqueue, _stop.Token);

    private async Task WatchUntilJudgedAsync(Action change)
    {
        Directory.CreateDirectory(Folder);
        System.IO.File.WriteAllText(File, "old");
        var watch = Watch(_ => Approved, TimeSpan.FromHours(1));
        await WaitFor(() => _reported.Count == 1);

        change();

        await WaitFor(() => _reported.Count == 2);
        watch.IsCompleted.Should().BeFalse();
    }

    /// <summary>Real inotify and a real settle time: waits up to 20 s on a busy machine.</summary>
    private static Task WaitFor(Func<bool> condition) => Eventually.HoldsAsync(condition, TimeSpan.FromSeconds(20), poll: TimeSpan.FromMilliseconds(10));

    [Fact]
    public Task A_write_in_place_is_seen() => WatchUntilJudgedAsync(() => System.IO.File.WriteAllText(File, "new"));

    [Fact]
    public Task An_atomic_rename_over_the_file_is_seen() => WatchUntilJudgedAsync(() =>
    {
        System.IO.File.WriteAllText(Path.Combine(Folder, ".approved.tmp"), "new");
        System.IO.File.Move(Path.Combine(Folder, ".approved.tmp"), File, overwrite: true);
    });

    [Fact]
    public async Task A_symlink_swap_in_the_folder_is_seen()
    {
        // The way a Kubernetes volume updates: the file is a link through "..data", which is swapped by a rename.
        Directory.CreateDirectory(Path.Combine(Folder, "v1"));
        Directory.CreateDirectory(Path.Combine(Folder, "v2"));
        System.IO.File.WriteAllText(Path.Combine(Folder, "v1", "approved.json"), "old");
        System.IO.File.WriteAllText(Path.Combine(Folder, "v2", "approved.json"), "new");
        System.IO.File.CreateSymbolicLink(Path.Combine(Folder, "..data"), "v1/approved.json");
        var watch = Watch(_ => Approved, TimeSpan.FromHours(1));
        await WaitFor(() => _reported.Count == 1);

        System.IO.File.CreateSymbolicLink(Path.Combine(Folder, "..data_tmp"), "v2/approved.json");
        System.IO.File.Move(Path.Combine(Folder, "..data_tmp"), Path.Combine(Folder, "..data"), overwrite: true);

        await WaitFor(() => _reported.Count == 2);
        watch.IsCompleted.Should().BeFalse();
    }

    [Fact]
    public async Task The_folder_replaced_by_another_is_seen_and_changes_in_the_new_folder_too()
    {
        await WatchUntilJudgedAsync(() =>
        {
            var replacement = _dir.Combine("shared.new");
            Directory.CreateDirectory(replacement);
            System.IO.File.WriteAllText(Path.Combine(replacement, "approved.json"), "new");
            Directory.Move(Folder, _dir.Combine("shared.old"));
            Directory.Move(replacement, Folder);
        });

        System.IO.File.WriteAllText(File, "newer");

        await WaitFor(() => _reported.Count == 3);
    }

    [Fact]
    public async Task Without_a_change_the_list_is_judged_again_at_the_interval()
    {
        var time = new FakeTimeProvider();
        Directory.CreateDirectory(Folder);
        System.IO.File.WriteAllText(File, "list");
        _ = Watch(_ => Approved, TimeSpan.FromMinutes(5), time);
        await WaitFor(() => _reported.Count == 1);

        var minutes = 0;
        while (_reported.Count == 1 && minutes < 20)
        {
            time.Advance(TimeSpan.FromMinutes(1));
            minutes++;
            await Task.Delay(20);
        }

        _reported.Should().HaveCount(2);
        minutes.Should().BeGreaterThanOrEqualTo(5, "nothing changed, so the next reading waits for the interval");
    }

    [Fact]
    public async Task A_verdict_other_than_approved_is_read_again_after_the_settle_time_and_only_the_second_reading_counts()
    {
        var time = new FakeTimeProvider();
        _ = Watch(n => n == 1 ? Unapproved : Approved, TimeSpan.FromHours(1), time);
        await WaitFor(() => _judged == 1);
        _reported.Should().BeEmpty("a writer may be half way through replacing the file");

        for (var i = 0; i < 100 && _reported.IsEmpty; i++)
        {
            time.Advance(ApprovalWatch.SettleTime);
            await Task.Delay(20);
        }

        _reported.Should().Equal(Approved);
        _judged.Should().Be(2);
    }

    [Fact]
    public async Task What_the_handler_throws_ends_the_watch()
    {
        var watch = new ApprovalWatch(File, () => Approved, TimeSpan.FromHours(1), NullLogger.Instance)
            .WatchAsync(_ => throw new InvalidOperationException("stop"), _stop.Token);

        var ended = () => watch;
        await ended.Should().ThrowAsync<InvalidOperationException>();
    }

    public void Dispose()
    {
        _stop.Cancel();
        _stop.Dispose();
        _dir.Dispose();
    }
}
