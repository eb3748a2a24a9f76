namespace TeeLauncher.Cli;

/// <summary>Where a command writes its results (stdout) and its diagnostics (stderr).</summary>
public sealed record CommandConsole(TextWriter Out, TextWriter Error, TextReader In)
{
    public static CommandConsole System { get; } = new(global::System.Console.Out, global::System.Console.Error, global::System.Console.In);
}
