using CliWrap;
using TeeLauncher.Docker;

namespace TeeLauncher.Compose;

/// <summary>
/// A compose "up" whose process starts before the measurement and reads the compose file from its standard input,
/// which stays empty until <see cref="UpAsync"/> gives it the measured bytes. Until then compose knows no service
/// and touches no container; disposing it unreleased kills the process.
/// </summary>
public sealed class PendingUp : IAsyncDisposable
{
    private readonly TaskCompletionSource<byte[]> _file = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _abort;
    private readonly Task<DockerOutput> _run;
    private readonly string _project;

    internal PendingUp(Func<PipeSource, CancellationToken, Task<DockerOutput>> start, string project, CancellationToken cancellationToken)
    {
        _project = project;
        _abort = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _run = start(PipeSource.Create(async (input, token) =>
        {
            var file = await _file.Task.WaitAsync(token);
            await input.WriteAsync(file, token);
        }), _abort.Token);
    }

    /// <summary>Before the measurement: a compose that already exited (it could not start at all) fails the launch now, before anything is extended.</summary>
    public async Task EnsureWaitingAsync()
    {
        if (!_run.IsCompleted)
            return;
        var output = await _run;
        throw ComposeRunner.Failure($"compose exited before it was given the measured file of project '{_project}'", output);
    }

    /// <summary>Gives compose the file that was measured and waits until the stack is up.</summary>
    public async Task UpAsync(byte[] renderedFile)
    {
        _file.TrySetResult(renderedFile);
        var output = await _run;
        if (!output.Succeeded)
            throw ComposeRunner.Failure($"compose failed to start project '{_project}'", output);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_file.Task.IsCompleted)
            await _abort.CancelAsync();
        try
        {
            await _run;
        }
        catch (OperationCanceledException)
        {
            // The launch failed before the measurement: the process is gone, and the failure that matters is the caller's.
        }
        _abort.Dispose();
    }
}
