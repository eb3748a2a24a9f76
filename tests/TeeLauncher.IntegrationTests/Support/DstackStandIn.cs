using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace TeeLauncher.IntegrationTests.Support;

/// <summary>
/// Stands in for dstack's guest agent, which cannot run outside a dstack CVM: HTTP/1.1 on a unix socket,
/// answering <c>POST /EmitEvent</c> with its JSON body <c>{"event","payload"}</c> exactly as dstack up to 0.5.11 does.
/// Each request runs <see cref="OnEvent"/> before it is answered, so a test can look at the world at the
/// moment of the extend. With <c>emitEventRemoved</c> it answers 404 as dstack releases after 0.5.11 do.
/// </summary>
public sealed class DstackStandIn : IDisposable
{
    private readonly Socket _listener = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
    private readonly List<(string Event, string Payload)> _events = [];

    private readonly bool _emitEventRemoved;

    public DstackStandIn(string directory, Func<string, string, Task>? onEvent = null, bool emitEventRemoved = false)
    {
        _emitEventRemoved = emitEventRemoved;
        SocketPath = Path.Combine(directory, "dstack.sock");
        OnEvent = onEvent ?? ((_, _) => Task.CompletedTask);
        _listener.Bind(new UnixDomainSocketEndPoint(SocketPath));
        _listener.Listen(8);
        _ = AcceptAsync();
    }

    public string SocketPath { get; }

    public Func<string, string, Task> OnEvent { get; }

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
            {
                var connection = await _listener.AcceptAsync();
                _ = ServeAsync(connection);
            }
        }
        catch (Exception e) when (e is ObjectDisposedException or SocketException)
        {
        }
    }

    private async Task ServeAsync(Socket connection)
    {
        using var _ = connection;
        await using var stream = new NetworkStream(connection);
        var request = await ReadRequestAsync(stream);
        if (request is null)
            return;
        var (target, body) = request.Value;
        if (target != "/EmitEvent" || _emitEventRemoved)
        {
            await AnswerAsync(stream, "404 Not Found", "");
            return;
        }
        using var json = JsonDocument.Parse(body);
        var name = json.RootElement.GetProperty("event").GetString()!;
        var payload = json.RootElement.GetProperty("payload").GetString()!;
        await OnEvent(name, payload);
        lock (_events)
            _events.Add((name, payload));
        await AnswerAsync(stream, "200 OK", "");
    }

    private static async Task<(string Target, byte[] Body)?> ReadRequestAsync(NetworkStream stream)
    {
        var head = new List<byte>();
        var one = new byte[1];
        while (!EndsWithBlankLine(head))
        {
            if (await stream.ReadAsync(one) == 0)
                return null;
            head.Add(one[0]);
        }
        var lines = Encoding.ASCII.GetString([.. head]).Split("\r\n");
        var target = lines[0].Split(' ')[1];
        var length = lines.Skip(1)
            .Select(l => l.Split(':', 2))
            .Where(p => p.Length == 2 && p[0].Trim().Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            .Select(p => int.Parse(p[1].Trim()))
            .FirstOrDefault();
        var body = new byte[length];
        await stream.ReadExactlyAsync(body);
        return (target, body);
    }

    private static bool EndsWithBlankLine(List<byte> head) =>
        head.Count >= 4 && head[^4] == '\r' && head[^3] == '\n' && head[^2] == '\r' && head[^1] == '\n';

    private static Task AnswerAsync(NetworkStream stream, string status, string body) =>
        stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n{body}")).AsTask();

    public void Dispose() => _listener.Dispose();
}
