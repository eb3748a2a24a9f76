using TeeLauncher.Values;
namespace TeeLauncher.Docker;

/// <summary>One image to pull and the sources to try for it, mirrors first.</summary>
public sealed record PullRequest(PinnedImage Image, IReadOnlyList<PullSource> Sources);

/// <summary>What the pull did for one image: the reference it was pulled as, the source that served it, why others were passed over.</summary>
public sealed record PullResult(PinnedImage Requested, PinnedImage Image, PullSource Source, bool Pulled, IReadOnlyList<string> SkippedSources);
