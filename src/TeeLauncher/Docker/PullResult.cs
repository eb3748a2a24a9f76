namespace TeeLauncher.Docker;

/// <summary>What the pull phase did: the source that served the image and why others were passed over.</summary>
public sealed record PullResult(PullSource Source, string PinnedReference, bool Pulled, IReadOnlyList<string> SkippedSources);
