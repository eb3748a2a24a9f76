using Microsoft.Extensions.Logging;
using TeeLauncher.Configuration;
using TeeLauncher.Errors;
using TeeLauncher.Selection;
using TeeLauncher.Values;

namespace TeeLauncher.Launch;

/// <summary>
/// While the stack runs, keeps judging the running digest against the approved list and acts by
/// <c>image.on_unapproved</c> (docs/spec.md §4.1): the journal and <c>status</c> hear each change of verdict; "stop"
/// ends the supervision with <see cref="ImageUnapprovedException"/>. Nothing is measured again.
/// </summary>
public sealed class ApprovalGuard(ImageSettings image, string file, ImageDigest running, StatusRecorder status, ILogger logger, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private ApprovalVerdict? _last;
    private DateTimeOffset _since;

    public Task WatchAsync(CancellationToken cancellationToken) =>
        new ApprovalWatch(file, () => ApprovalCheck.Judge(image, file, running), image.ApprovalCheckInterval, logger, _time)
            .WatchAsync(Judged, cancellationToken);

    private void Judged(ApprovalVerdict verdict)
    {
        var detail = SafeText.Escape(verdict.Detail);
        if (verdict != _last)
        {
            if (verdict.State != _last?.State)
                _since = _time.GetUtcNow();
            Log(verdict, detail);
        }
        _last = verdict;
        status.Approval(verdict, image.OnUnapproved, _since);
        if (verdict.State == ApprovalState.Unapproved && image.OnUnapproved == UnapprovedPolicy.Stop)
            throw new ImageUnapprovedException(
                $"the running image {running} is no longer approved: {detail}; the stack is stopped (image.on_unapproved = \"stop\"); " +
                "it was measured for this boot, so reboot to run an approved image");
    }

    private void Log(ApprovalVerdict verdict, string detail)
    {
        switch (verdict.State)
        {
            case ApprovalState.Unapproved:
                logger.LogError("The running image {Digest} is no longer approved: {Detail}; on_unapproved = {Policy}", running, detail,
                    ConfigSpellings.Of(ConfigSpellings.UnapprovedPolicies, image.OnUnapproved));
                break;
            case ApprovalState.Unreadable:
                logger.LogWarning("The approved list cannot be read, so the running image's approval is unknown; the stack keeps running: {Detail}", detail);
                break;
            default:
                logger.LogInformation("The running image {Digest} is approved: {Detail}", running, detail);
                break;
        }
    }
}
