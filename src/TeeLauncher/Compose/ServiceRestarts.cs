using System.Globalization;

namespace TeeLauncher.Compose;

/// <summary>One container of the project as <c>docker inspect</c> reports it: docker's own restart count and last exit.</summary>
public sealed record ContainerDetails(string Id, string Service, string Status, int RestartCount, int ExitCode, DateTimeOffset? FinishedAt)
{
    /// <summary>
    /// The <c>docker inspect</c> format <see cref="Parse"/> reads: id, compose service, state, restart count, exit code and
    /// finish time (RFC 3339; year 1 when it never finished), tab-separated.
    /// </summary>
    public const string InspectFormat =
        "{{.Id}}\t{{index .Config.Labels \"com.docker.compose.service\"}}\t{{.State.Status}}\t{{.RestartCount}}\t{{.State.ExitCode}}\t{{.State.FinishedAt}}";

    public static ContainerDetails? Parse(string line)
    {
        var fields = line.Split('\t');
        if (fields.Length != 6
            || !int.TryParse(fields[3], NumberStyles.None, CultureInfo.InvariantCulture, out var restarts)
            || !int.TryParse(fields[4], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var exitCode)
            || !DateTimeOffset.TryParse(fields[5], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var finished))
            return null;
        return new ContainerDetails(fields[0], fields[1], fields[2], restarts, exitCode, finished.Year <= 1 ? null : finished);
    }
}

/// <summary>
/// A service of the stack since the launch: the restarts docker counted (docs/spec.md §8), its last exit code and when,
/// and whether docker is restarting it now.
/// </summary>
public sealed record ServiceRestarts(string Service, int Restarts, int? LastExitCode, DateTimeOffset? LastExitAt, bool Restarting);

/// <summary>
/// Turns docker's per-container counters into per-service figures since supervision began: each container's restart
/// count and finish time when first seen (right after compose up) is its baseline, so only what happened since counts.
/// A container docker restarted is running again with its exit code reset to 0: its last exit code is the one of its
/// last <c>die</c> event.
/// </summary>
public sealed class RestartTracker
{
    private readonly Dictionary<string, (int RestartCount, DateTimeOffset? FinishedAt)> _baseline = [];
    private readonly Dictionary<string, int> _diedWith = [];

    /// <summary>A <c>die</c> event of <paramref name="id"/> with docker's <c>exitCode</c> attribute.</summary>
    public void Died(string id, int exitCode) => _diedWith[id] = exitCode;

    public IReadOnlyList<ServiceRestarts> Update(IReadOnlyList<ContainerDetails> containers)
    {
        foreach (var container in containers)
            _baseline.TryAdd(container.Id, (container.RestartCount, container.FinishedAt));
        return [.. containers
            .GroupBy(c => c.Service, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(service =>
            {
                var lastExit = service
                    .Where(c => c.FinishedAt is not null && c.FinishedAt != _baseline[c.Id].FinishedAt)
                    .MaxBy(c => c.FinishedAt);
                return new ServiceRestarts(
                    service.Key,
                    service.Sum(c => Math.Max(0, c.RestartCount - _baseline[c.Id].RestartCount)),
                    lastExit is null ? null : lastExit.Status != "running" ? lastExit.ExitCode : _diedWith.TryGetValue(lastExit.Id, out var code) ? code : null,
                    lastExit?.FinishedAt,
                    service.Any(c => c.Status == "restarting"));
            })];
    }
}
