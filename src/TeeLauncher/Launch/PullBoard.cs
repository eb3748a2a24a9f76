using Microsoft.Extensions.Logging;
using TeeLauncher.Docker;
using TeeLauncher.Values;

namespace TeeLauncher.Launch;

/// <summary>
/// Turns the pulls' progress into one <c>STATUS=</c> line and a log line, at most once per <see cref="Interval"/>
/// (docker reports each layer event, several pulls report at once), and always on an image's first news and when a layer completes.
/// </summary>
public sealed class PullBoard(IReadOnlyList<PullRequest> requests, ILogger logger, Action<string> report, TimeProvider? time = null)
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, (int Done, string Text)> _progress = new(StringComparer.Ordinal);
    private long _lastReport;

    public void Update(PinnedImage image, PullProgress progress)
    {
        lock (_lock)
        {
            var name = image.Repository.Path;
            var news = !_progress.TryGetValue(name, out var before) || before.Done != progress.LayersDone;
            _progress[name] = (progress.LayersDone, progress.ToString());
            var now = _time.GetTimestamp();
            if (!news && _time.GetElapsedTime(_lastReport, now) < Interval)
                return;
            _lastReport = now;
            var line = $"pulling {requests.Count} image{(requests.Count == 1 ? "" : "s")}: " + string.Join("; ",
                requests.Select(r => r.Image.Repository.Path).Distinct().Select(p => $"{p} {(_progress.TryGetValue(p, out var s) ? s.Text : "waiting")}"));
            logger.LogInformation("{Progress}", line);
            report(line);
        }
    }
}
