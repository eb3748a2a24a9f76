using System.Text.Json;
using Microsoft.Extensions.Logging;
using TeeLauncher.Configuration;
using TeeLauncher.Errors;
using TeeLauncher.Registries;
using TeeLauncher.Values;

namespace TeeLauncher.Docker;

/// <summary>
/// Pulls the stack's images, each from its mirrors then its origin, up to <c>pull.concurrency</c> at once, with retries,
/// per-attempt timeouts and one deadline for the whole phase (docs/spec.md §6).
/// </summary>
public sealed class ImagePuller(
    IDockerRunner docker,
    PullSettings settings,
    RegistryCredentialStore credentials,
    string stateDir,
    ILogger logger,
    TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly SemaphoreSlim _archiveSlot = new(1);

    /// <summary>
    /// Pulls every image, in the order given as far as concurrency allows. The first failure stops the others; when
    /// several fail, the one earliest in the list is reported, so the measured image goes first.
    /// </summary>
    public async Task<IReadOnlyList<PullResult>> PullAllAsync(
        IReadOnlyList<PullRequest> requests, CancellationToken cancellationToken, Action<PinnedImage, PullProgress>? onProgress = null)
    {
        using var deadline = new CancellationTokenSource(settings.Deadline, _time);
        using var abort = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        using var slots = new SemaphoreSlim(Math.Max(1, settings.Concurrency));
        var pulls = new List<Task<PullResult>>();
        foreach (var request in requests)
            pulls.Add(PullInSlotAsync(request, slots, deadline, abort, onProgress));
        try
        {
            await Task.WhenAll(pulls);
        }
        catch (Exception) when (pulls.Any(p => p.IsFaulted || p.IsCanceled))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (pulls.FirstOrDefault(p => p.IsFaulted) is { Exception.InnerException: { } failure })
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
            var unfinished = requests[pulls.FindIndex(p => p.IsCanceled)].Image;
            throw new PullFailedException($"pull of {unfinished} did not finish within pull.deadline {Durations.Format(settings.Deadline)}");
        }
        return [.. pulls.Select(p => p.Result)];
    }

    private async Task<PullResult> PullInSlotAsync(
        PullRequest request, SemaphoreSlim slots, CancellationTokenSource deadline, CancellationTokenSource abort,
        Action<PinnedImage, PullProgress>? onProgress)
    {
        await slots.WaitAsync(abort.Token);
        try
        {
            return await PullAsync(request, deadline.Token, abort.Token, onProgress);
        }
        catch (LauncherException)
        {
            await abort.CancelAsync();
            throw;
        }
        finally
        {
            slots.Release();
        }
    }

    private async Task<PullResult> PullAsync(
        PullRequest request, CancellationToken deadline, CancellationToken cancellationToken, Action<PinnedImage, PullProgress>? onProgress)
    {
        var (image, sources) = request;
        if (settings.Policy != PullPolicy.Always)
        {
            foreach (var source in sources)
            {
                var pinned = source.Pin(image.Digest);
                if (await IsPresentAsync(pinned, cancellationToken))
                {
                    logger.LogInformation("Image {Image} is present locally; pull policy {Policy} skips the pull", pinned, settings.Policy);
                    return new PullResult(image, pinned, source, Pulled: false, []);
                }
            }
            if (settings.Policy == PullPolicy.Never)
                throw new PullRefusedException(
                    $"image {image} is not present locally and pull.policy is \"never\"; load the image or change the policy");
        }

        var skipped = new List<string>();
        string? lastFailure = null;
        try
        {
            for (var attempt = 1; attempt <= settings.Attempts; attempt++)
            {
                skipped.Clear();
                PullRefusedException? refusal = null;
                foreach (var source in sources)
                {
                    var pinned = source.Pin(image.Digest);
                    var outcome = source.Kind == PullSourceKind.Archive
                        ? await FromArchiveAsync(source, pinned, attempt, cancellationToken, onProgress)
                        : await PullOnceAsync(source, pinned, attempt, cancellationToken, onProgress);
                    if (outcome is null)
                        return new PullResult(image, pinned, source, Pulled: true, [.. skipped]);

                    var (failureClass, complaint) = outcome.Value;
                    lastFailure = $"{source.Label}: {complaint}";
                    if (source.Kind != PullSourceKind.Origin)
                        skipped.Add($"{source.Label} skipped for {image.Repository.Path}: {failureClass.Describe()}: {complaint}");
                    else if (failureClass.IsPermanent())
                        refusal = new PullRefusedException(RefusalMessage(source, image, failureClass, complaint, credentials.For(source.Host) is not null));
                }
                if (refusal is not null)
                    throw refusal;

                if (attempt < settings.Attempts)
                {
                    var wait = Backoff(attempt);
                    logger.LogWarning("Pull attempt {Attempt}/{Attempts} of {Image} failed; next attempt in {Wait}",
                        attempt, settings.Attempts, image, Durations.Format(wait));
                    await Task.Delay(wait, _time, cancellationToken);
                }
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            throw new PullFailedException(
                $"pull of {image} did not finish within pull.deadline {Durations.Format(settings.Deadline)}; last error: {lastFailure ?? "none"}");
        }

        throw new PullFailedException(
            $"pull of {image} failed after {settings.Attempts} attempt{(settings.Attempts == 1 ? "" : "s")}; last error: {lastFailure}");
    }

    /// <summary>One docker pull from one source: null on success, else the failure's class and docker's words.</summary>
    private async Task<(PullFailureClass, string)?> PullOnceAsync(
        PullSource source, PinnedImage pinned, int attempt, CancellationToken cancellationToken, Action<PinnedImage, PullProgress>? onProgress)
    {
        using var attemptTimeout = new CancellationTokenSource(settings.AttemptTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, attemptTimeout.Token);
        var progress = new PullProgress();

        DockerOutput output;
        try
        {
            await using var config = await CredentialsForAsync(source, cancellationToken);
            var arguments = config is null ? new List<string>() : ["--config", config.Path];
            arguments.AddRange(["pull", pinned.Reference]);
            output = await docker.RunAsync(arguments, linked.Token, line =>
            {
                if (progress.Observe(line))
                    onProgress?.Invoke(pinned, progress);
            });
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning("Pull attempt {Attempt} of {Image} from {Source} timed out after {Timeout}",
                attempt, pinned, source.Label, Durations.Format(settings.AttemptTimeout));
            return (PullFailureClass.Timeout, $"docker pull did not finish within pull.attempt_timeout {Durations.Format(settings.AttemptTimeout)}");
        }

        if (output.Succeeded)
        {
            await EnsureRepoDigestAsync(pinned, cancellationToken);
            logger.LogInformation("Pulled {Image} from {Source} in {Duration} ms (attempt {Attempt}, {Progress})",
                pinned, source.Label, (long)output.Duration.TotalMilliseconds, attempt, progress);
            return null;
        }

        var failureClass = PullFailure.Classify(output.Complaint);
        logger.LogWarning("Pull attempt {Attempt} of {Image} from {Source} failed after {Duration} ms ({Class}): {Complaint}",
            attempt, pinned, source.Label, (long)output.Duration.TotalMilliseconds, failureClass.Describe(), output.Complaint);
        return (failureClass, output.Complaint);
    }

    /// <summary>
    /// Serves the image from a local OCI archive (docs/spec.md §6.4): checks that it holds exactly the digest, pushes it
    /// into a loopback registry and pulls it from there like from any source. One archive is loaded at a time: they share the port.
    /// </summary>
    private async Task<(PullFailureClass, string)?> FromArchiveAsync(
        PullSource source, PinnedImage pinned, int attempt, CancellationToken cancellationToken, Action<PinnedImage, PullProgress>? onProgress)
    {
        await _archiveSlot.WaitAsync(cancellationToken);
        try
        {
            var archive = OciArchive.Open(source.Location);
            if (ArchiveContent.Resolve(archive, pinned.Digest) is not { } content)
                return (PullFailureClass.NotFound, $"the archive does not hold {pinned.Digest}");
            await using var registry = await ArchiveRegistry.StartAsync(settings.ArchivePort, stateDir, cancellationToken);
            await registry.PushAsync(archive, content, pinned.Repository.Path, cancellationToken);
            logger.LogInformation("Archive {Archive} holds {Digest} ({Blobs} blobs); pulling it from {Registry}",
                SafeText.Escape(source.Location), pinned.Digest, content.Blobs.Count, registry.Host);
            return await PullOnceAsync(source, pinned, attempt, cancellationToken, onProgress);
        }
        finally
        {
            _archiveSlot.Release();
        }
    }

    private async Task<DockerConfigDirectory?> CredentialsForAsync(PullSource source, CancellationToken cancellationToken) =>
        credentials.For(source.Host) is { } credential
            ? await DockerConfigDirectory.CreateAsync(stateDir, source.Reference.CredentialKey, credential, cancellationToken)
            : null;

    private async Task EnsureRepoDigestAsync(PinnedImage pinned, CancellationToken cancellationToken)
    {
        if (!await IsPresentAsync(pinned, cancellationToken))
            throw new PullRefusedException(
                $"docker pulled {pinned} but 'docker image inspect' does not list it among the image's RepoDigests; refusing to launch it");
    }

    /// <summary>True when docker lists <paramref name="pinned"/> among the local image's RepoDigests.</summary>
    private async Task<bool> IsPresentAsync(PinnedImage pinned, CancellationToken cancellationToken)
    {
        var output = await docker.RunAsync(["image", "inspect", "--format", "{{json .RepoDigests}}", pinned.Reference], cancellationToken);
        if (!output.Succeeded)
            return false;
        try
        {
            var repoDigests = JsonSerializer.Deserialize(output.StandardOutput, DockerJsonContext.Default.StringArray) ?? [];
            return repoDigests.Any(entry => IsRepoDigestOf(entry, pinned));
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static bool IsRepoDigestOf(string repoDigest, PinnedImage pinned) =>
        PinnedImage.TryParse(repoDigest, out var listed) && listed.Reference == pinned.Reference;

    private TimeSpan Backoff(int attempt)
    {
        var factor = Math.Pow(2, Math.Min(attempt - 1, 30));
        var wait = TimeSpan.FromMilliseconds(settings.BackoffInitial.TotalMilliseconds * factor);
        return wait < settings.BackoffMax ? wait : settings.BackoffMax;
    }

    private static string RefusalMessage(PullSource source, PinnedImage image, PullFailureClass failureClass, string complaint, bool hasCredentials) =>
        failureClass == PullFailureClass.NotFound
            ? $"{source.Host} does not have {image}: {complaint}; check the image reference and the digest"
            : hasCredentials
                ? $"{source.Host} refused the pull of {image}: {complaint}; check the credentials configured for {source.Host}"
                : $"{source.Host} refused the pull of {image}: {complaint}; credentials are missing: no [[registry]] credentials are configured for {source.Host}";
}
