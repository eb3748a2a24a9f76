using System.Net;
using System.Net.Http.Headers;
using System.Text;
using CliWrap;
using TeeLauncher.Errors;
using TeeLauncher.Files;
using TeeLauncher.Values;

namespace TeeLauncher.Docker;

/// <summary>
/// A throwaway docker-registry on loopback that an archive's content is pushed to, so that docker pulls it by digest and
/// records the repo digest as after any pull (docker 20.10's <c>docker load</c> records none). It lives for one image's
/// load; its storage, under the state directory, is removed with it (docs/spec.md §6.4).
/// </summary>
public sealed class ArchiveRegistry : IAsyncDisposable
{
    public const string Executable = "docker-registry";

    private readonly CancellationTokenSource _stop = new();
    private readonly StringBuilder _log = new();
    private readonly string _storage;
    private readonly HttpClient _http;
    private CommandTask<CommandResult>? _process;

    private ArchiveRegistry(string host, string storage)
    {
        Host = host;
        _storage = storage;
        _http = new HttpClient { BaseAddress = new Uri($"http://{host}/"), Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <summary>127.0.0.1:port, the host of the references pulled from it.</summary>
    public string Host { get; }

    public static async Task<ArchiveRegistry> StartAsync(int port, string stateDir, CancellationToken cancellationToken)
    {
        var storage = Path.Combine(stateDir, "archive-registry");
        if (Directory.Exists(storage))
            Directory.Delete(storage, recursive: true);
        OutputFile.CreateOwnDirectory(storage);
        var registry = new ArchiveRegistry($"127.0.0.1:{port}", storage);
        var config = Path.Combine(storage, "config.yml");
        OutputFile.CreateNew(config, Encoding.UTF8.GetBytes($"""
            version: 0.1
            log:
              level: error
            storage:
              filesystem:
                rootdirectory: {Path.Combine(storage, "data")}
            http:
              addr: {registry.Host}
            """));
        try
        {
            registry._process = CliWrap.Cli.Wrap(Executable).WithArguments(["serve", config])
                .WithValidation(CommandResultValidation.None)
                .WithStandardOutputPipe(PipeTarget.ToStringBuilder(registry._log))
                .WithStandardErrorPipe(PipeTarget.ToStringBuilder(registry._log))
                .ExecuteAsync(registry._stop.Token);
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            await registry.DisposeAsync();
            throw NotInstalled(e);
        }
        await registry.WaitUntilAnsweringAsync(cancellationToken);
        return registry;
    }

    /// <summary>Pushes the blobs, then the manifests by digest, into <paramref name="path"/>; the registry checks every digest.</summary>
    public async Task PushAsync(OciArchive archive, ArchiveContent content, string path, CancellationToken cancellationToken)
    {
        foreach (var blob in content.Blobs)
        {
            var digest = archive.Digest(blob);
            using var started = await _http.PostAsync($"v2/{path}/blobs/uploads/", null, cancellationToken);
            var location = started.StatusCode == HttpStatusCode.Accepted && started.Headers.Location is { } l
                ? new Uri(_http.BaseAddress!, l)
                : throw await RefusedAsync(archive, $"blob {digest}", started);
            var put = new UriBuilder(location);
            put.Query = (put.Query.Length > 1 ? put.Query[1..] + "&" : "") + $"digest={Uri.EscapeDataString(digest.ToString())}";
            await archive.WithBlobAsync(digest, async data =>
            {
                using var body = new StreamContent(data);
                body.Headers.ContentLength = blob.Size;
                body.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
                using var done = await _http.PutAsync(put.Uri, body, cancellationToken);
                if (done.StatusCode != HttpStatusCode.Created)
                    throw await RefusedAsync(archive, $"blob {digest}", done);
            });
        }
        foreach (var manifest in content.Manifests)
        {
            using var body = new ByteArrayContent(manifest.Bytes);
            body.Headers.ContentType = new MediaTypeHeaderValue(manifest.MediaType);
            using var done = await _http.PutAsync($"v2/{path}/manifests/{manifest.Digest}", body, cancellationToken);
            if (done.StatusCode != HttpStatusCode.Created)
                throw await RefusedAsync(archive, $"manifest {manifest.Digest}", done);
        }
    }

    private static PullRefusedException NotInstalled(Exception e) =>
        new($"cannot start {Executable} to serve an image archive ({SafeText.Escape(e.Message)}); install Debian's docker-registry package");

    private static async Task<ArchiveException> RefusedAsync(OciArchive archive, string what, HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        var said = SafeText.Escape(body.Length <= 300 ? body.Trim() : body[..300]);
        return new ArchiveException(archive.Path, $"{what} was refused by the loopback registry ({(int)response.StatusCode}): {said}");
    }

    private async Task WaitUntilAnsweringAsync(CancellationToken cancellationToken)
    {
        for (var i = 0; i < 100; i++)
        {
            if (_process!.Task.IsCompleted)
                break;
            try
            {
                using var answer = await _http.GetAsync("v2/", cancellationToken);
                if (answer.IsSuccessStatusCode)
                    return;
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(100, cancellationToken);
        }
        if (_process!.Task is { IsFaulted: true, Exception.InnerException: { } failure })
        {
            await DisposeAsync();
            throw NotInstalled(failure);
        }
        var said = SafeText.Escape(string.Join(" ", _log.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).TakeLast(3)));
        await DisposeAsync();
        throw new PullFailedException($"{Executable} did not start on {Host} to serve an image archive: {said}; free the port or set pull.archive_port");
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_process is not null)
        {
            try
            {
                await _process;
            }
            catch (Exception e) when (e is OperationCanceledException or System.ComponentModel.Win32Exception or InvalidOperationException)
            {
            }
        }
        _http.Dispose();
        _stop.Dispose();
        if (Directory.Exists(_storage))
            Directory.Delete(_storage, recursive: true);
    }
}
