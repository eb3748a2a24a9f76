using System.Text;
using TeeLauncher.IntegrationTests.Support;
using TeeLauncher.Testing;

namespace TeeLauncher.IntegrationTests.Measurement;

/// <summary>
/// Issue 18: the faults a real dstack CVM can have, on the stand-ins of <see cref="DstackBackendTests"/> (the agent after
/// EmitEvent was removed, commit c9191c9324a7a24ddcf9d7eea4d283b3ff842b78, which answers 400 'Service not found:
/// EmitEvent'; dstack's runtime event files as dstack-attest's emit_runtime_event uses them at that commit). Each is exit 7
/// before the pull with one line naming the path, or a clean refusal: never a hang, a crash or an unmeasured launch.
/// </summary>
public sealed class DstackFaultTests
{
    private static readonly TimeSpan NoHang = TimeSpan.FromMinutes(1);

    [Theory]
    [InlineData("runtime_event_version", "fifo", "is a FIFO (named pipe), not a regular file")]
    [InlineData("runtime_events.log", "fifo", "is a FIFO (named pipe), not a regular file")]
    [InlineData("runtime_event.lock", "fifo", "is a FIFO (named pipe), not a regular file")]
    [InlineData("runtime_event.lock", "directory", "is a directory, not a regular file")]
    [InlineData("runtime_events.log", "directory", "is a directory, not a regular file")]
    public async Task A_file_of_dstacks_protocol_that_is_not_a_regular_file_is_exit_7_before_the_pull(string file, string kind, string says)
    {
        await using var cvm = await DstackCvm.StartAsync($"dstack-{kind}-{file.Replace('_', '-').Replace(".", "")}", DstackRelease.WithoutEmitEvent);
        cvm.SystemSetup(1, boot: true);
        var path = Path.Combine(cvm.EventDir, file);
        File.Delete(path);
        if (kind == "fifo")
            (await ToolRun.RunAsync("mkfifo", [path])).Succeeded("mkfifo");
        else
            Directory.CreateDirectory(path);
        var before = cvm.Rtmr.Rtmr3;

        var run = await RunAsync(cvm);

        run.ExitCode.Should().Be(7, run.Error);
        LastLine(run).Should().Contain($"{path} {says}");
        await cvm.NothingPulledExtendedOrStartedAsync(before);
    }

    [Fact]
    public async Task A_read_only_runtime_event_directory_is_exit_7_before_the_pull()
    {
        await using var cvm = await DstackCvm.StartAsync("dstack-readonly", DstackRelease.WithoutEmitEvent);
        cvm.SystemSetup(1, boot: true);
        var dstackLines = File.ReadAllLines(cvm.DstackLog);
        var before = cvm.Rtmr.Rtmr3;
        (await ToolRun.RunAsync("mount", ["--bind", cvm.EventDir, cvm.EventDir])).Succeeded("mount --bind");
        try
        {
            (await ToolRun.RunAsync("mount", ["-o", "remount,ro,bind", cvm.EventDir])).Succeeded("mount -o remount,ro");

            var run = await RunAsync(cvm);

            run.ExitCode.Should().Be(7, run.Error);
            LastLine(run).Should().Contain($"{Path.Combine(cvm.EventDir, "runtime_event.lock")} cannot be written: Read-only file system");
            await cvm.NothingPulledExtendedOrStartedAsync(before);
        }
        finally
        {
            await ToolRun.RunAsync("umount", [cvm.EventDir]);
        }
        File.ReadAllLines(cvm.DstackLog).Should().Equal(dstackLines);
    }

    [Fact]
    public async Task An_agent_answering_a_huge_body_is_read_no_further_than_a_small_limit()
    {
        await using var cvm = await DstackCvm.StartAsync("dstack-huge", DstackRelease.WithoutEmitEvent);
        using var agent = new DstackStandIn(Path.Combine(cvm.Deployment.Directory, "huge.sock"), fault: async stream =>
        {
            const long length = 1_342_177_280;
            await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 500 Internal Server Error\r\ncontent-type: text/plain\r\ncontent-length: {length}\r\n\r\n"));
            var chunk = Encoding.ASCII.GetBytes(new string('x', 1 << 16));
            for (long sent = 0; sent < length; sent += chunk.Length)
                await stream.WriteAsync(chunk);
        });
        cvm.Deployment.Config = cvm.Deployment.Config with { MeasurementExtra = cvm.Protocol().Replace(cvm.Agent.SocketPath, agent.SocketPath) };
        var before = cvm.Rtmr.Rtmr3;

        var run = await RunAsync(cvm);

        run.ExitCode.Should().Be(7, run.Error);
        LastLine(run).Should().Contain("answered the EmitEvent probe with HTTP 500: xxx");
        await cvm.NothingPulledExtendedOrStartedAsync(before);
    }

    [Fact]
    public async Task A_redirect_from_the_agent_is_never_followed()
    {
        await using var cvm = await DstackCvm.StartAsync("dstack-redirect", DstackRelease.WithoutEmitEvent);
        using var agent = new DstackStandIn(Path.Combine(cvm.Deployment.Directory, "redirect.sock"), fault: stream =>
            stream.WriteAsync(Encoding.ASCII.GetBytes("HTTP/1.1 307 Temporary Redirect\r\nlocation: /EmitEvent\r\ncontent-length: 0\r\n\r\n")).AsTask());
        cvm.Deployment.Config = cvm.Deployment.Config with { MeasurementExtra = cvm.Protocol().Replace(cvm.Agent.SocketPath, agent.SocketPath) };
        var before = cvm.Rtmr.Rtmr3;

        var run = await RunAsync(cvm);

        run.ExitCode.Should().Be(7, run.Error);
        LastLine(run).Should().Contain("HTTP 307");
        agent.Requests.Should().ContainSingle("the redirect was not followed");
        await cvm.NothingPulledExtendedOrStartedAsync(before);
    }

    [Fact]
    public async Task A_sigterm_while_waiting_for_dstacks_lock_leaves_no_record_that_demands_a_reboot()
    {
        await using var cvm = await DstackCvm.StartAsync("dstack-term-lock", DstackRelease.WithoutEmitEvent);
        var deployment = cvm.Deployment;
        cvm.SystemSetup(1, boot: true);
        File.WriteAllText(deployment.ConfigPath, deployment.Config.Render());
        using var service = DstackTool.HoldLockThenEmit(cvm.EventDir, cvm.Rtmr.Rtmr3Path, "other-service", "c0ffee", Path.Combine(deployment.Directory, "hold"));
        await service.HeldAsync(TimeSpan.FromSeconds(30));
        var held = cvm.Rtmr.Rtmr3;

        await using (var launcher = LauncherProcess.Start(["run", "--config", deployment.ConfigPath]))
        {
            using (var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(2)))
            {
                while (!await Images.PresentAsync(DockerEngine.Engine20, deployment.Pinned(cvm.Digest)))
                    await Task.Delay(100, deadline.Token);
            }
            await Task.Delay(TimeSpan.FromSeconds(2));
            await launcher.SignalAsync("TERM");
            var stopped = await launcher.WaitAsync(NoHang);
            stopped.ExitCode.Should().Be(0, "a stop on request is not a failure (docs/spec.md §2)");
            stopped.Error.Should().Contain("stopped before the stack was started");
        }
        cvm.Rtmr.Rtmr3.Should().Equal(held, "nothing was extended while the lock was held by dstack");
        deployment.EventLogLines().Should().BeEmpty();
        var record = Path.Combine(deployment.StateDir, "measured.json");
        (File.Exists(record) ? File.ReadAllText(record) : "").Should().NotContain("\"pending\":{", "no extend may have happened");
        await service.ReleaseAsync();

        var next = await deployment.LauncherAsync("run");

        next.ExitCode.Should().Be(0, next.Error);
        DstackTool.Replay(cvm.DstackLog).Should().Be(Convert.ToHexStringLower(cvm.Rtmr.Rtmr3));
    }

    private static async Task<ToolResult> RunAsync(DstackCvm cvm)
    {
        File.WriteAllText(cvm.Deployment.ConfigPath, cvm.Deployment.Config.Render());
        await using var launcher = LauncherProcess.Start(["run", "--config", cvm.Deployment.ConfigPath]);
        return await launcher.WaitAsync(NoHang);
    }

    private static string LastLine(ToolResult run) => run.Error.TrimEnd().Split('\n')[^1];
}
