using System.Security.Cryptography;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;
using TeeLauncher.Docker;
using TeeLauncher.Errors;
using TeeLauncher.Measurement;
using TeeLauncher.State;
using TeeLauncher.Values;

namespace TeeLauncher.Launch;

/// <summary>
/// Tells systemd (<c>STATUS=</c>) where the boot is at every step, and records in the status file what each step
/// decided, once the state directory is known (docs/spec.md §10).
/// </summary>
public sealed class StatusRecorder(string configPath, ISystemdNotifier notifier, ILogger logger, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private LaunchStatus _status = new()
    {
        // Every record stamps its own time.
        Phase = LaunchPhase.Starting, Config = configPath, LauncherVersion = LauncherVersion.Text, UpdatedAt = default,
    };
    private string? _statusFile;

    public void LoadingConfiguration() => Notify("loading configuration");

    /// <summary>From now on each step is also written to <paramref name="statusFile"/>.</summary>
    public void WritesTo(string statusFile) => _statusFile = statusFile;

    public void Chose(ChosenLaunch launch) => Record($"chose {launch.Selection.Digest}", s => s with
    {
        Digest = launch.Selection.Digest.ToString(), Rule = launch.Selection.RuleName, Reason = launch.Selection.Reason,
        ApprovedPosition = launch.Selection.ApprovedPosition, Project = launch.Inputs.Config.Compose.Project,
    });

    public void MeasurementReady(IMeasurementBackend backend) =>
        Record("measurement backend ready", s => s with { MeasurementBackend = backend.Name });

    public void Pulling(int images) => Notify($"pulling {images} image{(images == 1 ? "" : "s")}");

    public void PullProgress(string line) => Notify(line);

    /// <summary>The images compose is given and the file rendered with them, which is measured next.</summary>
    public void Pulled(IReadOnlyList<PullResult> pulled, string composeFile, byte[] rendered)
    {
        var main = pulled[0];
        Record("measuring", s => s with
        {
            Image = main.Image.Reference, PulledFrom = main.Source.Label, Pulled = main.Pulled, SkippedSources = [.. pulled.SelectMany(r => r.SkippedSources)],
            Images = [.. pulled.Select(r => new StatusImage(r.Image.Reference, r.Image.Digest.ToString(), r.Source.Label, r.Pulled))],
            ComposeFile = composeFile, ComposeSha256 = Convert.ToHexStringLower(SHA256.HashData(rendered)),
        });
    }

    public void Measured(IReadOnlyList<MeasuredEvent> measured) => Record("starting the stack", s => s with
    {
        Events = [.. measured.Select(m => new StatusEvent(m.Event.Name, Convert.ToHexStringLower(m.Event.Payload), m.DigestHex, m.ExtendedNow))],
    });

    public void StoppingStack() => Notify("stopping the stack");

    public void Running(PinnedImage image) => Record($"running {image}", s => s with { Phase = LaunchPhase.Running });

    public void Stopped() => Record("stopped", s => s with { Phase = LaunchPhase.Stopped });

    /// <summary>Records a failure, during the launch or after it (the supervised stack stopped); a status file that cannot be written is only logged.</summary>
    public void Failed(Exception failure)
    {
        try
        {
            Record($"failed: {failure.Message}", s => s with { Phase = LaunchPhase.Failed, Error = failure.Message });
        }
        catch (StateDirectoryException e)
        {
            logger.LogWarning("Cannot record the failure in the status file: {Problem}", e.Message);
        }
    }

    /// <summary>One sd_notify assignment: a newline in the text would start another (READY=1, MAINPID=...), so it is escaped.</summary>
    private void Notify(string line) => notifier.Notify(new ServiceState($"STATUS={SafeText.Escape(line)}"));

    private void Record(string line, Func<LaunchStatus, LaunchStatus> change)
    {
        _status = change(_status) with { UpdatedAt = _time.GetUtcNow() };
        if (_statusFile is not null)
            _status.Write(_statusFile);
        Notify(line);
    }
}
