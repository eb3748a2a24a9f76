using System.Security.Cryptography;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;
using TeeLauncher.Cli;
using TeeLauncher.Compose;
using TeeLauncher.Docker;
using TeeLauncher.Errors;
using TeeLauncher.Measurement;
using TeeLauncher.Registries;
using TeeLauncher.Selection;
using TeeLauncher.State;

namespace TeeLauncher.Launch;

/// <summary>A running stack this process launched, with the state lock it holds.</summary>
public sealed record LaunchedStack(ComposeRunner Compose, string RenderedFile, bool Supervise, IDisposable StateLock);

/// <summary>The boot, top to bottom: load, select, quiesce while pulling, measure, compose (the caller notifies).</summary>
public sealed class LaunchPipeline(string configPath, ISystemdNotifier notifier, ILoggerFactory loggers)
{
    private readonly ILogger _log = loggers.CreateLogger("launch");
    private readonly DockerCli _docker = new();
    private LaunchStatus _status = new()
    {
        Phase = "starting", Config = configPath, LauncherVersion = CommandLineApp.Version, UpdatedAt = DateTimeOffset.UtcNow,
    };
    private StateDirectory? _state;

    public async Task<LaunchedStack> LaunchAsync(CancellationToken cancellationToken)
    {
        Report("loading configuration");
        var inputs = LaunchInputs.Load(configPath);
        var config = inputs.Config;
        _state = new StateDirectory(config.Launcher.StateDir);
        var stateLock = _state.Lock();
        Task<int>? quiesce = null;
        try
        {
            if (DockerConfigDirectory.RemoveLeftovers(config.Launcher.StateDir) is var removed and > 0)
                _log.LogWarning("Removed {Count} registry credentials folder(s) left by a launcher that was killed during a pull", removed);
            var selection = DigestSelector.Select(config.Image, config.Locations);
            _log.LogInformation("Chose {Digest}: {Reason}", selection.Digest, selection.Reason);
            Report($"chose {selection.Digest}", s => s with
            {
                Digest = selection.Digest.ToString(), Rule = selection.RuleName, Reason = selection.Reason,
                ApprovedPosition = selection.ApprovedPosition, Project = config.Compose.Project,
            });

            var measurer = new Measurer(config.Measurement, config.Launcher.StateDir, loggers.CreateLogger("measurement"));
            await measurer.PrepareAsync(selection.Digest, cancellationToken);
            Report("measurement backend ready", s => s with { MeasurementBackend = measurer.Backend.Name });

            // Quiescing runs while the image is pulled and finishes before the measurement; compose starts now too,
            // but receives the file only after the measurement.
            var compose = new ComposeRunner(_docker, config.Compose, loggers.CreateLogger("compose"));
            // Not cancelled by SIGTERM: a stop that began is finished, so no container of the project runs unsupervised.
            quiesce = measurer.HasMeasuredThisBoot ? Task.FromResult(0) : compose.StopLeftoversAsync(CancellationToken.None);
            await using var up = compose.StartUp(_state.RenderedComposeFile, cancellationToken);

            var requests = inputs.PullRequests(selection.Digest);
            Report($"pulling {requests.Count} image{(requests.Count == 1 ? "" : "s")}");
            var puller = new ImagePuller(_docker, config.Pull, inputs.Credentials, config.Launcher.StateDir, loggers.CreateLogger("pull"));
            var board = new PullBoard(requests, _log, status => Report(status));
            var pulled = await puller.PullAllAsync(requests, cancellationToken, board.Update);
            foreach (var result in pulled)
            {
                foreach (var skipped in result.SkippedSources)
                    _log.LogWarning("{Skipped}", skipped);
                _log.LogInformation("Image {Image} served by {Source}", result.Image, result.Source.Label);
            }

            if (await quiesce is var stopped and > 0)
                _log.LogWarning("Stopped {Count} container(s) of project {Project} that ran before measurement", stopped, config.Compose.Project);

            var main = pulled[0];
            var rendered = inputs.Template.Render(main.Image, config.Compose.Env, pulled.Skip(1).ToDictionary(r => r.Requested.Reference, r => r.Image));
            StateDirectory.WriteAtomically(_state.RenderedComposeFile, rendered);
            Report("measuring", s => s with
            {
                Image = main.Image.Reference, PulledFrom = main.Source.Label, Pulled = main.Pulled, SkippedSources = [.. pulled.SelectMany(r => r.SkippedSources)],
                Images = [.. pulled.Select(r => new StatusImage(r.Image.Reference, r.Image.Digest.ToString(), r.Source.Label, r.Pulled))],
                ComposeFile = _state.RenderedComposeFile, ComposeSha256 = Convert.ToHexStringLower(SHA256.HashData(rendered)),
            });
            var measured = await measurer.MeasureAsync(LaunchEvents.For(config.Measurement, selection.Digest, rendered), cancellationToken);
            Report("starting the stack", s => s with
            {
                Events = [.. measured.Select(m => new StatusEvent(m.Event.Name, Convert.ToHexStringLower(m.Event.Payload), m.DigestHex, m.ExtendedNow))],
            });

            await StartStackAsync(compose, up, rendered, cancellationToken);
            Report($"running {main.Image}", s => s with { Phase = "running" });
            return new LaunchedStack(compose, _state.RenderedComposeFile, config.Compose.Supervise, stateLock);
        }
        catch (Exception e)
        {
            if (quiesce is not null)
                await FinishQuiescingAsync(quiesce);
            RecordFailure(e);
            stateLock.Dispose();
            throw;
        }
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

    /// <summary>
    /// compose up, and if it fails or a stop is requested while compose is still starting the stack (a service
    /// waiting on a health check), compose down: nothing of the measured workload is left running unsupervised (SPEC 8, 10).
    /// </summary>
    private async Task StartStackAsync(ComposeRunner compose, PendingUp up, byte[] rendered, CancellationToken cancellationToken)
    {
        var renderedFile = _state!.RenderedComposeFile;
        try
        {
            await up.UpAsync(rendered);
        }
        catch (Exception e) when (e is OperationCanceledException or LauncherException)
        {
            var stopRequested = e is OperationCanceledException && cancellationToken.IsCancellationRequested;
            _log.LogWarning("{Why}; stopping what compose started of project {Project}",
                stopRequested ? "Stop requested while compose was starting the stack" : "Compose failed to start the stack", compose.Project);
            notifier.Notify(new ServiceState("STATUS=stopping the stack"));
            try
            {
                await compose.DownAsync(renderedFile, CancellationToken.None);
            }
            catch (ComposeException down)
            {
                _log.LogError("{Failure}", down.Message);
                throw;
            }
            if (!stopRequested)
                throw;
            throw new ComposeException(
                $"stopped by a signal while compose was starting project '{compose.Project}'; what it had started was stopped with compose down and nothing is left running");
        }
    }

    /// <summary>Records a failure after launch (the supervised stack stopped) in the status file.</summary>
    public void RecordFailure(Exception failure)
    {
        try
        {
            Report($"failed: {failure.Message}", s => s with { Phase = "failed", Error = failure.Message });
        }
        catch (StateDirectoryException e)
        {
            _log.LogWarning("Cannot record the failure in the status file: {Problem}", e.Message);
        }
    }

    public void RecordStopped() => Report("stopped", s => s with { Phase = "stopped" });

    private void Report(string status, Func<LaunchStatus, LaunchStatus>? change = null)
    {
        _status = (change?.Invoke(_status) ?? _status) with { UpdatedAt = DateTimeOffset.UtcNow };
        if (change is not null && _state is not null)
            _status.Write(_state.StatusFile);
        notifier.Notify(new ServiceState($"STATUS={status}"));
    }
}
