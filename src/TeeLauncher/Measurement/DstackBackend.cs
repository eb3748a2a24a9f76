using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using TeeLauncher.Errors;

namespace TeeLauncher.Measurement;

/// <summary>Asks dstack's guest agent to extend RTMR3: <c>POST /EmitEvent</c> over its unix socket (dstack up to 0.5.11).</summary>
public sealed class DstackBackend(string socketPath) : IMeasurementBackend
{
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);

    public string Name => "dstack";

    public int RegisterIndex => 3;

    public async Task EnsureAvailableAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(socketPath))
            throw new MeasurementException($"dstack socket {socketPath} does not exist: is the dstack guest agent running and the socket mounted? (measurement.dstack_socket)");
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken);
        }
        catch (SocketException e)
        {
            throw new MeasurementException($"dstack socket {socketPath} does not accept connections: {e.Message}");
        }
    }

    public async Task ExtendAsync(RuntimeEvent runtimeEvent, CancellationToken cancellationToken)
    {
        using var client = CreateClient();
        using var body = new StringContent(RequestBody(runtimeEvent), Encoding.UTF8, "application/json");
        HttpResponseMessage response;
        try
        {
            response = await client.PostAsync("http://dstack/EmitEvent", body, cancellationToken);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw new MeasurementException($"dstack did not take event '{runtimeEvent.Name}' on {socketPath}: {e.Message}");
        }
        using (response)
        {
            if (response.StatusCode == HttpStatusCode.OK)
                return;
            if (response.StatusCode == HttpStatusCode.NotFound)
                throw new MeasurementException(
                    $"dstack at {socketPath} has no /EmitEvent (dstack removed it after 0.5.11): set measurement.backend = \"tdx-sysfs\" to extend RTMR3 through the kernel");
            var detail = (await response.Content.ReadAsStringAsync(cancellationToken)).Trim();
            throw new MeasurementException(
                $"dstack refused event '{runtimeEvent.Name}': HTTP {(int)response.StatusCode}{(detail.Length > 0 ? $": {detail[..Math.Min(detail.Length, 200)]}" : "")}");
        }
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
