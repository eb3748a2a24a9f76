using System.Globalization;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using TeeLauncher.Docker;
using TeeLauncher.Errors;
using TeeLauncher.Values;

namespace TeeLauncher.Compose;

/// <summary>
/// Watches the running stack through <c>docker events</c>: reports the first container that stops, and after every exit
/// what docker says of each service's restarts (<paramref name="restarts"/> hears each change, docs/spec.md §8).
/// </summary>
public sealed class StackSupervisor(
    IDockerRunner docker, ComposeRunner compose, ILogger logger, TimeProvider? time = null, Action<IReadOnlyList<ServiceRestarts>>? restarts = null)
{
    public static readonly TimeSpan SettleTime = TimeSpan.FromSeconds(2);

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly RestartTracker _tracker = new();
    private IReadOnlyList<ServiceRestarts> _reported = [];

    /// <summary>Returns only by throwing: ComposeException when the stack fails, or cancellation on shutdown.</summary>
    public async Task WatchAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var dieEvents = Channel.CreateUnbounded<string>();
            using var eventsStop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var events = docker.RunAsync(
                ["events", "--filter", "type=container", "--filter", $"label=com.docker.compose.project={compose.Project}",
                    "--filter", "event=die", "--format", "{{.Actor.ID}}\t{{index .Actor.Attributes \"exitCode\"}}"],
                eventsStop.Token,
                line => dieEvents.Writer.TryWrite(line));
            var watcher = events.ContinueWith(_ => dieEvents.Writer.TryComplete(), TaskScheduler.Default);

            try
            {
                await EnsureRunningAsync(cancellationToken);
                await foreach (var line in dieEvents.Reader.ReadAllAsync(cancellationToken))
                {
                    var fields = line.Split('\t');
                    var exitCode = fields.Length > 1 && int.TryParse(fields[1], CultureInfo.InvariantCulture, out var code) ? code : (int?)null;
                    if (exitCode is not null)
                        _tracker.Died(fields[0], exitCode.Value);
                    logger.LogInformation("Container {Container} of project {Project} exited with code {ExitCode}",
                        SafeText.Escape(fields[0][..Math.Min(12, fields[0].Length)]), compose.Project, exitCode?.ToString(CultureInfo.InvariantCulture) ?? "unknown");
                    // docker counted the restart and marked the container restarting before it sent the event.
                    await ReportRestartsAsync(await compose.ContainersAsync(cancellationToken), cancellationToken);
                    // Give a restart policy the chance to bring it back before judging the stack.
                    await Task.Delay(SettleTime, _time, cancellationToken);
                    await EnsureRunningAsync(cancellationToken);
                }
            }
            finally
            {
                await eventsStop.CancelAsync();
                await watcher;
            }

            logger.LogWarning("docker events ended; checking the stack and watching again");
            await Task.Delay(SettleTime, _time, cancellationToken);
        }
    }

    private async Task EnsureRunningAsync(CancellationToken cancellationToken)
    {
        var containers = await compose.ContainersAsync(cancellationToken);
        if (containers.Count == 0)
            throw new ComposeException($"the stack of project '{compose.Project}' has no containers any more");
        await ReportRestartsAsync(containers, cancellationToken);
        var stopped = containers.Where(c => !c.IsRunning).ToList();
        if (stopped.Count > 0)
            throw new ComposeException(
                $"the stack of project '{compose.Project}' failed: {string.Join(", ", stopped.Select(c => $"{c.Name} is {c.State}"))}");
    }

    private async Task ReportRestartsAsync(IReadOnlyList<ContainerState> containers, CancellationToken cancellationToken)
    {
        var services = _tracker.Update(await compose.InspectAsync([.. containers.Select(c => c.Id)], cancellationToken));
        if (services.SequenceEqual(_reported))
            return;
        foreach (var service in services.Where(s => s.Restarts > (_reported.FirstOrDefault(r => r.Service == s.Service)?.Restarts ?? 0)))
            logger.LogWarning("Service {Service} of project {Project} was restarted by docker: {Restarts} restart(s) since the launch, last exit code {ExitCode} at {ExitedAt:u}{Now}",
                SafeText.Escape(service.Service), compose.Project, service.Restarts, service.LastExitCode, service.LastExitAt, service.Restarting ? ", restarting now" : "");
        _reported = services;
        restarts?.Invoke(services);
    }
}
