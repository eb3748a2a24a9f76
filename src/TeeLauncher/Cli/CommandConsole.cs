using System.Text;

namespace TeeLauncher.Cli;

/// <summary>Where a command writes its results (stdout) and its diagnostics (stderr).</summary>
public sealed record CommandConsole(TextWriter Out, TextWriter Error, TextReader In)
{
    public static CommandConsole System { get; } = new(StandardOutput(), global::System.Console.Error, global::System.Console.In);

    /// <summary>
    /// Standard output flushed after every write, as <see cref="global::System.Console.Out"/> is, but through a 64 KiB
    /// buffer instead of its 256 characters: verify's report of a million events would otherwise be a million system calls.
    /// </summary>
    private static TextWriter StandardOutput() =>
        TextWriter.Synchronized(new StreamWriter(global::System.Console.OpenStandardOutput(), new UTF8Encoding(false), 1 << 16) { AutoFlush = true });
}
