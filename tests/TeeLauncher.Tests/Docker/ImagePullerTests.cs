using System.Collections.Concurrent;
using CliWrap;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using TeeLauncher.Configuration;
using TeeLauncher.Docker;
using TeeLauncher.Errors;
using TeeLauncher.Registries;
using TeeLauncher.Values;

namespace TeeLauncher.Tests.Docker;

/// <summary>The pull's retries, deadlines, mirror walk and concurrency, against a scripted docker and a fake clock.</summary>
public sealed class ImagePullerTests
{
    private static readonly ImageDigest Digest = ImageDigest.Parse("sha256:" + new string('a', 64));

    private readonly FakeTimeProvider _time = new();

    private static PullSettings Settings(int attempts = 3, int concurrency = 3, PullPolicy policy = PullPolicy.Always, int deadlineSeconds = 600) =>
        new(policy, attempts, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(deadlineSeconds), concurrency);

    private static PullRequest Request(string repository, params string[] mirrors)
    {
        var image = new PinnedImage(ImageReference.Parse(repository), Digest);
        var registries = mirrors.Length == 0 ? [] : new[] { new RegistrySettings(image.Repository.Domain, [.. mirrors.Select(Mirror)], null, null, null) };
        return new PullRequest(image, PullSource.For(image.Repository, registries));
    }

    /// <summary>"host[/prefix]" or "host[/prefix]=replaces", as the config writes a mirror.</summary>
    private static MirrorSettings Mirror(string text)
    {
        var (location, replaces) = text.Split('=') is [var l, var r] ? (l, r) : (text, "");
        var slash = location.IndexOf('/');
        return slash < 0 ? new(RegistryHost.Parse(location), "", replaces) : new(RegistryHost.Parse(location[..slash]), location[(slash + 1)..], replaces);
    }

    private ImagePuller Puller(ScriptedDocker docker, PullSettings settings) =>
        new(docker, settings, new RegistryCredentialStore(new Dictionary<RegistryHost, RegistryCredential>()), "/nonexistent", NullLogger.Instance, _time);

    /// <summary>Runs the pull, moving the fake clock on whenever the pull waits for it.</summary>
    private async Task<T> Run<T>(Func<Task<T>> pull)
    {
        var task = pull();
        while (!task.IsCompleted)
        {
            await Task.Delay(1);
            if (!task.IsCompleted)
                _time.Advance(TimeSpan.FromSeconds(1));
        }
        return await task;
    }

    [Fact]
    public async Task A_mirror_that_lacks_the_image_passes_to_the_origin()
    {
        var docker = new ScriptedDocker(reference => reference.StartsWith("mirror.test") ? ScriptedDocker.Fail("manifest unknown") : ScriptedDocker.Ok);
        var results = await Run(() => Puller(docker, Settings()).PullAllAsync([Request("origin.test/app", "mirror.test")], CancellationToken.None));
        results.Should().ContainSingle().Which.Should().Match<PullResult>(r => r.Source.Label == "origin origin.test" && r.Image.Reference == "origin.test/app@" + Digest);
        results[0].SkippedSources.Should().ContainSingle().Which.Should().StartWith("mirror mirror.test skipped for app: ");
        docker.Pulls.Should().Equal("mirror.test/app@" + Digest, "origin.test/app@" + Digest);
    }

    [Fact]
    public async Task A_mirror_with_a_path_prefix_is_asked_for_the_prefixed_path_and_its_reference_is_what_was_pulled()
    {
        var docker = new ScriptedDocker(reference => reference.StartsWith("cache.test/other") ? ScriptedDocker.Fail("manifest unknown") : ScriptedDocker.Ok);
        var results = await Run(() => Puller(docker, Settings()).PullAllAsync(
            [Request("docker.io/library/busybox", "cache.test/other", "harbor.test/dockerhub-proxy")], CancellationToken.None));
        docker.Pulls.Should().Equal("cache.test/other/library/busybox@" + Digest, "harbor.test/dockerhub-proxy/library/busybox@" + Digest);
        results[0].Image.Reference.Should().Be("harbor.test/dockerhub-proxy/library/busybox@" + Digest);
        results[0].Source.Label.Should().Be("mirror harbor.test/dockerhub-proxy");
        results[0].SkippedSources.Should().ContainSingle().Which.Should().StartWith("mirror cache.test/other skipped for library/busybox: ");
    }

    [Theory]
    [InlineData("docker.io/library/busybox", "hub.test/mirror=library", "hub.test/mirror/busybox")]
    [InlineData("docker.io/library/busybox", "hub.test=library", "hub.test/busybox")]
    [InlineData("docker.io/acme/tools/node", "hub.test/acme-proxy=acme", "hub.test/acme-proxy/tools/node")]
    [InlineData("docker.io/library/busybox", "hub.test/x/y", "hub.test/x/y/library/busybox")]
    public void A_mirror_replaces_the_leading_path_components_it_names(string image, string mirror, string expected)
    {
        PullSource.For(ImageReference.Parse(image), [new RegistrySettings(RegistryHost.Parse("docker.io"), [Mirror(mirror)], null, null, null)])
            .Select(s => s.Reference.Repository).Should().Equal(expected, image);
    }

    [Theory]
    [InlineData("docker.io/acme/node", "hub.test=library")]
    [InlineData("docker.io/library2/node", "hub.test=library")]
    [InlineData("origin.test/library", "hub.test=library")]
    public void A_mirror_that_replaces_a_path_the_image_is_not_under_is_not_a_source_for_it(string image, string mirror)
    {
        var reference = ImageReference.Parse(image);
        PullSource.For(reference, [new RegistrySettings(reference.Domain, [Mirror(mirror)], null, null, null)])
            .Should().ContainSingle().Which.Kind.Should().Be(PullSourceKind.Origin);
    }

    [Fact]
    public void A_prefix_that_makes_the_path_too_long_is_a_config_error_naming_the_mirror()
    {
        var image = ImageReference.Parse("origin.test/" + new string('a', 250));
        var act = () => PullSource.For(image, [new RegistrySettings(RegistryHost.Parse("origin.test"), [Mirror("cache.test/prefix")], null, null, null)]);
        act.Should().Throw<ConfigException>().Which.Message.Should().StartWith("registry[0].mirrors: mirror cache.test/prefix cannot serve origin.test/aaa")
            .And.Contain("at most 255");
    }

    [Fact]
    public async Task A_permanent_refusal_at_the_origin_is_exit_5_after_one_attempt_and_names_the_image()
    {
        var docker = new ScriptedDocker(_ => ScriptedDocker.Fail("unauthorized: authentication required"));
        var act = () => Run(() => Puller(docker, Settings()).PullAllAsync([Request("origin.test/app")], CancellationToken.None));
        (await act.Should().ThrowAsync<PullRefusedException>()).Which.Message.Should().Contain("origin.test/app@" + Digest);
        docker.Pulls.Should().HaveCount(1);
    }

    [Fact]
    public async Task A_transient_failure_is_retried_after_the_backoff()
    {
        var failures = 2;
        var docker = new ScriptedDocker(_ => Interlocked.Decrement(ref failures) >= 0 ? ScriptedDocker.Fail("dial tcp: connection refused") : ScriptedDocker.Ok);
        var start = _time.GetUtcNow();
        var results = await Run(() => Puller(docker, Settings()).PullAllAsync([Request("origin.test/app")], CancellationToken.None));
        results[0].Pulled.Should().BeTrue();
        docker.Pulls.Should().HaveCount(3);
        (_time.GetUtcNow() - start).Should().BeGreaterThanOrEqualTo(TimeSpan.FromSeconds(2 + 4));
    }

    [Fact]
    public async Task Transient_failures_until_the_attempts_run_out_are_exit_6()
    {
        var docker = new ScriptedDocker(_ => ScriptedDocker.Fail("toomanyrequests: slow down"));
        var act = () => Run(() => Puller(docker, Settings(attempts: 2)).PullAllAsync([Request("origin.test/app")], CancellationToken.None));
        (await act.Should().ThrowAsync<PullFailedException>()).Which.Message.Should().Contain("failed after 2 attempts").And.Contain("toomanyrequests");
    }

    [Fact]
    public async Task The_deadline_covers_the_whole_phase()
    {
        var docker = new ScriptedDocker(_ => ScriptedDocker.Fail("i/o timeout"));
        var act = () => Run(() => Puller(docker, Settings(attempts: 1000, deadlineSeconds: 20)).PullAllAsync([Request("origin.test/app")], CancellationToken.None));
        (await act.Should().ThrowAsync<PullFailedException>()).Which.Message.Should().Contain("origin.test/app@" + Digest + " did not finish within pull.deadline 20s");
    }

    [Fact]
    public async Task The_deadline_names_the_first_unfinished_image_the_one_pulling_before_the_one_waiting()
    {
        var docker = new ScriptedDocker(_ => null);
        var act = () => Run(() => Puller(docker, Settings(concurrency: 1, deadlineSeconds: 20))
            .PullAllAsync([Request("origin.test/first"), Request("origin.test/second")], CancellationToken.None));
        (await act.Should().ThrowAsync<PullFailedException>()).Which.Message.Should()
            .Be("pull of origin.test/first@" + Digest + " did not finish within pull.deadline 20s; last error: none");
        docker.Pulls.Should().Equal("origin.test/first@" + Digest);
    }

    [Fact]
    public async Task One_attempt_is_not_retried()
    {
        var docker = new ScriptedDocker(_ => ScriptedDocker.Fail("toomanyrequests: slow down"));
        var act = () => Run(() => Puller(docker, Settings(attempts: 1)).PullAllAsync([Request("origin.test/app")], CancellationToken.None));
        (await act.Should().ThrowAsync<PullFailedException>()).Which.Message.Should().Contain("failed after 1 attempt; last error: origin origin.test: ");
        docker.Pulls.Should().HaveCount(1);
    }

    [Fact]
    public async Task The_longest_durations_the_config_allows_are_accepted()
    {
        var longest = new PullSettings(PullPolicy.Always, 100, Durations.Max, Durations.Max, Durations.Max, Durations.Max, 1);
        var docker = new ScriptedDocker(_ => ScriptedDocker.Ok);
        var results = await Run(() => Puller(docker, longest).PullAllAsync([Request("origin.test/app")], CancellationToken.None));
        results[0].Pulled.Should().BeTrue();
    }

    [Fact]
    public async Task A_hanging_attempt_times_out_and_is_retried()
    {
        var calls = 0;
        var docker = new ScriptedDocker(_ => Interlocked.Increment(ref calls) == 1 ? null : ScriptedDocker.Ok);
        var results = await Run(() => Puller(docker, Settings()).PullAllAsync([Request("origin.test/app")], CancellationToken.None));
        results[0].Pulled.Should().BeTrue();
        calls.Should().Be(2);
    }

    [Fact]
    public async Task Images_are_pulled_concurrently_up_to_the_limit_the_measured_one_first()
    {
        var docker = new ScriptedDocker(_ => ScriptedDocker.Ok) { Hold = true };
        var requests = Enumerable.Range(0, 5).Select(i => Request($"origin.test/image{i}")).ToList();
        var pull = Puller(docker, Settings(concurrency: 2)).PullAllAsync(requests, CancellationToken.None);
        while (docker.Running < 2)
            await Task.Delay(1);
        docker.Release();
        var results = await pull;
        docker.MaxRunning.Should().Be(2);
        docker.Pulls[0].Should().Be("origin.test/image0@" + Digest);
        results.Select(r => r.Requested).Should().Equal(requests.Select(r => r.Image));
    }

    [Fact]
    public async Task When_several_images_fail_the_first_in_order_is_reported()
    {
        var docker = new ScriptedDocker(reference => reference.Contains("side") ? ScriptedDocker.Fail("connection refused") : ScriptedDocker.Fail("manifest unknown"));
        var act = () => Run(() => Puller(docker, Settings()).PullAllAsync([Request("origin.test/app"), Request("origin.test/side")], CancellationToken.None));
        (await act.Should().ThrowAsync<PullRefusedException>()).Which.Message.Should().Contain("origin.test/app@");
    }

    [Fact]
    public async Task A_missing_sidecar_is_exit_5_naming_it()
    {
        var docker = new ScriptedDocker(reference => reference.Contains("side") ? ScriptedDocker.Fail("manifest unknown: manifest unknown") : ScriptedDocker.Ok);
        var act = () => Run(() => Puller(docker, Settings()).PullAllAsync([Request("origin.test/app"), Request("other.test/side")], CancellationToken.None));
        (await act.Should().ThrowAsync<PullRefusedException>()).Which.Message.Should().StartWith("other.test does not have other.test/side@" + Digest);
    }

    [Fact]
    public async Task Policy_missing_skips_each_image_already_present()
    {
        var docker = new ScriptedDocker(_ => ScriptedDocker.Ok);
        docker.Present.Add("origin.test/app@" + Digest);
        var results = await Run(() => Puller(docker, Settings(policy: PullPolicy.Missing))
            .PullAllAsync([Request("origin.test/app"), Request("origin.test/side")], CancellationToken.None));
        results.Select(r => r.Pulled).Should().Equal(false, true);
        docker.Pulls.Should().Equal("origin.test/side@" + Digest);
    }

    [Fact]
    public async Task Policy_missing_finds_every_present_image_with_one_inspect()
    {
        var docker = new ScriptedDocker(_ => ScriptedDocker.Ok);
        docker.Present.Add("origin.test/app@" + Digest);
        docker.Present.Add("origin.test/side@" + Digest);
        var results = await Run(() => Puller(docker, Settings(policy: PullPolicy.Missing))
            .PullAllAsync([Request("origin.test/app", "mirror.test"), Request("origin.test/side")], CancellationToken.None));
        results.Select(r => r.Pulled).Should().Equal(false, false);
        results[0].Source.Label.Should().Be("origin origin.test", "the mirror lacks it, the origin's reference is present");
        docker.Inspects.Should().Equal($"mirror.test/app@{Digest} origin.test/app@{Digest} origin.test/side@{Digest}");
        docker.Pulls.Should().BeEmpty();
    }

    [Fact]
    public async Task No_pull_starts_before_its_gate_but_the_presence_check_does()
    {
        var docker = new ScriptedDocker(_ => ScriptedDocker.Ok);
        docker.Present.Add("origin.test/app@" + Digest);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var pull = Puller(docker, Settings(policy: PullPolicy.Missing))
            .PullAllAsync([Request("origin.test/app"), Request("origin.test/side")], CancellationToken.None, mayPull: gate.Task);

        await WaitForAsync(() => docker.Inspects.Count == 1);
        await Task.Delay(50);
        docker.Pulls.Should().BeEmpty("the gate is closed");
        gate.SetResult();
        var results = await pull;

        results.Select(r => r.Pulled).Should().Equal(false, true);
        docker.Pulls.Should().Equal("origin.test/side@" + Digest);
    }

    [Fact]
    public async Task A_failed_gate_is_every_pulls_failure_and_nothing_is_pulled()
    {
        var docker = new ScriptedDocker(_ => ScriptedDocker.Ok);
        var refused = new ConfigException([InputProblem.InFile("compose.yml", "compose refuses the rendered template")]);
        var act = () => Run(() => Puller(docker, Settings())
            .PullAllAsync([Request("origin.test/app"), Request("origin.test/side")], CancellationToken.None, mayPull: Task.FromException(refused)));
        (await act.Should().ThrowAsync<ConfigException>()).Which.Should().BeSameAs(refused);
        docker.Pulls.Should().BeEmpty();
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        for (var i = 0; i < 500 && !condition(); i++)
            await Task.Delay(10);
        condition().Should().BeTrue();
    }

    [Fact]
    public async Task Progress_is_reported_per_layer_event()
    {
        var docker = new ScriptedDocker(_ => ScriptedDocker.Ok)
        {
            Output = ["x: Pulling from app", "0123456789ab: Pulling fs layer", "ba9876543210: Already exists", "0123456789ab: Download complete", "0123456789ab: Pull complete", "Digest: " + Digest],
        };
        var seen = new List<string>();
        await Run(() => Puller(docker, Settings()).PullAllAsync([Request("origin.test/app")], CancellationToken.None, (image, progress) => seen.Add($"{image.Repository.Path} {progress}")));
        seen.Should().Equal("app 0/1 layers done, 0 downloaded", "app 1/2 layers done, 1 downloaded", "app 1/2 layers done, 2 downloaded", "app 2/2 layers done, 2 downloaded");
    }

    /// <summary>
    /// docker as the pull sees it: <c>pull</c> answers from a script (null: hang until cancelled); <c>image inspect</c>
    /// prints the RepoDigests of each reference pulled or <see cref="Present"/> and fails if any is not, as docker does.
    /// </summary>
    private sealed class ScriptedDocker(Func<string, DockerOutput?> pull) : IDockerRunner
    {
        public static readonly DockerOutput Ok = new(0, "", "", TimeSpan.Zero);

        private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _running;
        private int _maxRunning;

        public static DockerOutput Fail(string message) => new(1, "", "Error response from daemon: " + message, TimeSpan.Zero);

        public ConcurrentBag<string> Present { get; } = [];
        public List<string> Pulls { get; } = [];
        public ConcurrentQueue<string> Inspects { get; } = [];
        public IReadOnlyList<string> Output { get; init; } = [];
        public bool Hold { get; init; }
        public int Running => Volatile.Read(ref _running);
        public int MaxRunning => Volatile.Read(ref _maxRunning);

        public string Executable => "docker";

        public void Release() => _release.TrySetResult();

        public Task<DockerOutput> RunInAsync(
            string executable, IReadOnlyList<string> arguments, string workingDirectory, PipeSource standardInput,
            IReadOnlyDictionary<string, string?> environment, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("the pull runs no compose");

        public async Task<DockerOutput> RunAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken, Action<string>? onOutputLine = null)
        {
            var reference = arguments[^1];
            if (arguments.Take(4).SequenceEqual(["image", "inspect", "--format", "{{json .RepoDigests}}"]))
            {
                var references = arguments.Skip(4).ToArray();
                Inspects.Enqueue(string.Join(' ', references));
                var found = references.Where(Present.Contains).ToList();
                return new DockerOutput(found.Count == references.Length ? 0 : 1, string.Concat(found.Select(r => $"[\"{r}\"]\n")),
                    found.Count == references.Length ? "" : "Error response from daemon: No such image", TimeSpan.Zero);
            }
            lock (Pulls)
                Pulls.Add(reference);
            var running = Interlocked.Increment(ref _running);
            InterlockedMax(ref _maxRunning, running);
            try
            {
                if (Hold)
                    await _release.Task.WaitAsync(cancellationToken);
                var result = pull(reference);
                if (result is null)
                    await Task.Delay(Timeout.Infinite, cancellationToken);
                foreach (var line in Output)
                    onOutputLine?.Invoke(line);
                if (result!.Succeeded)
                    Present.Add(reference);
                return result;
            }
            finally
            {
                Interlocked.Decrement(ref _running);
            }
        }

        private static void InterlockedMax(ref int target, int value)
        {
            for (var current = Volatile.Read(ref target); value > current; current = Volatile.Read(ref target))
                if (Interlocked.CompareExchange(ref target, value, current) == current)
                    return;
        }
    }
}
