using TeeLauncher.Testing;

namespace TeeLauncher.IntegrationTests.Support;

/// <summary>
/// A deployment on a dstack CVM as far as it can be had here: the guest agent's stand-in (<see cref="DstackStandIn"/>, of the
/// given release, written from dstack's source), the RTMR3 attribute's (<see cref="RtmrStandIn"/>, FUSE with the kernel's
/// semantics), dstack's runtime event directory, and dstack's own services played by <see cref="DstackTool"/>.
/// </summary>
public sealed class DstackCvm : IAsyncDisposable
{
    private DstackCvm(Deployment deployment, string digest, DstackStandIn agent, RtmrStandIn rtmr, string eventDir) =>
        (Deployment, Digest, Agent, Rtmr, EventDir) = (deployment, digest, agent, rtmr, eventDir);

    public Deployment Deployment { get; }

    public string Digest { get; }

    public DstackStandIn Agent { get; }

    public RtmrStandIn Rtmr { get; }

    /// <summary>dstack's /run/log/dstack.</summary>
    public string EventDir { get; }

    public string DstackLog => Path.Combine(EventDir, "runtime_events.log");

    /// <summary>
    /// A pushed, approved image and a CVM whose agent is of <paramref name="release"/>; the v0.5.11 agent's EmitEvent does what
    /// that release's emit_runtime_event does (dstack's log line, then RTMR3).
    /// </summary>
    public static async Task<DstackCvm> StartAsync(string name, DstackRelease release, Func<string, string, Task>? onEvent = null)
    {
        var deployment = Deployment.Create(name, Toolchain.Debian12);
        var digest = await deployment.PushImageAsync();
        deployment.Approve(digest);
        var eventDir = Directory.CreateDirectory(Path.Combine(deployment.Directory, "run-log-dstack")).FullName;
        var rtmr = await RtmrStandIn.MountAsync(deployment.Directory);
        var agent = new DstackStandIn(Path.Combine(deployment.Directory, "dstack.sock"), async (name, payload) =>
        {
            if (onEvent is not null)
                await onEvent(name, payload);
            await DstackTool.EmitAsV0_5_11AgentAsync(eventDir, rtmr.Rtmr3Path, name, payload);
        }, release);
        var cvm = new DstackCvm(deployment, digest, agent, rtmr, eventDir);
        deployment.Config = deployment.Config with { Platform = "tee", Backend = "dstack", MeasurementExtra = cvm.Protocol() };
        return cvm;
    }

    /// <summary>What dstack's system setup leaves behind: the version file and, on a booted CVM, its own events (on GCP also in PCR 14).</summary>
    public void SystemSetup(int version, bool boot, string? tpmTcti = null)
    {
        File.WriteAllText(Path.Combine(EventDir, "runtime_event_version"), version.ToString());
        if (!boot)
            return;
        foreach (var (name, payload) in new[] { ("system-preparing", ""), ("app-id", new string('a', 40)), ("compose-hash", new string('c', 64)), ("system-ready", "") })
            DstackTool.Emit(EventDir, Rtmr.Rtmr3Path, name, payload, tpmTcti);
    }

    /// <summary>The measurement keys that point the launcher at this CVM.</summary>
    public string Protocol(string extra = "") =>
        $"dstack_socket = \"{Agent.SocketPath}\"\ndstack_event_dir = \"{EventDir}\"\ntdx_rtmr_path = \"{Rtmr.Rtmr3Path}\"\n{extra}";

    /// <summary>A refused boot: the image was not pulled, RTMR3 still holds <paramref name="rtmr3Before"/>, no container of the project exists.</summary>
    public async Task NothingPulledExtendedOrStartedAsync(byte[] rtmr3Before)
    {
        (await Images.PresentAsync(DockerEngine.Engine20, Deployment.Pinned(Digest))).Should().BeFalse("the check comes before the pull");
        Rtmr.Rtmr3.Should().Equal(rtmr3Before, "nothing was extended");
        (await Containers.OfProjectAsync(DockerEngine.Engine20, Deployment.Config.Project, all: true)).Should().BeEmpty();
    }

    public async ValueTask DisposeAsync()
    {
        await Rtmr.DisposeAsync();
        Agent.Dispose();
        await Deployment.DisposeAsync();
    }
}
