using System.Net.Sockets;
using System.Text;

namespace TeeLauncher.IntegrationTests.Support;

/// <summary>
/// Plays systemd's side of sd_notify: a unix datagram socket given to the launcher as NOTIFY_SOCKET,
/// recording every message (READY=1, STATUS=...) in order.
/// </summary>
public sealed class NotifySocket : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
    private readonly List<string> _messages = [];
    private readonly CancellationTokenSource _stop = new();

    public NotifySocket(string directory)
    {
        Path = System.IO.Path.Combine(directory, "notify.sock");
        _socket.Bind(new UnixDomainSocketEndPoint(Path));
        _ = ReceiveAsync();
    }

    public string Path { get; }

    public IReadOnlyList<string> Messages
    {
        get
        {
            lock (_messages)
                return [.. _messages];
        }
    }

    private async Task ReceiveAsync()
    {
        var buffer = new byte[4096];
        try
        {
            while (true)
            {
                var length = await _socket.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                lock (_messages)
                    _messages.Add(Encoding.UTF8.GetString(buffer, 0, length).TrimEnd('\n'));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _socket.Dispose();
        _stop.Dispose();
    }
}
