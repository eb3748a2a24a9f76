using Microsoft.Extensions.Logging;
using TeeLauncher.Compose;
using TeeLauncher.Configuration;
using TeeLauncher.Docker;
using TeeLauncher.Errors;
using TeeLauncher.Measurement;
using TeeLauncher.Registries;
using TeeLauncher.State;

namespace TeeLauncher.Launch;

/// <summary>
/// The boot, top to bottom: load, select, quiesce while pulling, measure, compose (the caller notifies). The state lock
/// is held from the start; a failed launch releases it, a successful one hands it to the <see cref="LaunchedStack"/>.
/// </summary>
public sealed class LaunchPipeline(string configPath, IDockerRunner docker, StatusRecorder status, ILoggerFactory loggers)
{
    private readonly ILogger _log = loggers.CreateLogger("launch");

    public async Task<LaunchedStack> LaunchAsync(CancellationToken cancellationToken)
    {
        status.LoadingConfiguration();
        var inputs = LaunchInputs.Load(configPath);
        var config = inputs.Config;
        var state = new StateDirectory(config.Launcher.StateDir);
        status.WritesTo(state.StatusFile);
        var stateLock = state.Lock();
        Task<int>? quiesce = null;
        try
        {
            RemoveLeftoverCredentials(config);
            var launch = inputs.Choose();
            _log.LogInformation("Chose {Digest}: {Reason}", launch.Selection.Digest, launch.Selection.Reason);
            status.Chose(launch);

            var measurement = await new Measurer(config.Measurement, config.Launcher.StateDir, config.Launcher.Platform, loggers.CreateLogger("measurement"))
                .PrepareAsync(launch.Selection.Digest, cancellationToken);
            status.MeasurementReady(measurement.Backend);

            // Compose's own model of the file is judged before anything is pulled (docs/spec.md §7.1): the pulls and the
            // stop of leftovers wait for it, while compose's "up" starts (it receives the file only after the measurement),
            // leftovers are listed and present images are found.
            var compose = new ComposeRunner(docker, config.Compose, ComposeSeal.Create(config.Launcher.StateDir), loggers.CreateLogger("compose"));
            var (planned, plannedModel) = launch.RenderFor(launch.PullRequests.Select(r => r.Image).ToList());
            // The check's process first: on a warm reboot it is the longest step before the measurement.
            var modelChecked = compose.CheckModelAsync(planned, plannedModel, config.Compose.File, cancellationToken);
            await using var up = compose.StartUp(cancellationToken);
            // Not cancelled by SIGTERM: a stop that began is finished, so no container of the project runs unsupervised.
            quiesce = measurement.HasMeasuredThisBoot ? Task.FromResult(0) : compose.StopLeftoversAsync(CancellationToken.None, modelChecked);
            var pulling = PullAsync(launch, modelChecked, cancellationToken);
            // The model check's failure comes first: the pulls fail with it.
            await Task.WhenAll(modelChecked, pulling);
            var pulled = await pulling;
            await QuiescedAsync(quiesce, compose);

            var (rendered, model) = launch.RenderFor(pulled.Select(p => p.Image).ToList());
            // A mirror changes the references the file names; the model of the bytes measured is judged again.
            if (!rendered.AsSpan().SequenceEqual(planned))
                await compose.CheckModelAsync(rendered, model, config.Compose.File, cancellationToken);
            StateDirectory.WriteAtomically(state.RenderedComposeFile, rendered);
            status.Pulled(pulled, state.RenderedComposeFile, rendered);
            await up.EnsureWaitingAsync();
            var measured = await measurement.MeasureAsync(rendered, cancellationToken);
            status.Measured(measured);

            await compose.UpElseDownAsync(up, rendered, state.RenderedComposeFile,
                () => compose.CheckMeasuredRunningAsync(model.MeasuredServices, pulled[0].Image, cancellationToken),
                status.StoppingStack, cancellationToken);
            status.Running(pulled[0].Image);
            var approval = launch.Selection.ApprovedHashesFile is { } approvedList
                ? new ApprovalGuard(config.Image, approvedList, launch.Selection.Digest, status, loggers.CreateLogger("approval"))
                : null;
            return new LaunchedStack(compose, state.RenderedComposeFile, config.Compose.Supervise, stateLock, approval, status, _log);
        }
        catch (Exception e)
        {
            if (quiesce is not null)
                await FinishQuiescingAsync(quiesce);
            status.Failed(e);
            stateLock.Dispose();
            throw;
        }
    }

    private void RemoveLeftoverCredentials(LauncherConfig config)
    {
        if (DockerConfigDirectory.RemoveLeftovers(config.Launcher.StateDir) is var removed and > 0)
            _log.LogWarning("Removed {Count} registry credentials folder(s) left by a launcher that was killed during a pull", removed);
    }

    private async Task<IReadOnlyList<PullResult>> PullAsync(ChosenLaunch launch, Task mayPull, CancellationToken cancellationToken)
    {
        var (inputs, _, requests) = launch;
        status.Pulling(requests.Count);
        var puller = new ImagePuller(docker, inputs.Config.Pull, inputs.Credentials, inputs.Config.Launcher.StateDir, loggers.CreateLogger("pull"));
        var board = new PullBoard(requests, _log, status.PullProgress);
        var pulled = await puller.PullAllAsync(requests, cancellationToken, board.Update, mayPull);
        foreach (var result in pulled)
        {
            foreach (var skipped in result.SkippedSources)
                _log.LogWarning("{Skipped}", skipped);
            if (result.Pulled)
                _log.LogInformation("Image {Image} served by {Source}", result.Image, result.Source.Label);
            else
                _log.LogInformation("Image {Image} already present, not pulled", result.Image);
        }
        return pulled;
    }

    private async Task QuiescedAsync(Task<int> quiesce, ComposeRunner compose)
    {
        if (await quiesce is var stopped and > 0)
            _log.LogWarning("Stopped {Count} container(s) of project {Project} that ran before measurement", stopped, compose.Project);
    }

    private async Task FinishQuiescingAsync(Task<int> quiesce)
    {
        try
        {
            await quiesce;
        }
        catch (LauncherException e)
        {
            _log.LogWarning("{Problem}", e.Message);
        }
    }
}
