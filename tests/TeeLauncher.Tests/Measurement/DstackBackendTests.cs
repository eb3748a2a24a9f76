using System.Net.Sockets;
using System.Text.Json;
using TeeLauncher.Errors;
using TeeLauncher.Measurement;
using TeeLauncher.Testing;
using TeeLauncher.Tests.Support;

namespace TeeLauncher.Tests.Measurement;

/// <summary>
/// The dstack backend against <see cref="DstackStandIn"/>: dstack's guest agent cannot run outside a dstack CVM,
/// so the stand-in speaks HTTP/1.1 on a unix socket and answers as the agent would (200 with /EmitEvent up to
/// 0.5.11, 404 after). The protocol path's extends are tested with the RTMR stand-in in the integration tests.
/// </summary>
public sealed class DstackBackendTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    private string EventDir => _dir.Combine("run-log-dstack");

    [Fact]
    public async Task With_emit_event_an_event_is_posted_as_json_with_the_hex_payload_after_a_probe_that_emits_nothing()
    {
        using var dstack = new DstackStandIn(_dir.Combine("dstack.sock"));
        var backend = Backend(dstack.SocketPath);

        await backend.EnsureAvailableAsync(CancellationToken.None);
        dstack.Events.Should().BeEmpty("the probe's body does not decode as EmitEvent arguments");
        await backend.ExtendAsync(new RuntimeEvent("app-id", Convert.FromHexString("deadbeef")), CancellationToken.None);

        backend.UsesEmitEvent.Should().BeTrue();
        backend.EventVersion.Should().Be(1, "dstack up to 0.5.11 digests in version 1");
        dstack.Requests.Should().HaveCount(2).And.OnlyContain(r => r.RequestLine == "POST /EmitEvent HTTP/1.1");
        var request = dstack.EmitEventCalls.Should().ContainSingle().Subject;
        request.Headers.Should().Contain(h => h.StartsWith("Content-Type: application/json", StringComparison.OrdinalIgnoreCase));
        using var body = JsonDocument.Parse(request.Body);
        body.RootElement.EnumerateObject().Select(p => (p.Name, p.Value.GetString())).Should().Equal(("event", "app-id"), ("payload", "deadbeef"));
        Directory.Exists(EventDir).Should().BeFalse("the /EmitEvent path needs nothing of dstack's protocol");
    }

    [Fact]
    public async Task Without_emit_event_the_check_needs_dstacks_event_directory()
    {
        using var dstack = new DstackStandIn(_dir.Combine("dstack.sock"), status: "404 Not Found");

        var check = () => Backend(dstack.SocketPath).EnsureAvailableAsync(CancellationToken.None);

        (await check.Should().ThrowAsync<MeasurementException>()).Which.Message.Should()
            .Contain(EventDir).And.Contain("does not exist").And.Contain("measurement.dstack_event_dir");
    }

    [Fact]
    public async Task Without_emit_event_the_check_needs_the_version_file_of_dstacks_system_setup()
    {
        using var dstack = new DstackStandIn(_dir.Combine("dstack.sock"), status: "404 Not Found");
        Directory.CreateDirectory(EventDir);

        var check = () => Backend(dstack.SocketPath).EnsureAvailableAsync(CancellationToken.None);

        (await check.Should().ThrowAsync<MeasurementException>()).Which.Message.Should()
            .Contain("runtime_event_version does not exist").And.Contain("system setup has not run");
    }

    [Theory]
    [InlineData("3")]
    [InlineData("")]
    [InlineData("v2")]
    public async Task Without_emit_event_a_version_other_than_1_or_2_is_refused(string version)
    {
        using var dstack = new DstackStandIn(_dir.Combine("dstack.sock"), status: "404 Not Found");
        _dir.File("run-log-dstack/runtime_event_version", version);

        var check = () => Backend(dstack.SocketPath).EnsureAvailableAsync(CancellationToken.None);

        (await check.Should().ThrowAsync<MeasurementException>()).Which.Message.Should().Contain("not 1 or 2");
    }

    [Fact]
    public async Task Without_emit_event_the_check_needs_the_rtmr_attribute()
    {
        using var dstack = new DstackStandIn(_dir.Combine("dstack.sock"), status: "404 Not Found");
        _dir.File("run-log-dstack/runtime_event_version", "2\n");

        var check = () => Backend(dstack.SocketPath).EnsureAvailableAsync(CancellationToken.None);

        (await check.Should().ThrowAsync<MeasurementException>()).Which.Message.Should()
            .Contain(_dir.Combine("rtmr3:sha384")).And.Contain("measurement.tdx_rtmr_path");
    }

    [Fact]
    public async Task Any_other_answer_to_the_probe_fails_the_check_with_the_status_and_body()
    {
        using var dstack = new DstackStandIn(_dir.Combine("dstack.sock"), status: "500 Internal Server Error", responseBody: "rtmr extend failed");

        var check = () => Backend(dstack.SocketPath).EnsureAvailableAsync(CancellationToken.None);

        (await check.Should().ThrowAsync<MeasurementException>()).Which.Message.Should()
            .Be($"dstack at {dstack.SocketPath} answered the EmitEvent probe with HTTP 500: rtmr extend failed");
    }

    [Fact]
    public async Task A_missing_socket_is_reported_before_the_pull()
    {
        var check = () => Backend(_dir.Combine("absent.sock")).EnsureAvailableAsync(CancellationToken.None);

        (await check.Should().ThrowAsync<MeasurementException>()).Which.Message.Should()
            .Contain("absent.sock").And.Contain("measurement.dstack_socket");
    }

    [Fact]
    public async Task A_socket_nobody_listens_on_is_reported_before_the_pull()
    {
        var path = _dir.Combine("stale.sock");
        using var bound = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        bound.Bind(new UnixDomainSocketEndPoint(path));

        var check = () => Backend(path).EnsureAvailableAsync(CancellationToken.None);

        (await check.Should().ThrowAsync<MeasurementException>()).Which.Message.Should().Contain("does not accept connections");
    }

    [Theory]
    [InlineData(1, "{\"event\":\"app-id\",\"payload\":\"3q2+7w==\"}")]
    [InlineData(2, "{\"event\":\"app-id\",\"payload\":\"3q2+7w==\",\"version\":2}")]
    public void The_log_line_is_dstacks_serde_form_with_standard_base64(int version, string line)
    {
        DstackRuntimeEvents.LogLine(new RuntimeEvent("app-id", Convert.FromHexString("deadbeef"), version)).Should().Be(line);
    }

    [Fact]
    public void The_log_line_escapes_a_name_as_dstacks_serde_json_does()
    {
        DstackRuntimeEvents.LogLine(new RuntimeEvent("a\"b\\c\u0001é", [])).Should().Be("{\"event\":\"a\\\"b\\\\c\\u0001é\",\"payload\":\"\"}");
    }

    private DstackBackend Backend(string socket) => new(socket, EventDir, _dir.Combine("rtmr3:sha384"));

    public void Dispose() => _dir.Dispose();
}
