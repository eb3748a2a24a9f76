using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace TeeLauncher.Testing;

/// <summary>One HTTP request as the stand-in received it.</summary>
public sealed record DstackRequest(string RequestLine, IReadOnlyList<string> Headers, byte[] Body);

/// <summary>
/// Stands in for dstack's guest agent, which cannot run outside a dstack CVM: HTTP/1.1 on a unix socket,
/// answering <c>POST /EmitEvent</c> with its JSON body <c>{"event","payload"}</c> as dstack up to 0.5.11 does; a
/// body that does not decode as those arguments is refused with 400 and <c>{"error"}</c> before anything is
/// emitted, as dstack's RPC layer does (project Dstack-TEE/dstack, ra-rpc/src/lib.rs, dispatch_prpc).
/// Each accepted event runs <c>onEvent</c> before it is answered, so a test can look at the world at the moment
/// of the extend. Another <c>status</c> (404 as dstack after 0.5.11, a 500) answers every request with it.
/// </summary>
public sealed class DstackStandIn : IDisposable
{
    private const string Accepted = "200 OK";

    private readonly Socket _listener = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
    private readonly List<DstackRequest> _requests = [];
    private readonly List<(string Event, string Payload)> _events = [];
    private readonly Func<string, string, Task> _onEvent;
    private readonly string _status;
    private readonly string _responseBody;

    public DstackStandIn(string socketPath, Func<string, string, Task>? onEvent = null, string status = Accepted, string responseBody = "")
    {
        (SocketPath, _status, _responseBody) = (socketPath, status, responseBody);
        _onEvent = onEvent ?? ((_, _) => Task.CompletedTask);
        _listener.Bind(new UnixDomainSocketEndPoint(SocketPath));
        _listener.Listen(8);
        _ = AcceptAsync();
    }

    public string SocketPath { get; }

    /// <summary>Every request received, in order.</summary>
    public IReadOnlyList<DstackRequest> Requests
    {
        get
        {
            lock (_requests)
                return [.. _requests];
        }
    }

    /// <summary>The events answered with 200, in order.</summary>
    public IReadOnlyList<(string Event, string Payload)> Events
    {
        get
        {
            lock (_events)
                return [.. _events];
        }
    }

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
                _ = ServeAsync(await _listener.AcceptAsync());
        }
        catch (Exception e) when (e is ObjectDisposedException or SocketException)
        {
        }
    }

    private async Task ServeAsync(Socket connection)
    {
        using var _ = connection;
        await using var stream = new NetworkStream(connection);
        if (await ReadRequestAsync(stream) is not { } request)
            return;
        lock (_requests)
            _requests.Add(request);
        if (request.RequestLine.Split(' ')[1] != "/EmitEvent")
        {
            await AnswerAsync(stream, "404 Not Found", "");
            return;
        }
        if (_status != Accepted)
        {
            await AnswerAsync(stream, _status, _responseBody);
            return;
        }
        if (EmitEventArguments(request.Body) is not var (name, payload))
        {
            await AnswerAsync(stream, "400 Bad Request", """{"error": "failed to decode EmitEventArgs"}""");
            return;
        }
        await _onEvent(name, payload);
        lock (_events)
            _events.Add((name, payload));
        await AnswerAsync(stream, Accepted, _responseBody);
    }

    /// <summary>The requests whose body decodes as EmitEvent arguments (a probe's does not).</summary>
    public IEnumerable<DstackRequest> EmitEventCalls => Requests.Where(r => EmitEventArguments(r.Body) is not null);

    private static (string Event, string Payload)? EmitEventArguments(byte[] body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            return json.RootElement is { ValueKind: JsonValueKind.Object } root
                && root.TryGetProperty("event", out var name) && name.ValueKind == JsonValueKind.String
                && root.TryGetProperty("payload", out var payload) && payload.ValueKind == JsonValueKind.String
                ? (name.GetString()!, payload.GetString()!)
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static async Task<DstackRequest?> ReadRequestAsync(NetworkStream stream)
    {
        var head = new List<byte>();
        var one = new byte[1];
        while (!EndsWithBlankLine(head))
        {
            if (await stream.ReadAsync(one) == 0)
                return null;
            head.Add(one[0]);
        }
        var lines = Encoding.ASCII.GetString([.. head]).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        var length = lines.Skip(1)
            .Select(l => l.Split(':', 2))
            .Where(p => p.Length == 2 && p[0].Trim().Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            .Select(p => int.Parse(p[1].Trim()))
            .FirstOrDefault();
        var body = new byte[length];
        await stream.ReadExactlyAsync(body);
        return new DstackRequest(lines[0], lines[1..], body);
    }

    private static bool EndsWithBlankLine(List<byte> head) =>
        head.Count >= 4 && head[^4] == '\r' && head[^3] == '\n' && head[^2] == '\r' && head[^1] == '\n';

    private static async Task AnswerAsync(NetworkStream stream, string status, string body)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        await stream.WriteAsync(Encoding.ASCII.GetBytes(
            $"HTTP/1.1 {status}\r\nContent-Type: text/plain\r\nContent-Length: {bytes.Length}\r\nConnection: close\r\n\r\n"));
        await stream.WriteAsync(bytes);
    }

    public void Dispose() => _listener.Dispose();
}
