using System.Net.Sockets;
using System.Text.Json;
using TeeLauncher.Errors;
using TeeLauncher.Measurement;
using TeeLauncher.Testing;
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
        using var dstack = new DstackStandIn(_dir.Combine("dstack.sock"));
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
        using var dstack = new DstackStandIn(_dir.Combine("dstack.sock"), status: "404 Not Found");

        var extend = () => new DstackBackend(dstack.SocketPath).ExtendAsync(new RuntimeEvent("app-id", [1]), CancellationToken.None);

        (await extend.Should().ThrowAsync<MeasurementException>()).Which.Message.Should()
            .Contain("removed it after 0.5.11").And.Contain("measurement.backend = \"tdx-sysfs\"");
    }

    [Fact]
    public async Task Any_other_status_is_a_measurement_failure_with_the_status_and_body()
    {
        using var dstack = new DstackStandIn(_dir.Combine("dstack.sock"), status: "500 Internal Server Error", responseBody: "rtmr extend failed");

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
}
