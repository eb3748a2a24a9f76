using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using TeeLauncher.Configuration;
using TeeLauncher.Errors;
using TeeLauncher.Events;
using TeeLauncher.Values;

namespace TeeLauncher.Measurement;

/// <summary>
/// Extends what dstack extends, on every release (docs/spec.md §5.2): through the guest agent's <c>POST /EmitEvent</c> where
/// it has one (up to 0.5.11, version-1 digests), else through dstack's own runtime-event protocol
/// (<see cref="DstackRuntimeEvents"/>), so that dstack's log, GetQuote and verifier keep replaying to its registers.
/// </summary>
public sealed class DstackBackend : IMeasurementBackend
{
    /// <summary>
    /// A body no agent can decode as <c>EmitEventArgs</c> (a JSON string, not an object; never empty, which decodes as
    /// default arguments): an agent with the method refuses it before emitting anything, one without it refuses the method.
    /// </summary>
    private const string ProbeBody = "\"tee-launcher: does this agent have EmitEvent?\"";

    /// <summary>
    /// What every agent without the method answers, HTTP 400 (ra-rpc <c>dispatch_prpc</c> and <c>encode_error</c> for a JSON
    /// request, the message of prpc's dispatcher for an unknown method).
    /// </summary>
    private const string NoEmitEvent = "Service not found: EmitEvent";

    /// <summary>The agent answers a few hundred bytes; more is read no further.</summary>
    private const int AnswerMaxBytes = 64 * 1024;

    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);

    private readonly string _socketPath;
    private readonly DstackRuntimeEvents _protocol;
    private bool? _hasEmitEvent;
    private EventVersion _eventVersion = EventVersion.V1;

    public DstackBackend(string socketPath, string eventDirectory, string rtmrPath, DstackPlatformKind platform, string tpmTcti)
    {
        _socketPath = socketPath;
        Platform = platform;
        _protocol = new DstackRuntimeEvents(eventDirectory, new RtmrAttribute(rtmrPath), platform, new Tpm2Tools(tpmTcti));
    }

    public string Name => "dstack";

    public int RegisterIndex => 3;

    public EventVersion EventVersion => _eventVersion;

    /// <summary>The variant measured for (auto is resolved when <see cref="EnsureAvailableAsync"/> runs).</summary>
    public DstackPlatformKind Platform { get; private set; }

    /// <summary>Which path <see cref="ExtendAsync"/> takes; known once <see cref="EnsureAvailableAsync"/> ran.</summary>
    public bool UsesEmitEvent => _hasEmitEvent ?? throw new InvalidOperationException("EnsureAvailableAsync must run first");

    public async Task EnsureAvailableAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(_socketPath))
            throw new MeasurementException($"dstack socket {_socketPath} does not exist: is the dstack guest agent running and the socket mounted? (measurement.dstack_socket)");
        using (var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            try
            {
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(_socketPath), cancellationToken);
            }
            catch (SocketException e)
            {
                throw new MeasurementException($"dstack socket {_socketPath} does not accept connections: {e.Message}");
            }
        }

        var (status, body) = await PostEmitEventAsync(ProbeBody, "the EmitEvent probe", cancellationToken);
        _hasEmitEvent = (status, ErrorOf(body)) switch
        {
            (HttpStatusCode.BadRequest, NoEmitEvent) => false,
            (HttpStatusCode.BadRequest, not null) => true,
            (HttpStatusCode.OK, _) => throw new MeasurementException(
                $"{_socketPath} accepted a body that holds no EmitEvent arguments: it does not answer as dstack's guest agent does (measurement.dstack_socket)"),
            _ => throw new MeasurementException(
                $"dstack at {_socketPath} answered the EmitEvent probe with HTTP {(int)status}{Detail(body)}, not as dstack's guest agent answers (HTTP 400 with a JSON error)"),
        };
        if (_hasEmitEvent.Value)
            return;
        Platform = DstackPlatform.Resolve(Platform);
        _eventVersion = await _protocol.EnsureUsableAsync(cancellationToken);
    }

    public async Task ExtendAsync(RuntimeEvent runtimeEvent, Action commit, CancellationToken cancellationToken)
    {
        if (!UsesEmitEvent)
        {
            await _protocol.EmitAsync(runtimeEvent, commit, cancellationToken);
            return;
        }
        commit();
        var (status, body) = await PostEmitEventAsync(RequestBody(runtimeEvent), $"event '{runtimeEvent.Name}'", cancellationToken);
        if (status != HttpStatusCode.OK)
            throw new MeasurementException($"dstack refused event '{runtimeEvent.Name}': HTTP {(int)status}{Detail(body)}");
    }

    /// <summary>Posts to the agent and reads at most <see cref="AnswerMaxBytes"/> of its answer; a redirect is an answer, never followed.</summary>
    private async Task<(HttpStatusCode Status, string Body)> PostEmitEventAsync(string json, string what, CancellationToken cancellationToken)
    {
        using var client = CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "http://dstack/EmitEvent")
        {
            Content = new StringContent(json, Encoding.UTF8, "application/json"),
        };
        // The whole exchange, body included, has one deadline: a body that trickles in cannot hold the boot.
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(RequestTimeout);
        try
        {
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, deadline.Token);
            await using var stream = await response.Content.ReadAsStreamAsync(deadline.Token);
            var buffer = new byte[AnswerMaxBytes];
            var length = await stream.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, deadline.Token);
            return (response.StatusCode, Encoding.UTF8.GetString(buffer, 0, length));
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new MeasurementException($"dstack did not answer {what} on {_socketPath} within {RequestTimeout.TotalSeconds:0} seconds");
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            throw new MeasurementException($"dstack did not answer {what} on {_socketPath}: {e.Message}");
        }
    }

    /// <summary>The <c>error</c> of ra-rpc's JSON error body <c>{"error": "..."}</c>, or null when the body is not one.</summary>
    private static string? ErrorOf(string body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            return json.RootElement is { ValueKind: JsonValueKind.Object } root
                && root.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.String
                ? error.GetString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string Detail(string body)
    {
        var detail = string.Join(" ", body.Split((char[])['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        return detail.Length > 0 ? $": {RuntimeEvent.JsonString(detail[..Math.Min(detail.Length, 200)])[1..^1]}" : "";
    }

    private static string RequestBody(RuntimeEvent runtimeEvent)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("event", runtimeEvent.Name);
            writer.WriteString("payload", Convert.ToHexStringLower(runtimeEvent.Payload));
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private HttpClient CreateClient() => new(new SocketsHttpHandler
    {
        AllowAutoRedirect = false,
        ConnectCallback = async (_, token) =>
        {
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(_socketPath), token);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };
}
