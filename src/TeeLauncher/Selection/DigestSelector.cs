using TeeLauncher.Configuration;
using TeeLauncher.Errors;
using TeeLauncher.Files;
using TeeLauncher.Values;

namespace TeeLauncher.Selection;

/// <summary>Chooses exactly one digest: override, else newest approved, else default (docs/spec.md §4).</summary>
public static class DigestSelector
{
    public static DigestSelection Select(ImageSettings image, ConfigLocations locations)
    {
        var file = image.ApprovedHashesFile;
        var overrideDigest = image.OverrideDigest;

        if (file is null)
            return overrideDigest is not null
                ? new DigestSelection(overrideDigest, SelectionRule.Override, null, null)
                : new DigestSelection(RequireDefault(image, locations, "no approved_hashes_file and no override_digest are configured"), SelectionRule.Default, null, null);

        if (!InputFile.Exists(file))
        {
            if (overrideDigest is null)
                return new DigestSelection(RequireDefault(image, locations, $"the approved-hashes file {file} does not exist"), SelectionRule.Default, null, file);
            if (overrideDigest == image.DefaultDigest)
                return new DigestSelection(overrideDigest, SelectionRule.OverrideEqualsDefault, null, file);
            throw new DigestRefusedException(
                $"override_digest {overrideDigest} is refused: the approved-hashes file {file} does not exist and the override is not the default_digest");
        }

        var approved = ApprovedHashes.Load(file);
        if (overrideDigest is null)
            return new DigestSelection(approved.Newest, SelectionRule.NewestApproved, 1, file);
        return approved.PositionOf(overrideDigest) is { } position
            ? new DigestSelection(overrideDigest, SelectionRule.ApprovedOverride, position, file)
            : throw new DigestRefusedException(
                $"override_digest {overrideDigest} is refused: it is not listed in {file} ({approved.Digests.Count} approved digest{(approved.Digests.Count == 1 ? "" : "s")})");
    }

    private static ImageDigest RequireDefault(ImageSettings image, ConfigLocations locations, string because) =>
        image.DefaultDigest ?? throw new ConfigException(locations.Problem("image.reference",
            $"image.default_digest is needed because {because}; set it to \"sha256:<64 hex>\""));
}
