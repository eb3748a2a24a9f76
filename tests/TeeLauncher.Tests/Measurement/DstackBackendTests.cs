using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using TeeLauncher.Errors;
using TeeLauncher.Measurement;
using TeeLauncher.Tests.Support;

namespace TeeLauncher.Tests.Measurement;

/// <summary>
/// The dstack backend against <see cref="DstackStandIn"/>: dstack's guest agent cannot run outside a dstack CVM,
/// so the stand-in speaks HTTP/1.1 on a unix socket and answers with a fixed status, as the agent would.
/// </summary>
public sealed class DstackBackendTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    [Fact]
    public async Task An_event_is_posted_to_emit_event_as_json_with_the_hex_payload()
    {
        using var dstack = new DstackStandIn(_dir.Combine("dstack.sock"), "200 OK");
        var backend = new DstackBackend(dstack.SocketPath);

        await backend.EnsureAvailableAsync(CancellationToken.None);
        await backend.ExtendAsync(new RuntimeEvent("app-id", Convert.FromHexString("deadbeef")), CancellationToken.None);

        var request = dstack.Requests.Should().ContainSingle().Subject;
        request.RequestLine.Should().Be("POST /EmitEvent HTTP/1.1");
        request.Headers.Should().Contain(h => h.StartsWith("Content-Type: application/json", StringComparison.OrdinalIgnoreCase));
        using var body = JsonDocument.Parse(request.Body);
        body.RootElement.EnumerateObject().Select(p => (p.Name, p.Value.GetString())).Should().Equal(("event", "app-id"), ("payload", "deadbeef"));
    }

    [Fact]
    public async Task A_404_says_that_dstack_removed_emit_event_and_names_tdx_sysfs()
    {
        using var dstack = new DstackStandIn(_dir.Combine("dstack.sock"), "404 Not Found");

        var extend = () => new DstackBackend(dstack.SocketPath).ExtendAsync(new RuntimeEvent("app-id", [1]), CancellationToken.None);

        (await extend.Should().ThrowAsync<MeasurementException>()).Which.Message.Should()
            .Contain("removed it after 0.5.11").And.Contain("measurement.backend = \"tdx-sysfs\"");
    }

    [Fact]
    public async Task Any_other_status_is_a_measurement_failure_with_the_status_and_body()
    {
        using var dstack = new DstackStandIn(_dir.Combine("dstack.sock"), "500 Internal Server Error", "rtmr extend failed");

        var extend = () => new DstackBackend(dstack.SocketPath).ExtendAsync(new RuntimeEvent("app-id", [1]), CancellationToken.None);

        (await extend.Should().ThrowAsync<MeasurementException>()).Which.Message.Should()
            .Be("dstack refused event 'app-id': HTTP 500: rtmr extend failed");
    }

    [Fact]
    public async Task A_missing_socket_is_reported_before_the_pull()
    {
        var check = () => new DstackBackend(_dir.Combine("absent.sock")).EnsureAvailableAsync(CancellationToken.None);

        (await check.Should().ThrowAsync<MeasurementException>()).Which.Message.Should()
            .Contain("absent.sock").And.Contain("measurement.dstack_socket");
    }

    [Fact]
    public async Task A_socket_nobody_listens_on_is_reported_before_the_pull()
    {
        var path = _dir.Combine("stale.sock");
        using var bound = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        bound.Bind(new UnixDomainSocketEndPoint(path));

        var check = () => new DstackBackend(path).EnsureAvailableAsync(CancellationToken.None);

        (await check.Should().ThrowAsync<MeasurementException>()).Which.Message.Should().Contain("does not accept connections");
    }

    public void Dispose() => _dir.Dispose();

    private sealed record HttpRequest(string RequestLine, IReadOnlyList<string> Headers, byte[] Body);

    /// <summary>An HTTP/1.1 server on a unix socket that records each request and answers it with one fixed status.</summary>
    private sealed class DstackStandIn : IDisposable
    {
        private readonly Socket _listener = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        private readonly List<HttpRequest> _requests = [];
        private readonly string _status;
        private readonly string _body;

        public DstackStandIn(string socketPath, string status, string body = "")
        {
            (SocketPath, _status, _body) = (socketPath, status, body);
            _listener.Bind(new UnixDomainSocketEndPoint(socketPath));
            _listener.Listen(8);
            _ = AcceptAsync();
        }

        public string SocketPath { get; }

        public IReadOnlyList<HttpRequest> Requests
        {
            get
            {
                lock (_requests)
                    return [.. _requests];
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
            var body = Encoding.UTF8.GetBytes(_body);
            await stream.WriteAsync(Encoding.ASCII.GetBytes(
                $"HTTP/1.1 {_status}\r\nContent-Type: text/plain\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n"));
            await stream.WriteAsync(body);
        }

        private static async Task<HttpRequest?> ReadRequestAsync(NetworkStream stream)
        {
            var head = new List<byte>();
            var one = new byte[1];
            while (!head.AsEnumerable().Reverse().Take(4).SequenceEqual("\n\r\n\r"u8.ToArray()))
            {
                if (await stream.ReadAsync(one) == 0)
                    return null;
                head.Add(one[0]);
            }
            var lines = Encoding.ASCII.GetString([.. head]).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
            var length = lines.Skip(1)
                .Select(l => l.Split(':', 2))
                .Where(p => p[0].Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
                .Select(p => int.Parse(p[1]))
                .SingleOrDefault();
            var body = new byte[length];
            await stream.ReadExactlyAsync(body);
            return new HttpRequest(lines[0], lines[1..], body);
        }

        public void Dispose() => _listener.Dispose();
    }
}
