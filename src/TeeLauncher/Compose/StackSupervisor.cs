using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using TeeLauncher.Docker;
using TeeLauncher.Errors;

namespace TeeLauncher.Compose;

/// <summary>Watches the running stack through <c>docker events</c> and reports the first container that stops.</summary>
public sealed class StackSupervisor(IDockerRunner docker, ComposeRunner compose, ILogger logger, TimeProvider? time = null)
{
    public static readonly TimeSpan SettleTime = TimeSpan.FromSeconds(2);

    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <summary>Returns only by throwing: ComposeException when the stack fails, or cancellation on shutdown.</summary>
    public async Task WatchAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var dieEvents = Channel.CreateUnbounded<string>();
            using var eventsStop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var events = docker.RunAsync(
                ["events", "--filter", "type=container", "--filter", $"label=com.docker.compose.project={compose.Project}",
                    "--filter", "event=die", "--format", "{{.Actor.ID}}"],
                eventsStop.Token,
                id => dieEvents.Writer.TryWrite(id));
            var watcher = events.ContinueWith(_ => dieEvents.Writer.TryComplete(), TaskScheduler.Default);

            try
            {
                await EnsureRunningAsync(cancellationToken);
                await foreach (var id in dieEvents.Reader.ReadAllAsync(cancellationToken))
                {
                    logger.LogInformation("Container {Container} of project {Project} exited", id[..Math.Min(12, id.Length)], compose.Project);
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
        var stopped = containers.Where(c => !c.IsRunning).ToList();
        if (stopped.Count > 0)
            throw new ComposeException(
                $"the stack of project '{compose.Project}' failed: {string.Join(", ", stopped.Select(c => $"{c.Name} is {c.State}"))}");
    }
}
