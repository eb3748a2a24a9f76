using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using TeeLauncher.Errors;

namespace TeeLauncher.Measurement;

/// <summary>
/// Extends RTMR3 on dstack, on every release (docs/spec.md §5.2): through the guest agent's <c>POST /EmitEvent</c> where it
/// has one (up to 0.5.11, version-1 digests), else through dstack's own runtime-event protocol
/// (<see cref="DstackRuntimeEvents"/>), so that dstack's log, GetQuote and verifier keep replaying to RTMR3.
/// </summary>
public sealed class DstackBackend(string socketPath, string eventDirectory, string rtmrPath) : IMeasurementBackend
{
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// A body the agent's RPC layer cannot decode as <c>EmitEventArgs</c> (a JSON string, not an object): an agent
    /// with the method refuses it before emitting anything (HTTP 400), one without it answers 404.
    /// </summary>
    private const string ProbeBody = "\"tee-launcher: does this agent have EmitEvent?\"";

    private readonly DstackRuntimeEvents _protocol = new(eventDirectory, new RtmrAttribute(rtmrPath));
    private bool? _hasEmitEvent;
    private int _eventVersion = 1;

    public string Name => "dstack";

    public int RegisterIndex => 3;

    public int EventVersion => _eventVersion;

    /// <summary>Which path <see cref="ExtendAsync"/> takes; known once <see cref="EnsureAvailableAsync"/> ran.</summary>
    public bool UsesEmitEvent => _hasEmitEvent ?? throw new InvalidOperationException("EnsureAvailableAsync must run first");

    public async Task EnsureAvailableAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(socketPath))
            throw new MeasurementException($"dstack socket {socketPath} does not exist: is the dstack guest agent running and the socket mounted? (measurement.dstack_socket)");
        using (var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            try
            {
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken);
            }
            catch (SocketException e)
            {
                throw new MeasurementException($"dstack socket {socketPath} does not accept connections: {e.Message}");
            }
        }

        using var probe = await PostEmitEventAsync(ProbeBody, "the EmitEvent probe", cancellationToken);
        _hasEmitEvent = probe.StatusCode switch
        {
            HttpStatusCode.NotFound => false,
            HttpStatusCode.BadRequest => true,
            HttpStatusCode.OK => throw new MeasurementException(
                $"{socketPath} accepted a body that holds no EmitEvent arguments: it does not answer as dstack's guest agent does (measurement.dstack_socket)"),
            _ => throw new MeasurementException(
                $"dstack at {socketPath} answered the EmitEvent probe with HTTP {(int)probe.StatusCode}{await DetailAsync(probe, cancellationToken)}"),
        };
        _eventVersion = _hasEmitEvent.Value ? 1 : _protocol.EnsureUsable();
    }

    public async Task ExtendAsync(RuntimeEvent runtimeEvent, CancellationToken cancellationToken)
    {
        if (!UsesEmitEvent)
        {
            await _protocol.EmitAsync(runtimeEvent, cancellationToken);
            return;
        }
        using var response = await PostEmitEventAsync(RequestBody(runtimeEvent), $"event '{runtimeEvent.Name}'", cancellationToken);
        if (response.StatusCode == HttpStatusCode.OK)
            return;
        throw new MeasurementException(
            $"dstack refused event '{runtimeEvent.Name}': HTTP {(int)response.StatusCode}{await DetailAsync(response, cancellationToken)}");
    }

    private async Task<HttpResponseMessage> PostEmitEventAsync(string json, string what, CancellationToken cancellationToken)
    {
        using var client = CreateClient();
        using var body = new StringContent(json, Encoding.UTF8, "application/json");
        try
        {
            return await client.PostAsync("http://dstack/EmitEvent", body, cancellationToken);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw new MeasurementException($"dstack did not answer {what} on {socketPath}: {e.Message}");
        }
    }

    private static async Task<string> DetailAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var detail = string.Join(" ", (await response.Content.ReadAsStringAsync(cancellationToken))
            .Split((char[])['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
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
        ConnectCallback = async (_, token) =>
        {
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), token);
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
        Timeout = RequestTimeout,
    };
}
