using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;
using TeeLauncher.Compose;
using TeeLauncher.Docker;
using TeeLauncher.Errors;
using TeeLauncher.Launch;

namespace TeeLauncher.Service;

/// <summary>
/// Launches in StartAsync and is the one sender of READY=1, right after the stack is up (the host runs no
/// SystemdLifetime, which would send it a second time); then supervises it, and on SIGTERM stops it within compose.stop_timeout.
/// </summary>
public sealed class LauncherService(
    LaunchPipeline pipeline,
    StatusRecorder status,
    IDockerRunner docker,
    ISystemdNotifier notifier,
    IHostApplicationLifetime lifetime,
    RunOutcome outcome,
    ILogger<LauncherService> logger) : IHostedService
{
    private readonly CancellationTokenSource _stopping = new();
    private LaunchedStack? _stack;
    private Task _supervision = Task.CompletedTask;
    private bool _leaveStackRunning;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _stack = await pipeline.LaunchAsync(cancellationToken);
        notifier.Notify(ServiceState.Ready);
        logger.LogInformation("Stack of project {Project} is up", _stack.Compose.Project);

        if (!_stack.Supervise)
        {
            _leaveStackRunning = true;
            lifetime.StopApplication();
            return;
        }
        _supervision = SuperviseAsync(_stack);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        notifier.Notify(ServiceState.Stopping);
        await _stopping.CancelAsync();
        await _supervision;
        if (_stack is null)
            return;
        await using var stack = _stack;
        try
        {
            if (!_leaveStackRunning)
                await stack.StopAsync(cancellationToken);
        }
        catch (LauncherException e)
        {
            outcome.Fail(e);
        }
    }

    /// <summary>
    /// Watches the stack and, with an approved list, the running digest's approval, until one of them ends it: a stack
    /// that failed is left as it is (exit 8); an image no longer approved under "stop" is taken down (exit 10).
    /// </summary>
    private async Task SuperviseAsync(LaunchedStack stack)
    {
        await Task.Yield();
        using var watching = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        var supervisor = new StackSupervisor(docker, stack.Compose, logger, restarts: status.Restarts);
        Task[] watches = [supervisor.WatchAsync(watching.Token), .. stack.Approval is { } approval ? [approval.WatchAsync(watching.Token)] : Array.Empty<Task>()];
        try
        {
            await await Task.WhenAny(watches);
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            logger.LogError("{Failure}", e.Message);
            status.Failed(e);
            outcome.Fail(e is LauncherException ? e : new ComposeException($"supervision failed: {e.Message}"));
            _leaveStackRunning = e is not ImageUnapprovedException;
            lifetime.StopApplication();
        }
        finally
        {
            await watching.CancelAsync();
            await Task.WhenAll(watches).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }
}
