using TeeLauncher.Configuration;
using TeeLauncher.Errors;
using TeeLauncher.Files;
using TeeLauncher.Values;

namespace TeeLauncher.Selection;

/// <summary>What the approved list says of the running digest now (docs/spec.md §4.1).</summary>
public enum ApprovalState
{
    /// <summary>Listed, or (the file missing) the default digest, as at boot.</summary>
    Approved,
    /// <summary>A boot now would refuse the running digest: it is not listed, or the file is gone and it is not the default.</summary>
    Unapproved,
    /// <summary>The file cannot be read or is malformed: the running digest's approval is unknown.</summary>
    Unreadable,
}

/// <param name="Detail">One line for the log and <c>status</c>; it may quote the file, so it is escaped before it is shown.</param>
/// <param name="Newer">The newest approved digest when it is not the running one and no override is set: it runs after the next boot.</param>
public sealed record ApprovalVerdict(ApprovalState State, string Detail, int? Position = null, ImageDigest? Newer = null);

/// <summary>Re-reads the approved list with the boot's reader and rules (docs/spec.md §4) and judges the running digest.</summary>
public static class ApprovalCheck
{
    public static ApprovalVerdict Judge(ImageSettings image, string file, ImageDigest running)
    {
        if (!InputFile.Exists(file))
            return running == image.DefaultDigest
                ? new ApprovalVerdict(ApprovalState.Approved, $"{file} does not exist; the running digest is default_digest, which a boot without the file runs")
                : new ApprovalVerdict(ApprovalState.Unapproved, $"{file} does not exist and the running digest is not default_digest");

        ApprovedHashes approved;
        try
        {
            approved = ApprovedHashes.Load(file);
        }
        catch (DigestRefusedException e)
        {
            return new ApprovalVerdict(ApprovalState.Unreadable, e.Message);
        }

        if (approved.PositionOf(running) is not { } position)
            return new ApprovalVerdict(ApprovalState.Unapproved,
                $"{running} is no longer listed in {file} ({approved.Digests.Count} approved digest{(approved.Digests.Count == 1 ? "" : "s")})");
        // With an override the next boot runs the override again: a newer entry changes nothing for this machine.
        if (position == 1 || image.OverrideDigest is not null)
            return new ApprovalVerdict(ApprovalState.Approved, $"listed at position {position} in {file}", position);
        return new ApprovalVerdict(ApprovalState.Approved,
            $"listed at position {position} in {file}; a newer image is approved ({approved.Newest}); it runs after the next boot", position, approved.Newest);
    }

    public static string Spelling(this ApprovalState state) => state switch
    {
        ApprovalState.Approved => "approved",
        ApprovalState.Unapproved => "unapproved",
        _ => "unreadable",
    };
}
