using System.Text.Json;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;
using Polly.Timeout;
using TeeLauncher.Configuration;
using TeeLauncher.Errors;
using TeeLauncher.Registries;
using TeeLauncher.Values;

namespace TeeLauncher.Docker;

/// <summary>
/// Pulls the stack's images, each from its mirrors then its origin, up to <c>pull.concurrency</c> at once, with retries,
/// per-attempt timeouts and one deadline for the whole phase (docs/spec.md §6).
/// </summary>
public sealed class ImagePuller
{
    private readonly IDockerRunner _docker;
    private readonly PullSettings _settings;
    private readonly RegistryCredentialStore _credentials;
    private readonly string _stateDir;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _archiveSlot = new(1);
    private readonly ResiliencePipeline _deadline;
    private readonly ResiliencePipeline<Attempt> _retry;
    private readonly ResiliencePipeline _attemptTimeout;

    public ImagePuller(
        IDockerRunner docker, PullSettings settings, RegistryCredentialStore credentials, string stateDir, ILogger logger,
        TimeProvider? time = null)
    {
        (_docker, _settings, _credentials, _stateDir, _logger) = (docker, settings, credentials, stateDir, logger);
        var clock = time ?? TimeProvider.System;
        // Generators, not the Timeout and Delay properties: those are validated to at most a day, pull durations to 24 days.
        _deadline = new ResiliencePipelineBuilder { TimeProvider = clock }
            .AddTimeout(new TimeoutStrategyOptions { TimeoutGenerator = _ => ValueTask.FromResult(settings.Deadline) })
            .Build();
        _attemptTimeout = new ResiliencePipelineBuilder { TimeProvider = clock }
            .AddTimeout(new TimeoutStrategyOptions { TimeoutGenerator = _ => ValueTask.FromResult(settings.AttemptTimeout) })
            .Build();
        var retry = new ResiliencePipelineBuilder<Attempt> { TimeProvider = clock };
        // Polly refuses MaxRetryAttempts 0: one attempt is the pipeline without a retry.
        if (settings.Attempts > 1)
            retry.AddRetry(new RetryStrategyOptions<Attempt>
            {
                MaxRetryAttempts = settings.Attempts - 1,
                ShouldHandle = arguments => ValueTask.FromResult(arguments.Outcome.Result is { Pulled: null }),
                DelayGenerator = arguments => ValueTask.FromResult<TimeSpan?>(Backoff(arguments.AttemptNumber + 1)),
                OnRetry = arguments =>
                {
                    logger.LogWarning("Pull attempt {Attempt}/{Attempts} of {Image} failed; next attempt in {Wait}",
                        arguments.AttemptNumber + 1, settings.Attempts, arguments.Outcome.Result!.Image, Durations.Format(arguments.RetryDelay));
                    return default;
                },
            });
        _retry = retry.Build();
    }

    /// <summary>
    /// Pulls every image, in the order given as far as concurrency allows. The first failure stops the others; when
    /// several fail, the one earliest in the list is reported, so the measured image goes first. Unless the policy is
    /// <c>always</c>, one <c>docker image inspect</c> of every source's reference first finds what is present.
    /// No <c>docker pull</c> starts before <paramref name="mayPull"/> has succeeded (its failure is every pull's);
    /// the presence check does not wait for it.
    /// </summary>
    public async Task<IReadOnlyList<PullResult>> PullAllAsync(
        IReadOnlyList<PullRequest> requests, CancellationToken cancellationToken, Action<PinnedImage, PullProgress>? onProgress = null,
        Task? mayPull = null)
    {
        var pulls = requests.Select(request => new ImagePull(request)).ToList();
        var tasks = new List<Task<PullResult>>();
        try
        {
            return await _deadline.ExecuteAsync(async phase =>
            {
                using var abort = CancellationTokenSource.CreateLinkedTokenSource(phase);
                using var slots = new SemaphoreSlim(Math.Max(1, _settings.Concurrency));
                var present = _settings.Policy == PullPolicy.Always
                    ? new HashSet<string>()
                    : await PresentAsync([.. requests.SelectMany(r => r.Sources.Select(s => s.Pin(r.Image.Digest)))], phase);
                foreach (var pull in pulls)
                    tasks.Add(PullInSlotAsync(pull, present, mayPull ?? Task.CompletedTask, slots, abort, onProgress));
                return (IReadOnlyList<PullResult>)await Task.WhenAll(tasks);
            }, cancellationToken);
        }
        catch (Exception) when (cancellationToken.IsCancellationRequested)
        {
            cancellationToken.ThrowIfCancellationRequested();
            throw;
        }
        catch (TimeoutRejectedException)
        {
            var unfinished = Enumerable.Range(0, pulls.Count).Where(i => tasks[i].IsCanceled).Select(i => pulls[i]).ToList();
            throw new PullFailedException(DeadlineMessage(unfinished.FirstOrDefault(p => p.Attempting) ?? unfinished[0]));
        }
    }

    /// <summary>
    /// The deadline's message names the first image still unfinished in the list: one whose attempts had begun, with
    /// its last error, before one still waiting for its turn.
    /// </summary>
    private string DeadlineMessage(ImagePull pull)
    {
        var message = $"pull of {pull.Request.Image} did not finish within pull.deadline {Durations.Format(_settings.Deadline)}";
        return pull.Attempting ? $"{message}; last error: {pull.LastFailure ?? "none"}" : message;
    }

    private async Task<PullResult> PullInSlotAsync(
        ImagePull pull, IReadOnlySet<string> present, Task mayPull, SemaphoreSlim slots, CancellationTokenSource abort,
        Action<PinnedImage, PullProgress>? onProgress)
    {
        await slots.WaitAsync(abort.Token);
        try
        {
            return await PullAsync(pull, present, mayPull, abort.Token, onProgress);
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
        ImagePull pull, IReadOnlySet<string> present, Task mayPull, CancellationToken cancellationToken, Action<PinnedImage, PullProgress>? onProgress)
    {
        var (image, sources) = pull.Request;
        if (_settings.Policy != PullPolicy.Always)
        {
            foreach (var source in sources)
            {
                var pinned = source.Pin(image.Digest);
                if (present.Contains(pinned.Reference))
                {
                    _logger.LogInformation("Image {Image} is present locally; pull policy {Policy} skips the pull", pinned, _settings.Policy);
                    return new PullResult(image, pinned, source, Pulled: false, []);
                }
            }
            if (_settings.Policy == PullPolicy.Never)
                throw new PullRefusedException(
                    $"image {image} is not present locally and pull.policy is \"never\"; load the image or change the policy");
        }

        await mayPull.WaitAsync(cancellationToken);
        pull.Attempting = true;
        var attempt = 0;
        var last = await _retry.ExecuteAsync(
            async token => new Attempt(image, await AttemptAsync(pull, ++attempt, token, onProgress)), cancellationToken);
        return last.Pulled ?? throw new PullFailedException(
            $"pull of {image} failed after {_settings.Attempts} attempt{(_settings.Attempts == 1 ? "" : "s")}; last error: {pull.LastFailure}");
    }

    /// <summary>One attempt: each source in turn until one serves the image; null when none did and a retry may help.</summary>
    private async Task<PullResult?> AttemptAsync(
        ImagePull pull, int attempt, CancellationToken cancellationToken, Action<PinnedImage, PullProgress>? onProgress)
    {
        var (image, sources) = pull.Request;
        var skipped = new List<string>();
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
            pull.LastFailure = $"{source.Label}: {complaint}";
            if (source.Kind != PullSourceKind.Origin)
                skipped.Add($"{source.Label} skipped for {image.Repository.Path}: {failureClass.Describe()}: {complaint}");
            else if (failureClass.IsPermanent())
                refusal = new PullRefusedException(RefusalMessage(source, image, failureClass, complaint, _credentials.For(source.Host) is not null));
        }
        return refusal is null ? null : throw refusal;
    }

    /// <summary>One docker pull from one source: null on success, else the failure's class and docker's words.</summary>
    private async Task<(PullFailureClass, string)?> PullOnceAsync(
        PullSource source, PinnedImage pinned, int attempt, CancellationToken cancellationToken, Action<PinnedImage, PullProgress>? onProgress)
    {
        var progress = new PullProgress();

        DockerOutput output;
        try
        {
            output = await _attemptTimeout.ExecuteAsync(async attemptToken =>
            {
                await using var config = await CredentialsForAsync(source, cancellationToken);
                var arguments = config is null ? new List<string>() : ["--config", config.Path];
                arguments.AddRange(["pull", pinned.Reference]);
                return await _docker.RunAsync(arguments, attemptToken, line =>
                {
                    if (progress.Observe(line))
                        onProgress?.Invoke(pinned, progress);
                });
            }, cancellationToken);
        }
        catch (TimeoutRejectedException)
        {
            _logger.LogWarning("Pull attempt {Attempt} of {Image} from {Source} timed out after {Timeout}",
                attempt, pinned, source.Label, Durations.Format(_settings.AttemptTimeout));
            return (PullFailureClass.Timeout, $"docker pull did not finish within pull.attempt_timeout {Durations.Format(_settings.AttemptTimeout)}");
        }

        if (output.Succeeded)
        {
            await EnsureRepoDigestAsync(pinned, cancellationToken);
            _logger.LogInformation("Pulled {Image} from {Source} in {Duration} ms (attempt {Attempt}, {Progress})",
                pinned, source.Label, (long)output.Duration.TotalMilliseconds, attempt, progress);
            return null;
        }

        var failureClass = PullFailure.Classify(output.Complaint);
        _logger.LogWarning("Pull attempt {Attempt} of {Image} from {Source} failed after {Duration} ms ({Class}): {Complaint}",
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
            await using var registry = await ArchiveRegistry.StartAsync(_settings.ArchivePort, _stateDir, cancellationToken);
            await registry.PushAsync(archive, content, pinned.Repository.Path, cancellationToken);
            _logger.LogInformation("Archive {Archive} holds {Digest} ({Blobs} blobs); pulling it from {Registry}",
                SafeText.Escape(source.Location), pinned.Digest, content.Blobs.Count, registry.Host);
            return await PullOnceAsync(source, pinned, attempt, cancellationToken, onProgress);
        }
        finally
        {
            _archiveSlot.Release();
        }
    }

    private async Task<DockerConfigDirectory?> CredentialsForAsync(PullSource source, CancellationToken cancellationToken) =>
        _credentials.For(source.Host) is { } credential
            ? await DockerConfigDirectory.CreateAsync(_stateDir, source.Reference.CredentialKey, credential, cancellationToken)
            : null;

    private async Task EnsureRepoDigestAsync(PinnedImage pinned, CancellationToken cancellationToken)
    {
        if (!(await PresentAsync([pinned], cancellationToken)).Contains(pinned.Reference))
            throw new PullRefusedException(
                $"docker pulled {pinned} but 'docker image inspect' does not list it among the image's RepoDigests; refusing to launch it");
    }

    /// <summary>
    /// The references of <paramref name="pinned"/> that docker lists among their local image's RepoDigests, from one
    /// <c>docker image inspect</c>: it prints a line for each image it finds and fails for the others.
    /// </summary>
    private async Task<IReadOnlySet<string>> PresentAsync(IReadOnlyList<PinnedImage> pinned, CancellationToken cancellationToken)
    {
        var references = pinned.Select(p => p.Reference).Distinct().ToList();
        var wanted = references.ToHashSet(StringComparer.Ordinal);
        var output = await _docker.RunAsync(["image", "inspect", "--format", "{{json .RepoDigests}}", .. references], cancellationToken);
        var present = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in output.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            foreach (var entry in RepoDigests(line))
            {
                if (PinnedImage.TryParse(entry, out var listed) && wanted.Contains(listed.Reference))
                    present.Add(listed.Reference);
            }
        }
        return present;
    }

    private static string[] RepoDigests(string line)
    {
        try
        {
            return JsonSerializer.Deserialize(line, DockerJsonContext.Default.StringArray) ?? [];
        }
        catch (JsonException)
        {
            return [];
        }
    }

    private TimeSpan Backoff(int attempt)
    {
        var factor = Math.Pow(2, Math.Min(attempt - 1, 30));
        var wait = TimeSpan.FromMilliseconds(_settings.BackoffInitial.TotalMilliseconds * factor);
        return wait < _settings.BackoffMax ? wait : _settings.BackoffMax;
    }

    private static string RefusalMessage(PullSource source, PinnedImage image, PullFailureClass failureClass, string complaint, bool hasCredentials) =>
        failureClass == PullFailureClass.NotFound
            ? $"{source.Host} does not have {image}: {complaint}; check the image reference and the digest"
            : hasCredentials
                ? $"{source.Host} refused the pull of {image}: {complaint}; check the credentials configured for {source.Host}"
                : $"{source.Host} refused the pull of {image}: {complaint}; credentials are missing: no [[registry]] credentials are configured for {source.Host}";

    /// <summary>One image's pull as the deadline's message needs it: whether its attempts began, and their last error.</summary>
    private sealed class ImagePull(PullRequest request)
    {
        public PullRequest Request { get; } = request;
        public bool Attempting { get; set; }
        public string? LastFailure { get; set; }
    }

    /// <summary>What one attempt came to: the result, or null when a retry may help.</summary>
    private sealed record Attempt(PinnedImage Image, PullResult? Pulled);
}
