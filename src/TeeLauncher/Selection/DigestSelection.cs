using TeeLauncher.Values;
namespace TeeLauncher.Selection;

/// <summary>Which row of docs/spec.md §4's table chose the digest.</summary>
public enum SelectionRule
{
    /// <summary>No approved-hashes file is configured and an override is set.</summary>
    Override,
    /// <summary>The override is listed in the approved-hashes file.</summary>
    ApprovedOverride,
    /// <summary>The approved-hashes file is missing and the override equals the default digest.</summary>
    OverrideEqualsDefault,
    /// <summary>The first (newest) entry of the approved-hashes file.</summary>
    NewestApproved,
    /// <summary>No approved-hashes file is configured, or it is missing, and no override is set.</summary>
    Default,
}

/// <summary>The digest the launcher will run, and why.</summary>
public sealed record DigestSelection(ImageDigest Digest, SelectionRule Rule, int? ApprovedPosition, string? ApprovedHashesFile)
{
    public string Reason => Rule switch
    {
        SelectionRule.Override => "override_digest (no approved-hashes file configured)",
        SelectionRule.ApprovedOverride => $"override_digest, listed at position {ApprovedPosition} in {ApprovedHashesFile}",
        SelectionRule.OverrideEqualsDefault => $"override_digest equal to default_digest ({ApprovedHashesFile} does not exist)",
        SelectionRule.NewestApproved => $"newest approved digest (position 1 in {ApprovedHashesFile})",
        SelectionRule.Default when ApprovedHashesFile is null => "default_digest (no approved-hashes file configured)",
        _ => $"default_digest ({ApprovedHashesFile} does not exist)",
    };

    public string RuleName => Rule switch
    {
        SelectionRule.Override => "override",
        SelectionRule.ApprovedOverride => "approved-override",
        SelectionRule.OverrideEqualsDefault => "override-equals-default",
        SelectionRule.NewestApproved => "newest-approved",
        _ => "default",
    };
}
