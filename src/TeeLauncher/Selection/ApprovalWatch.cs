using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace TeeLauncher.Selection;

/// <summary>
/// Judges the running digest again whenever the approved list may have changed, and at least every
/// <paramref name="interval"/> (docs/spec.md §4.1). Changes are seen through inotify (FileSystemWatcher) on the file's
/// folder, which covers writes, atomic renames and symlink swaps inside it, and on that folder's parent, which covers
/// the folder itself being replaced; the watches are set up again after each change. A verdict other than approved is
/// read again after <see cref="SettleTime"/> before it is reported, so a writer that truncates or deletes and
/// recreates the file is not taken for a revocation.
/// </summary>
public sealed class ApprovalWatch(string file, Func<ApprovalVerdict> judge, TimeSpan interval, ILogger logger, TimeProvider? time = null)
{
    public static readonly TimeSpan SettleTime = TimeSpan.FromSeconds(1);

    private const int MaxSettles = 5;

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Channel<bool> _changed = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly List<FileSystemWatcher> _watchers = [];
    private string? _unwatchable;

    /// <summary>Hands every verdict to <paramref name="judged"/>, the first at once; returns only by throwing (what <paramref name="judged"/> throws, or cancellation).</summary>
    public async Task WatchAsync(Action<ApprovalVerdict> judged, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                Rewatch();
                var verdict = judge();
                if (verdict.State != ApprovalState.Approved)
                {
                    await Task.Delay(SettleTime, _time, cancellationToken);
                    verdict = judge();
                }
                judged(verdict);
                await ChangedOrIntervalAsync(cancellationToken);
            }
        }
        finally
        {
            Unwatch();
        }
    }

    private async Task ChangedOrIntervalAsync(CancellationToken cancellationToken)
    {
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var changed = _changed.Reader.WaitToReadAsync(wait.Token).AsTask();
        var elapsed = Task.Delay(interval, _time, wait.Token);
        await Task.WhenAny(changed, elapsed);
        await wait.CancelAsync();
        cancellationToken.ThrowIfCancellationRequested();
        // A writer makes several changes in a row: read once they have settled, or after a few settle times in a busy folder.
        for (var settles = 0; settles < MaxSettles && _changed.Reader.TryRead(out _); settles++)
            await Task.Delay(SettleTime, _time, cancellationToken);
    }

    private void Rewatch()
    {
        Unwatch();
        var folder = Path.GetDirectoryName(file)!;
        var problems = new List<string>();
        Watch(folder, null, problems);
        if (Path.GetDirectoryName(folder) is { } parent)
            Watch(parent, Path.GetFileName(folder), problems);
        var unwatchable = problems.Count == 0 ? null : string.Join("; ", problems);
        if (unwatchable is not null && unwatchable != _unwatchable)
            logger.LogWarning("Cannot watch the approved list for changes ({Problem}); it is read every {Interval}", unwatchable, interval);
        _unwatchable = unwatchable;
    }

    private void Watch(string folder, string? name, List<string> problems)
    {
        if (!Directory.Exists(folder))
        {
            problems.Add($"{folder} does not exist");
            return;
        }
        var watcher = new FileSystemWatcher(folder)
        {
            NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size
                | NotifyFilters.Attributes | NotifyFilters.CreationTime,
        };
        if (name is not null)
            watcher.Filter = name;
        watcher.Changed += (_, _) => Signal();
        watcher.Created += (_, _) => Signal();
        watcher.Deleted += (_, _) => Signal();
        watcher.Renamed += (_, _) => Signal();
        watcher.Error += (_, _) => Signal();
        try
        {
            watcher.EnableRaisingEvents = true;
            _watchers.Add(watcher);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or System.ComponentModel.Win32Exception)
        {
            watcher.Dispose();
            problems.Add($"{folder}: {e.Message}");
        }
    }

    private void Signal() => _changed.Writer.TryWrite(true);

    private void Unwatch()
    {
        foreach (var watcher in _watchers)
            watcher.Dispose();
        _watchers.Clear();
    }
}
