using System.Reflection;

namespace TeeLauncher.Values;

public static class LauncherVersion
{
    /// <summary>The version and the commit it was built from (InformationalVersion is "version+commit").</summary>
    public static string Text =>
        typeof(LauncherVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
            .Replace('+', ' ') ?? "unknown";
}
