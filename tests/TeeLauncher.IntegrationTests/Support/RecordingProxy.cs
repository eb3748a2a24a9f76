using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace TeeLauncher.IntegrationTests.Support;

/// <summary>
/// A TCP relay on a free loopback port in front of a registry that keeps every byte its clients send, so a test
/// sees the very request lines and <c>Authorization</c> headers that reached the registry (a pull sends no
/// request bodies, so what a client sends is request heads, plus the TLS hello dockerd tries first).
/// </summary>
public sealed partial class RecordingProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly string _targetHost;
    private readonly int _targetPort;
    private readonly List<MemoryStream> _sent = [];
    private readonly List<TcpClient> _connections = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;

    /// <param name="target">host:port of the server behind the relay.</param>
    public RecordingProxy(string target)
    {
        var colon = target.LastIndexOf(':');
        (_targetHost, _targetPort) = (target[..colon], int.Parse(target[(colon + 1)..]));
        _listener.Start();
        Host = $"127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";
        _accepting = AcceptAsync();
    }

    /// <summary>host:port to give clients instead of the target's.</summary>
    public string Host { get; }

    /// <summary>What clients sent, one Latin-1 text per connection.</summary>
    public IReadOnlyList<string> Sent
    {
        get
        {
            lock (_sent)
                return [.. _sent.Select(s => Encoding.Latin1.GetString(s.ToArray()))];
        }
    }

    /// <summary>"METHOD URI" of each HTTP request clients sent.</summary>
    public IReadOnlyList<string> Requests =>
        [.. Sent.SelectMany(text => RequestLine().Matches(text)).Select(m => $"{m.Groups[1].Value} {m.Groups[2].Value}")];

    /// <summary>The value of each Authorization header clients sent, e.g. <c>Basic dXNlcjpwYXNz</c>.</summary>
    public IReadOnlyList<string> AuthorizationHeaders =>
        [.. Sent.SelectMany(text => AuthorizationLine().Matches(text)).Select(m => m.Groups[1].Value.Trim())];

    /// <summary>The user:password pairs of the Basic Authorization headers clients sent.</summary>
    public IReadOnlyList<string> BasicCredentials =>
        [.. AuthorizationHeaders.Where(h => h.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
            .Select(h => Encoding.UTF8.GetString(Convert.FromBase64String(h[6..].Trim())))];

    private async Task AcceptAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                _ = RelayAsync(client);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    private async Task RelayAsync(TcpClient client)
    {
        var server = new TcpClient();
        var sent = new MemoryStream();
        lock (_sent)
        {
            _sent.Add(sent);
            _connections.Add(client);
            _connections.Add(server);
        }
        try
        {
            await server.ConnectAsync(_targetHost, _targetPort, _stop.Token);
            var fromClient = client.GetStream();
            var toServer = server.GetStream();
            var upstream = PumpAsync(fromClient, toServer, sent, server);
            var downstream = PumpAsync(toServer, fromClient, null, client);
            await Task.WhenAll(upstream, downstream);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
        finally
        {
            client.Dispose();
            server.Dispose();
        }
    }

    /// <summary>Copies until the source ends, recording into <paramref name="record"/>, then half-closes the destination.</summary>
    private async Task PumpAsync(NetworkStream source, NetworkStream destination, MemoryStream? record, TcpClient destinationClient)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            int read;
            while ((read = await source.ReadAsync(buffer, _stop.Token)) > 0)
            {
                if (record is not null)
                    lock (_sent)
                        record.Write(buffer, 0, read);
                await destination.WriteAsync(buffer.AsMemory(0, read), _stop.Token);
            }
            destinationClient.Client.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            destinationClient.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        lock (_sent)
            foreach (var connection in _connections)
                connection.Dispose();
        _stop.Dispose();
    }

    [GeneratedRegex(@"^(GET|HEAD|POST|PUT|PATCH|DELETE) (\S+) HTTP/1\.[01]\r$", RegexOptions.Multiline)]
    private static partial Regex RequestLine();

    [GeneratedRegex(@"^Authorization:([^\r\n]*)\r$", RegexOptions.IgnoreCase | RegexOptions.Multiline)]
    private static partial Regex AuthorizationLine();
}
