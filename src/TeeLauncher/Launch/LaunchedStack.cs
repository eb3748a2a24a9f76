using Microsoft.Extensions.Logging;
using TeeLauncher.Compose;

namespace TeeLauncher.Launch;

/// <summary>
/// A running stack this process launched. It owns the state lock from the launch on and releases it when it is
/// stopped or disposed (left running), so no other run acts on the stack meanwhile; with an approved list, it carries its guard.
/// </summary>
public sealed class LaunchedStack(
    ComposeRunner compose, string renderedFile, bool supervise, IDisposable stateLock, ApprovalGuard? approval, StatusRecorder status, ILogger logger)
    : IAsyncDisposable
{
    private IDisposable? _stateLock = stateLock;

    public ComposeRunner Compose => compose;

    public bool Supervise => supervise;

    public ApprovalGuard? Approval => approval;

    /// <summary>Takes the stack down with compose down, then releases the state lock, also when the down fails.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        try
        {
            status.StoppingStack();
            logger.LogInformation("Stopping the stack of project {Project}", Compose.Project);
            await Compose.DownAsync(renderedFile, cancellationToken);
            status.Stopped();
        }
        finally
        {
            await DisposeAsync();
        }
    }

    /// <summary>Releases the state lock and leaves the stack as it is.</summary>
    public ValueTask DisposeAsync()
    {
        Interlocked.Exchange(ref _stateLock, null)?.Dispose();
        return ValueTask.CompletedTask;
    }
}
