using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using TeeLauncher.Configuration;
using TeeLauncher.Errors;
using TeeLauncher.Measurement;
using TeeLauncher.Testing;
using TeeLauncher.Tests.Support;
using TeeLauncher.Events;
using TeeLauncher.Values;

namespace TeeLauncher.Tests.Measurement;

/// <summary>
/// The dstack backend against <see cref="DstackStandIn"/>, which answers as dstack's guest agent does at v0.5.11 (commit
/// 40eaf35e6b3f112998d01569f2a26110baab123b, with EmitEvent) and after EmitEvent was removed (commit
/// c9191c9324a7a24ddcf9d7eea4d283b3ff842b78): every dispatch error is HTTP 400 with ra-rpc's JSON error body, never 404.
/// The protocol path's extends are tested with the RTMR stand-in and swtpm in the integration tests.
/// </summary>
public sealed class DstackBackendTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    private string EventDir => _dir.Combine("run-log-dstack");

    [Fact]
    public async Task With_emit_event_an_event_is_posted_as_json_with_the_hex_payload_after_a_probe_that_emits_nothing()
    {
        using var dstack = new DstackStandIn(_dir.Combine("dstack.sock"), release: DstackRelease.WithEmitEvent);
        var backend = Backend(dstack.SocketPath);

        await backend.EnsureAvailableAsync(CancellationToken.None);
        dstack.Events.Should().BeEmpty("the probe's body does not decode as EmitEvent arguments");
        var committed = 0;
        await backend.ExtendAsync(new RuntimeEvent("app-id", Convert.FromHexString("deadbeef")), () => committed++, CancellationToken.None);

        committed.Should().Be(1);
        backend.UsesEmitEvent.Should().BeTrue();
        backend.EventVersion.Should().Be(EventVersion.V1, "dstack up to 0.5.11 digests in version 1");
        dstack.Requests.Should().HaveCount(2).And.OnlyContain(r => r.RequestLine == "POST /EmitEvent HTTP/1.1");
        dstack.Requests[0].Body.Should().NotBeEmpty("an empty body decodes as default arguments on 0.5.x, which would emit an event");
        var request = dstack.EmitEventCalls.Should().ContainSingle().Subject;
        request.Headers.Should().Contain(h => h.StartsWith("Content-Type: application/json", StringComparison.OrdinalIgnoreCase));
        using var body = JsonDocument.Parse(request.Body);
        body.RootElement.EnumerateObject().Select(p => (p.Name, p.Value.GetString())).Should().Equal(("event", "app-id"), ("payload", "deadbeef"));
        Directory.Exists(EventDir).Should().BeFalse("the /EmitEvent path needs nothing of dstack's protocol");
    }

    [Fact]
    public async Task Without_emit_event_the_agents_400_service_not_found_selects_the_protocol_path()
    {
        using var dstack = new DstackStandIn(_dir.Combine("dstack.sock"), release: DstackRelease.WithoutEmitEvent);

        var check = () => Backend(dstack.SocketPath).EnsureAvailableAsync(CancellationToken.None);

        (await check.Should().ThrowAsync<MeasurementException>()).Which.Message.Should()
            .Contain(EventDir).And.Contain("does not exist").And.Contain("measurement.dstack_event_dir");
        dstack.Requests.Should().ContainSingle().Which.Body.Should().NotBeEmpty();
    }

    [Fact]
    public async Task Without_emit_event_the_check_needs_the_version_file_of_dstacks_system_setup()
    {
        using var dstack = new DstackStandIn(_dir.Combine("dstack.sock"), release: DstackRelease.WithoutEmitEvent);
        Directory.CreateDirectory(EventDir);

        var check = () => Backend(dstack.SocketPath).EnsureAvailableAsync(CancellationToken.None);

        (await check.Should().ThrowAsync<MeasurementException>()).Which.Message.Should()
            .Contain("runtime_event_version does not exist").And.Contain("system setup has not run");
    }

    [Theory]
    [InlineData("3")]
    [InlineData("")]
    [InlineData("v2")]
    [InlineData("1\n2")]
    [InlineData("12345678901234567")]
    public async Task Without_emit_event_a_version_dstack_would_not_accept_is_refused(string version)
    {
        using var dstack = new DstackStandIn(_dir.Combine("dstack.sock"), release: DstackRelease.WithoutEmitEvent);
        _dir.File("run-log-dstack/runtime_event_version", version);

        var check = () => Backend(dstack.SocketPath).EnsureAvailableAsync(CancellationToken.None);

        (await check.Should().ThrowAsync<MeasurementException>()).Which.Message.Should().Contain("not 1 or 2");
    }

    [Theory]
    [InlineData("2", 2)]
    [InlineData(" 1 \n", 1)]
    [InlineData("\u00a02\u2003", 2)]
    public async Task Without_emit_event_the_version_is_the_whole_file_trimmed_as_dstack_trims_it(string content, int version)
    {
        using var dstack = new DstackStandIn(_dir.Combine("dstack.sock"), release: DstackRelease.WithoutEmitEvent);
        _dir.File("run-log-dstack/runtime_event_version", content);

        var check = () => Backend(dstack.SocketPath).EnsureAvailableAsync(CancellationToken.None);

        (await check.Should().ThrowAsync<MeasurementException>()).Which.Message.Should()
            .Contain(_dir.Combine("rtmr3:sha384")).And.Contain("measurement.tdx_rtmr_path", $"version {version} was accepted and the RTMR is checked next");
    }

    [Fact]
    public async Task Without_emit_event_a_version_file_that_is_not_utf8_is_refused()
    {
        using var dstack = new DstackStandIn(_dir.Combine("dstack.sock"), release: DstackRelease.WithoutEmitEvent);
        Directory.CreateDirectory(EventDir);
        File.WriteAllBytes(Path.Combine(EventDir, "runtime_event_version"), [0xff, (byte)'1']);

        var check = () => Backend(dstack.SocketPath).EnsureAvailableAsync(CancellationToken.None);

        (await check.Should().ThrowAsync<MeasurementException>()).Which.Message.Should().Contain("not UTF-8");
    }

    [Fact]
    public async Task A_404_is_not_what_any_dstack_release_answers_and_fails_the_check()
    {
        using var dstack = new DstackStandIn(_dir.Combine("dstack.sock"), fault: stream => Raw(stream, "404 Not Found", "text/plain", "not found"));

        var check = () => Backend(dstack.SocketPath).EnsureAvailableAsync(CancellationToken.None);

        (await check.Should().ThrowAsync<MeasurementException>()).Which.Message.Should()
            .Be($"dstack at {dstack.SocketPath} answered the EmitEvent probe with HTTP 404: not found, not as dstack's guest agent answers (HTTP 400 with a JSON error)");
    }

    [Fact]
    public async Task A_redirect_is_reported_and_never_followed()
    {
        using var dstack = new DstackStandIn(_dir.Combine("dstack.sock"),
            fault: stream => Raw(stream, "307 Temporary Redirect", "text/plain", "", "location: /EmitEvent\r\n"));

        var check = () => Backend(dstack.SocketPath).EnsureAvailableAsync(CancellationToken.None);

        (await check.Should().ThrowAsync<MeasurementException>()).Which.Message.Should().Contain("HTTP 307");
        dstack.Requests.Should().ContainSingle("a redirect is never followed");
    }

    [Fact]
    public async Task An_answer_is_read_no_further_than_a_small_limit()
    {
        using var dstack = new DstackStandIn(_dir.Combine("dstack.sock"), fault: async stream =>
        {
            const long length = 5L << 30;
            await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 500 Internal Server Error\r\ncontent-type: text/plain\r\ncontent-length: {length}\r\n\r\n"));
            var chunk = Encoding.ASCII.GetBytes(new string('x', 1 << 16));
            for (long sent = 0; sent < length; sent += chunk.Length)
                await stream.WriteAsync(chunk);
        });
        var before = GC.GetTotalAllocatedBytes();

        var check = () => Backend(dstack.SocketPath).EnsureAvailableAsync(CancellationToken.None);

        (await check.Should().ThrowAsync<MeasurementException>()).Which.Message.Should().StartWith($"dstack at {dstack.SocketPath} answered the EmitEvent probe with HTTP 500: xxx");
        (GC.GetTotalAllocatedBytes() - before).Should().BeLessThan(64L << 20, "the answer is not read into memory");
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
        DstackRuntimeEvents.LogLine(new RuntimeEvent("app-id", Convert.FromHexString("deadbeef"), EventVersions.Of(version))).Should().Be(line);
    }

    [Fact]
    public void The_log_line_escapes_a_name_as_dstacks_serde_json_does()
    {
        DstackRuntimeEvents.LogLine(new RuntimeEvent("a\"b\\c\u0001é", [])).Should().Be("{\"event\":\"a\\\"b\\\\c\\u0001é\",\"payload\":\"\"}");
    }

    [Theory]
    [InlineData("dstack\n", null, DstackPlatformKind.Tdx)]
    [InlineData("qemu", "Amazon EC2", DstackPlatformKind.Tdx)]
    [InlineData("Google Compute Engine\n", null, DstackPlatformKind.GcpTdx)]
    [InlineData(null, null, DstackPlatformKind.Tdx)]
    [InlineData("Standard PC (Q35 + ICH9, 2009)", null, DstackPlatformKind.Tdx)]
    public void Auto_finds_the_platform_from_dmi_as_dstack_does(string? product, string? vendor, DstackPlatformKind expected)
    {
        var dmi = Dmi(product, vendor);

        DstackPlatform.Resolve(DstackPlatformKind.Auto, dmi, _dir.Combine("no-nsm")).Should().Be(expected);
    }

    [Theory]
    [InlineData("Nitro Enclave", null, false)]
    [InlineData("m5.large", "Amazon EC2", false)]
    [InlineData("dstack", null, true)]
    public void Where_dstack_measures_nothing_the_launcher_can_extend_auto_refuses(string? product, string? vendor, bool nsm)
    {
        var dmi = Dmi(product, vendor);
        if (nsm)
            _dir.File("nsm", "");

        var resolve = () => DstackPlatform.Resolve(DstackPlatformKind.Auto, dmi, _dir.Combine("nsm"));

        resolve.Should().Throw<MeasurementException>().Which.Message.Should().Contain("measurement.dstack_platform");
    }

    [Fact]
    public void A_stated_platform_is_taken_as_stated()
    {
        DstackPlatform.Resolve(DstackPlatformKind.GcpTdx, Dmi("dstack", null), _dir.Combine("no-nsm")).Should().Be(DstackPlatformKind.GcpTdx);
    }

    private string Dmi(string? product, string? vendor)
    {
        var dmi = Directory.CreateDirectory(_dir.Combine("dmi")).FullName;
        if (product is not null)
            File.WriteAllText(Path.Combine(dmi, "product_name"), product);
        if (vendor is not null)
            File.WriteAllText(Path.Combine(dmi, "sys_vendor"), vendor);
        return dmi;
    }

    private static async Task Raw(Stream stream, string status, string contentType, string body, string headers = "")
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 {status}\r\ncontent-type: {contentType}\r\n{headers}content-length: {bytes.Length}\r\n\r\n"));
        await stream.WriteAsync(bytes);
    }

    private DstackBackend Backend(string socket) =>
        new(socket, EventDir, _dir.Combine("rtmr3:sha384"), DstackPlatformKind.Tdx, "swtpm:host=127.0.0.1,port=9");

    public void Dispose() => _dir.Dispose();
}
