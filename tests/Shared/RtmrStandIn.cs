using System.Diagnostics;
using System.Security.Cryptography;

namespace TeeLauncher.Testing;

/// <summary>
/// Stands in for the kernel's TDX RTMR sysfs attributes, which exist only inside a TDX guest: a FUSE file system
/// (rtmr_fuse.py, Debian's python3-fusepy) mounted like <c>/sys/devices/virtual/misc/tdx_guest/measurements</c>,
/// with the kernel's semantics: a read returns the 48-byte register, one 48-byte write at offset 0 extends it,
/// anything else is EINVAL. Control files make the next writes short, moved by another party, or paused.
/// </summary>
public sealed class RtmrStandIn : IAsyncDisposable
{
    private readonly Process _fuse;
    private readonly string _control;

    private RtmrStandIn(string directory, Process fuse, string control) =>
        (MeasurementsDirectory, _fuse, _control) = (directory, fuse, control);

    /// <summary>The mounted directory, as a container would get the measurements directory.</summary>
    public string MeasurementsDirectory { get; }

    public string Rtmr3Path => Path.Combine(MeasurementsDirectory, "rtmr3:sha384");

    /// <summary>RTMR3 as the stand-in's reads return it.</summary>
    public byte[] Rtmr3
    {
        get
        {
            using var handle = File.OpenHandle(Rtmr3Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            var register = new byte[48];
            return RandomAccess.Read(handle, register, 0) == 48 ? register : throw new InvalidOperationException("RTMR3 read short");
        }
    }

    public static async Task<RtmrStandIn> MountAsync(string directory)
    {
        var mountpoint = Path.Combine(directory, "measurements");
        var control = Path.Combine(directory, "rtmr-control");
        Directory.CreateDirectory(mountpoint);
        Directory.CreateDirectory(control);
        var script = Path.Combine(AppContext.BaseDirectory, "Shared", "rtmr_fuse.py");
        var fuse = Process.Start(new ProcessStartInfo("/usr/bin/python3", [script, mountpoint, control])
        {
            RedirectStandardError = true, RedirectStandardOutput = true,
        })!;
        var standIn = new RtmrStandIn(mountpoint, fuse, control);
        for (var waited = 0; !File.Exists(standIn.Rtmr3Path); waited++)
        {
            if (fuse.HasExited || waited > 200)
                throw new InvalidOperationException($"rtmr_fuse.py did not mount {mountpoint}: {await fuse.StandardError.ReadToEndAsync()}");
            await Task.Delay(50);
        }
        return standIn;
    }

    /// <summary>SHA384 extends of <paramref name="digests"/> from zero: what RTMR3 holds after exactly those writes.</summary>
    public static byte[] Replay(IEnumerable<byte[]> digests) =>
        digests.Aggregate(new byte[48], (register, digest) => SHA384.HashData([.. register, .. digest]));

    /// <summary>Another party extends RTMR3 right after each write: the register moves under the writer.</summary>
    public bool Interfere { set => Flag("interfere", value); }

    /// <summary>Each write takes half of its bytes and extends nothing.</summary>
    public bool ShortWrites { set => Flag("short", value); }

    /// <summary>Each write extends, then waits until <see cref="Resume"/>: the moment between extend and log line.</summary>
    public void PauseAfterExtend() => Flag("pause", true);

    public void Resume() => Flag("pause", false);

    public Task WaitUntilPausedAsync(TimeSpan timeout) =>
        Eventually.HoldsAsync(() => File.Exists(Path.Combine(_control, "paused")), timeout, () => "the RTMR stand-in to pause after an extend");

    private void Flag(string name, bool on)
    {
        var path = Path.Combine(_control, name);
        if (on)
            File.WriteAllText(path, "");
        else
            File.Delete(path);
    }

    public async ValueTask DisposeAsync()
    {
        Resume();
        using (var unmount = Process.Start("fusermount3", ["-u", "-z", MeasurementsDirectory]))
            await unmount.WaitForExitAsync();
        if (!_fuse.WaitForExit(10_000))
            _fuse.Kill();
        _fuse.Dispose();
    }
}
