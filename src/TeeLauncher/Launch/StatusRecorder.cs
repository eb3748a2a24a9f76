using System.Security.Cryptography;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;
using TeeLauncher.Compose;
using TeeLauncher.Configuration;
using TeeLauncher.Docker;
using TeeLauncher.Errors;
using TeeLauncher.Measurement;
using TeeLauncher.Selection;
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
    private string? _running;
    private string? _lastLine;
    private readonly Lock _lock = new();

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

    public void Running(PinnedImage image)
    {
        _running = $"running {image}";
        Record(RunningLine(), s => s with { Phase = LaunchPhase.Running });
    }

    /// <summary>What docker says of each service's restarts since the launch; <c>STATUS=</c> says when one is restarting.</summary>
    public void Restarts(IReadOnlyList<ServiceRestarts> services) => RecordWhileRunning(s => s with
    {
        Services = [.. services.Select(r => new StatusService(r.Service, r.Restarts, r.LastExitCode, r.LastExitAt, r.Restarting))],
    });

    /// <summary>The running digest's approval as just checked; <paramref name="since"/> is when it came to this state.</summary>
    public void Approval(ApprovalVerdict verdict, UnapprovedPolicy policy, DateTimeOffset since) => RecordWhileRunning(s => s with
    {
        Approval = new StatusApproval(
            verdict.State.Spelling(), ConfigSpellings.Of(ConfigSpellings.UnapprovedPolicies, policy), verdict.Detail, since, _time.GetUtcNow(),
            verdict.Position, verdict.Newer?.ToString()),
    });

    /// <summary>
    /// A change reported by the supervision or the approval watch (two threads); a status file that cannot be written
    /// then is only logged: the stack runs on, and the journal has the news.
    /// </summary>
    private void RecordWhileRunning(Func<LaunchStatus, LaunchStatus> change)
    {
        lock (_lock)
        {
            try
            {
                _status = change(_status);
                Record(RunningLine(), s => s);
            }
            catch (StateDirectoryException e)
            {
                logger.LogWarning("Cannot record in the status file: {Problem}", e.Message);
            }
        }
    }

    /// <summary>The line <c>systemctl status</c> shows while the stack runs: restarts first, then the image and its approval.</summary>
    private string RunningLine()
    {
        var parts = new List<string>();
        var restarting = _status.Services.Where(s => s.Restarting).ToList();
        if (restarting.Count > 0)
            parts.Add($"restarting {string.Join(", ", restarting.Select(Restarted))}");
        parts.Add(_running ?? "starting the stack");
        parts.AddRange(_status.Services.Where(s => !s.Restarting && s.Restarts > 0).Select(Restarted));
        if (_status.Approval is { } approval && ApprovalNote(approval) is { } note)
            parts.Add(note);
        return SafeText.Escape(string.Join("; ", parts));
    }

    private static string? ApprovalNote(StatusApproval approval) => approval.State switch
    {
        "unapproved" => $"the image is no longer approved since {approval.Since:u} (on_unapproved = {approval.Policy})",
        "unreadable" => $"the approved list cannot be read since {approval.Since:u}: approval unknown",
        _ when approval.NewerDigest is not null => "a newer image is approved; it runs after the next boot",
        _ => null,
    };

    private static string Restarted(StatusService service) =>
        $"{service.Name} ({service.Restarts} restart{(service.Restarts == 1 ? "" : "s")} since launch" +
        (service.LastExitCode is { } code ? $", last exit {code} at {service.LastExitAt:u})" : ")");

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

    /// <summary>Tells systemd the line unless it is the one it was told last (a periodic check changes nothing); escaped, since a newline would start another assignment (READY=1, MAINPID=...).</summary>
    private void Notify(string line)
    {
        if (line == _lastLine)
            return;
        _lastLine = line;
        notifier.Notify(new ServiceState($"STATUS={SafeText.Escape(line)}"));
    }

    private void Record(string line, Func<LaunchStatus, LaunchStatus> change)
    {
        lock (_lock)
        {
            _status = change(_status) with { UpdatedAt = _time.GetUtcNow() };
            if (_statusFile is not null)
                _status.Write(_statusFile);
            Notify(line);
        }
    }
}
