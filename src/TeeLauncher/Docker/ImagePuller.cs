using System.Text.Json;
using Microsoft.Extensions.Logging;
using TeeLauncher.Configuration;
using TeeLauncher.Errors;
using TeeLauncher.Registries;
using TeeLauncher.Selection;

namespace TeeLauncher.Docker;

/// <summary>Pulls <c>repository@sha256:digest</c> from mirrors then origin, with retries and deadlines (SPEC 6).</summary>
public sealed class ImagePuller(
    DockerCli docker,
    PullSettings settings,
    RegistryCredentialStore credentials,
    string stateDir,
    ILogger logger,
    TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public async Task<PullResult> PullAsync(IReadOnlyList<PullSource> sources, ImageDigest digest, CancellationToken cancellationToken)
    {
        if (settings.Policy != PullPolicy.Always)
        {
            foreach (var source in sources)
            {
                var pinned = source.Reference.Pinned(digest);
                if (await IsPresentAsync(source, pinned, digest, cancellationToken))
                {
                    logger.LogInformation("Image {Image} is present locally; pull policy {Policy} skips the pull", pinned, settings.Policy);
                    return new PullResult(source, pinned, Pulled: false, []);
                }
            }
            if (settings.Policy == PullPolicy.Never)
                throw new PullRefusedException(
                    $"image {sources[^1].Reference.Pinned(digest)} is not present locally and pull.policy is \"never\"; load the image or change the policy");
        }

        using var deadline = new CancellationTokenSource(settings.Deadline, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        var skipped = new List<string>();
        string? lastFailure = null;
        try
        {
            for (var attempt = 1; attempt <= settings.Attempts; attempt++)
            {
                skipped.Clear();
                foreach (var source in sources)
                {
                    var outcome = await PullOnceAsync(source, digest, attempt, linked.Token);
                    if (outcome is null)
                        return new PullResult(source, source.Reference.Pinned(digest), Pulled: true, [.. skipped]);

                    var (failureClass, complaint) = outcome.Value;
                    lastFailure = $"{source.Label}: {complaint}";
                    if (source.IsMirror)
                    {
                        skipped.Add($"{source.Label} skipped: {failureClass.Describe()}: {complaint}");
                        continue;
                    }
                    if (failureClass.IsPermanent())
                        throw new PullRefusedException(Refusal(source, digest, failureClass, complaint, credentials.For(source.Host) is not null));
                }

                if (attempt < settings.Attempts)
                {
                    var wait = Backoff(attempt);
                    logger.LogWarning("Pull attempt {Attempt}/{Attempts} failed; next attempt in {Wait}", attempt, settings.Attempts, Durations.Format(wait));
                    await Task.Delay(wait, _time, linked.Token);
                }
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new PullFailedException(
                $"pull of {digest} did not finish within pull.deadline {Durations.Format(settings.Deadline)}; last error: {lastFailure ?? "none"}");
        }

        throw new PullFailedException(
            $"pull of {digest} failed after {settings.Attempts} attempt{(settings.Attempts == 1 ? "" : "s")}; last error: {lastFailure}");
    }

    /// <summary>One docker pull from one source: null on success, else the failure's class and docker's words.</summary>
    private async Task<(PullFailureClass, string)?> PullOnceAsync(PullSource source, ImageDigest digest, int attempt, CancellationToken cancellationToken)
    {
        var pinned = source.Reference.Pinned(digest);
        using var attemptTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        attemptTimeout.CancelAfter(settings.AttemptTimeout);

        DockerOutput output;
        try
        {
            await using var config = await CredentialsForAsync(source, cancellationToken);
            var arguments = config is null ? new List<string>() : ["--config", config.Path];
            arguments.AddRange(["pull", "--quiet", pinned]);
            output = await docker.RunAsync(arguments, attemptTimeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning("Pull attempt {Attempt} from {Source} timed out after {Timeout}", attempt, source.Label, Durations.Format(settings.AttemptTimeout));
            return (PullFailureClass.Timeout, $"docker pull did not finish within pull.attempt_timeout {Durations.Format(settings.AttemptTimeout)}");
        }

        if (output.Succeeded)
        {
            await EnsureRepoDigestAsync(source, pinned, digest, cancellationToken);
            logger.LogInformation("Pulled {Image} from {Source} in {Duration} ms (attempt {Attempt})",
                pinned, source.Label, (long)output.Duration.TotalMilliseconds, attempt);
            return null;
        }

        var failureClass = PullFailure.Classify(output.Complaint);
        logger.LogWarning("Pull attempt {Attempt} from {Source} failed after {Duration} ms ({Class}): {Complaint}",
            attempt, source.Label, (long)output.Duration.TotalMilliseconds, failureClass.Describe(), output.Complaint);
        return (failureClass, output.Complaint);
    }

    private async Task<DockerConfigDirectory?> CredentialsForAsync(PullSource source, CancellationToken cancellationToken) =>
        credentials.For(source.Host) is { } credential
            ? await DockerConfigDirectory.CreateAsync(stateDir, source.Reference.CredentialKey, credential, cancellationToken)
            : null;

    private async Task EnsureRepoDigestAsync(PullSource source, string pinned, ImageDigest digest, CancellationToken cancellationToken)
    {
        if (!await IsPresentAsync(source, pinned, digest, cancellationToken))
            throw new PullRefusedException(
                $"docker pulled {pinned} but 'docker image inspect' does not list it among the image's RepoDigests; refusing to launch it");
    }

    /// <summary>True when docker lists <paramref name="pinned"/> among the local image's RepoDigests.</summary>
    private async Task<bool> IsPresentAsync(PullSource source, string pinned, ImageDigest digest, CancellationToken cancellationToken)
    {
        var output = await docker.RunAsync(["image", "inspect", "--format", "{{json .RepoDigests}}", pinned], cancellationToken);
        if (!output.Succeeded)
            return false;
        try
        {
            var repoDigests = JsonSerializer.Deserialize(output.StandardOutput, DockerJsonContext.Default.StringArray) ?? [];
            return repoDigests.Any(entry => Names(entry, source.Reference, digest));
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static bool Names(string repoDigest, ImageReference reference, ImageDigest digest)
    {
        var at = repoDigest.IndexOf('@');
        if (at < 0 || repoDigest[(at + 1)..] != digest.ToString())
            return false;
        try
        {
            return ImageReference.Parse(repoDigest[..at]).Repository == reference.Repository;
        }
        catch (ImageReferenceException)
        {
            return false;
        }
    }

    private TimeSpan Backoff(int attempt)
    {
        var factor = Math.Pow(2, Math.Min(attempt - 1, 30));
        var wait = TimeSpan.FromMilliseconds(settings.BackoffInitial.TotalMilliseconds * factor);
        return wait < settings.BackoffMax ? wait : settings.BackoffMax;
    }

    private static string Refusal(PullSource source, ImageDigest digest, PullFailureClass failureClass, string complaint, bool hasCredentials) =>
        failureClass == PullFailureClass.NotFound
            ? $"{source.Host} does not have {source.Reference.Repository}@{digest}: {complaint}; check image.reference and the digest"
            : hasCredentials
                ? $"{source.Host} refused the pull of {source.Reference.Repository}@{digest}: {complaint}; check the credentials configured for {source.Host}"
                : $"{source.Host} refused the pull of {source.Reference.Repository}@{digest}: {complaint}; credentials are missing: no [[registry]] credentials are configured for {source.Host}";
}
