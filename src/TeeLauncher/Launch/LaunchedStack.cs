using Microsoft.Extensions.Logging;
using TeeLauncher.Compose;

namespace TeeLauncher.Launch;

/// <summary>
/// A running stack this process launched. It owns the state lock from the launch on and releases it when it is
/// stopped or disposed (left running), so no other run acts on the stack meanwhile; with an approved list, it carries its guard.
/// </summary>
public sealed class LaunchedStack : IAsyncDisposable
{
    private readonly string _renderedFile;
    private readonly StatusRecorder _status;
    private readonly ILogger _logger;
    private IDisposable? _stateLock;

    internal LaunchedStack(
        ComposeRunner compose, string renderedFile, bool supervise, IDisposable stateLock, ApprovalGuard? approval, StatusRecorder status, ILogger logger)
    {
        Compose = compose;
        Supervise = supervise;
        Approval = approval;
        _renderedFile = renderedFile;
        _stateLock = stateLock;
        _status = status;
        _logger = logger;
    }

    public ComposeRunner Compose { get; }

    public bool Supervise { get; }

    public ApprovalGuard? Approval { get; }

    /// <summary>Takes the stack down with compose down, then releases the state lock, also when the down fails.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        try
        {
            _status.StoppingStack();
            _logger.LogInformation("Stopping the stack of project {Project}", Compose.Project);
            await Compose.DownAsync(_renderedFile, cancellationToken);
            _status.Stopped();
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
