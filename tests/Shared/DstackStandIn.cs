using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace TeeLauncher.Testing;

/// <summary>One HTTP request as the stand-in received it.</summary>
public sealed record DstackRequest(string RequestLine, IReadOnlyList<string> Headers, byte[] Body);

/// <summary>The dstack releases the stand-in answers as, each named by the commit of Dstack-TEE/dstack it follows.</summary>
public enum DstackRelease
{
    /// <summary>v0.5.11 (commit <see cref="DstackStandIn.WithEmitEventCommit"/>), the last release with <c>EmitEvent</c>.</summary>
    WithEmitEvent,

    /// <summary>The merge that removed <c>EmitEvent</c> (commit <see cref="DstackStandIn.WithoutEmitEventCommit"/>, pull request #768) and later.</summary>
    WithoutEmitEvent,
}

/// <summary>
/// Stands in for dstack's guest agent, which cannot run outside a dstack CVM: HTTP/1.1 on a unix socket, written from dstack's
/// source (project Dstack-TEE/dstack). Every <c>POST /&lt;method&gt;</c> goes to ra-rpc (ra-rpc/src/rocket_helper.rs,
/// <c>prpc_routes!</c> and <c>PrpcHandler::handle</c>; ra-rpc/src/lib.rs, <c>dispatch_prpc</c>): the request is JSON when its
/// content type is (or <c>?json</c>), a dispatch error is HTTP 400 with <c>encode_error</c>'s body, serde_json's pretty print
/// of <c>{"error": message}</c> as <c>application/json</c> for a JSON request, else a protobuf <c>ProtoError</c> as
/// <c>application/octet-stream</c>. The dispatcher prpc-build 0.6.1 generates (guest-agent/rpc/build.rs: no service name in
/// the path) answers an unknown method with the error <c>Service not found: &lt;method&gt;</c>, and decodes a JSON body with
/// serde_json, an empty body as default arguments. With <c>EmitEvent</c> (guest-agent/rpc/proto/agent_rpc.proto,
/// <c>EmitEventArgs {string event; bytes payload}</c>, bytes as hex) a decoded call runs <c>onEvent</c> (what the agent's
/// <c>emit_runtime_event</c> does, so a test can also look at the world at the moment of the extend) and answers 200 with
/// serde_json's <c>()</c>, <c>null</c>. A <c>fault</c>, when given, answers every request instead: what no release answers.
/// </summary>
public sealed class DstackStandIn : IDisposable
{
    public const string WithEmitEventCommit = "40eaf35e6b3f112998d01569f2a26110baab123b";

    public const string WithoutEmitEventCommit = "c9191c9324a7a24ddcf9d7eea4d283b3ff842b78";

    private readonly Socket _listener = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
    private readonly List<DstackRequest> _requests = [];
    private readonly List<(string Event, string Payload)> _events = [];
    private readonly Func<string, string, Task> _onEvent;
    private readonly Func<Stream, Task>? _fault;

    public DstackStandIn(string socketPath, Func<string, string, Task>? onEvent = null,
        DstackRelease release = DstackRelease.WithEmitEvent, Func<Stream, Task>? fault = null)
    {
        (SocketPath, Release, _fault) = (socketPath, release, fault);
        _onEvent = onEvent ?? ((_, _) => Task.CompletedTask);
        _listener.Bind(new UnixDomainSocketEndPoint(SocketPath));
        _listener.Listen(64);
        _ = AcceptAsync();
    }

    public string SocketPath { get; }

    public DstackRelease Release { get; }

    /// <summary>Every request received, in order.</summary>
    public IReadOnlyList<DstackRequest> Requests
    {
        get
        {
            lock (_requests)
                return [.. _requests];
        }
    }

    /// <summary>The events emitted (answered with 200), in order, the payload in hex as posted.</summary>
    public IReadOnlyList<(string Event, string Payload)> Events
    {
        get
        {
            lock (_events)
                return [.. _events];
        }
    }

    /// <summary>The requests whose body the agent would decode as EmitEvent arguments (a probe's does not).</summary>
    public IEnumerable<DstackRequest> EmitEventCalls => Requests.Where(r => EmitEventArguments(r.Body) is { Error: null });

    /// <summary>ra-rpc's body for a dispatch error of a JSON request: serde_json::to_string_pretty of {"error": message}.</summary>
    public static string JsonError(string message) => $"{{\n  \"error\": {SerdeString(message)}\n}}";

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
        try
        {
            if (await ReadRequestAsync(stream) is not { } request)
                return;
            lock (_requests)
                _requests.Add(request);
            if (_fault is not null)
            {
                await _fault(stream);
                return;
            }
            await AnswerAsync(stream, request);
        }
        catch (IOException)
        {
            // The client went away mid-answer (it read what it wanted): nothing is left to answer.
        }
    }

    private async Task AnswerAsync(NetworkStream stream, DstackRequest request)
    {
        var target = request.RequestLine.Split(' ')[1];
        var method = target.Split('?')[0].TrimStart('/');
        var json = target.Contains("?json", StringComparison.Ordinal) || request.Headers.Any(IsJsonContentType);
        if (method != "EmitEvent" || Release == DstackRelease.WithoutEmitEvent)
        {
            await DispatchErrorAsync(stream, json, $"Service not found: {method}");
            return;
        }
        if (!json)
        {
            await DispatchErrorAsync(stream, json, "the stand-in decodes JSON requests only: the launcher sends nothing else");
            return;
        }
        var (name, payload, error) = EmitEventArguments(request.Body);
        if (error is not null)
        {
            await DispatchErrorAsync(stream, json, error);
            return;
        }
        await _onEvent(name!, payload!);
        lock (_events)
            _events.Add((name!, payload!));
        await WriteAsync(stream, "200 OK", "application/json", "null"u8.ToArray());
    }

    private static bool IsJsonContentType(string header)
    {
        var parts = header.Split(':', 2);
        return parts.Length == 2 && parts[0].Trim().Equals("Content-Type", StringComparison.OrdinalIgnoreCase)
            && parts[1].Split(';')[0].Trim().Equals("application/json", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// serde_json decoding <c>EmitEventArgs</c> as the generated JSON arm does: empty is the default arguments; an object
    /// takes "event" (string) and "payload" (hex); the launcher's probe, a JSON string, gets serde's invalid-type error,
    /// whose column is where the string token ends.
    /// </summary>
    private static (string? Event, string? Payload, string? Error) EmitEventArguments(byte[] body)
    {
        if (body.Length == 0)
            return ("", "", null);
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.String)
                return (null, null, $"invalid type: string {SerdeString(root.GetString()!)}, expected struct EmitEventArgs at line 1 column {Encoding.UTF8.GetString(body).TrimEnd().Length}");
            if (root.ValueKind != JsonValueKind.Object)
                return (null, null, "invalid type, expected struct EmitEventArgs");
            var name = root.TryGetProperty("event", out var e) && e.ValueKind == JsonValueKind.String ? e.GetString()! : "";
            var payload = root.TryGetProperty("payload", out var p) && p.ValueKind == JsonValueKind.String ? p.GetString()! : "";
            if (payload.Length % 2 != 0 || !payload.All(Uri.IsHexDigit))
                return (null, null, "invalid hex payload");
            return (name, payload, null);
        }
        catch (JsonException)
        {
            return (null, null, "expected value at line 1 column 1");
        }
    }

    /// <summary>A JSON string as serde_json writes it: quote, backslash and control characters escaped, nothing else.</summary>
    private static string SerdeString(string text)
    {
        var escaped = new StringBuilder("\"");
        foreach (var c in text)
        {
            escaped.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                '\b' => "\\b",
                '\f' => "\\f",
                < ' ' => $"\\u{(int)c:x4}",
                _ => c.ToString(),
            });
        }
        return escaped.Append('"').ToString();
    }

    private static Task DispatchErrorAsync(NetworkStream stream, bool json, string message) => json
        ? WriteAsync(stream, "400 Bad Request", "application/json", Encoding.UTF8.GetBytes(JsonError(message)))
        : WriteAsync(stream, "400 Bad Request", "application/octet-stream", ProtoError(message));

    /// <summary>prpc's <c>ProtoError { string message = 1; }</c> as prost encodes it.</summary>
    private static byte[] ProtoError(string message)
    {
        var text = Encoding.UTF8.GetBytes(message);
        var encoded = new List<byte> { 0x0a };
        for (var length = (uint)text.Length; ; length >>= 7)
        {
            if (length < 0x80)
            {
                encoded.Add((byte)length);
                break;
            }
            encoded.Add((byte)(length | 0x80));
        }
        return [.. encoded, .. text];
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

    /// <summary>Rocket's answer: the status, the content type ra-rpc sets, Rocket's own headers, the body.</summary>
    private static async Task WriteAsync(NetworkStream stream, string status, string contentType, byte[] body)
    {
        await stream.WriteAsync(Encoding.ASCII.GetBytes(
            $"HTTP/1.1 {status}\r\ncontent-type: {contentType}\r\nserver: Rocket\r\nx-frame-options: SAMEORIGIN\r\n" +
            $"x-content-type-options: nosniff\r\npermissions-policy: interest-cohort=()\r\ncontent-length: {body.Length}\r\n\r\n"));
        await stream.WriteAsync(body);
    }

    public void Dispose() => _listener.Dispose();
}
