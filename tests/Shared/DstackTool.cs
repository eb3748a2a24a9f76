using System.Diagnostics;

namespace TeeLauncher.Testing;

/// <summary>
/// dstack_tool.py, the tests' independent Python implementation of dstack's runtime events: the oracle replay of
/// every evidence format, and an emitter that extends and logs as a dstack service does (dstack's lock included).
/// </summary>
public static class DstackTool
{
    private static string Script => Path.Combine(AppContext.BaseDirectory, "Shared", "dstack_tool.py");

    /// <summary>RTMR3 (hex) replayed from zero over the RTMR3 entries of an evidence file.</summary>
    public static string Replay(string evidence) => Run("replay", evidence);

    /// <summary>The digest (hex) of one event in digest version 1 or 2.</summary>
    public static string Digest(string name, string payloadHex, int version, string algorithm = "sha384") =>
        Run("digest", name, payloadHex, version.ToString(), algorithm);

    /// <summary>
    /// Emits an event as a dstack service would: lock, version, extend through the attribute (and, given a TCTI, PCR 14
    /// in the sha256 bank as on GCP), log line.
    /// </summary>
    public static void Emit(string eventDirectory, string rtmrPath, string name, string payloadHex, string? tpmTcti = null) =>
        Run(["emit", eventDirectory, rtmrPath, name, payloadHex, .. tpmTcti is null ? Array.Empty<string>() : ["--tpm", tpmTcti]]);

    /// <summary>What the v0.5.11 guest agent's EmitEvent does with an event: dstack's log line, then RTMR3 (version 1, no lock).</summary>
    public static Task EmitAsV0_5_11AgentAsync(string eventDirectory, string rtmrPath, string name, string payloadHex) =>
        Task.Run(() => Run("emit-0.5.11", eventDirectory, rtmrPath, name, payloadHex));

    /// <summary>
    /// A dstack service that takes the lock and holds it until the returned holder is released, then emits its event
    /// and exits. <see cref="LockHolder.HeldAsync"/> completes once the lock is held.
    /// </summary>
    public static LockHolder HoldLockThenEmit(string eventDirectory, string rtmrPath, string name, string payloadHex, string holdFile)
    {
        File.WriteAllText(holdFile, "");
        var process = Start(["emit", eventDirectory, rtmrPath, name, payloadHex, "--hold", holdFile]);
        return new LockHolder(process, holdFile);
    }

    private static string Run(params string[] arguments)
    {
        using var python = Start(arguments);
        var output = python.StandardOutput.ReadToEnd();
        var error = python.StandardError.ReadToEnd();
        python.WaitForExit();
        return python.ExitCode == 0 ? output.Trim() : throw new InvalidOperationException($"dstack_tool.py {string.Join(' ', arguments)}: {error}");
    }

    private static Process Start(IEnumerable<string> arguments) =>
        Process.Start(new ProcessStartInfo("python3", [Script, .. arguments]) { RedirectStandardOutput = true, RedirectStandardError = true })!;

    public sealed class LockHolder(Process process, string holdFile) : IDisposable
    {
        public async Task HeldAsync(TimeSpan timeout)
        {
            using var deadline = new CancellationTokenSource(timeout);
            while (!File.Exists(holdFile + ".held"))
            {
                if (process.HasExited)
                    throw new InvalidOperationException($"the lock holder exited: {await process.StandardError.ReadToEndAsync()}");
                await Task.Delay(20, deadline.Token);
            }
        }

        /// <summary>Lets the holder emit its event and release the lock; returns once it has exited.</summary>
        public async Task ReleaseAsync()
        {
            File.Delete(holdFile);
            await process.WaitForExitAsync();
            if (process.ExitCode != 0)
                throw new InvalidOperationException($"the lock holder failed: {await process.StandardError.ReadToEndAsync()}");
        }

        public void Dispose()
        {
            if (!process.HasExited)
                process.Kill();
            process.Dispose();
        }
    }
}
