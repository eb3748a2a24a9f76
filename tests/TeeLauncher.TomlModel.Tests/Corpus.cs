namespace TeeLauncher.TomlModel.Tests;

/// <summary>The toml-test TOML 1.1 corpus copied into the repository (tests/toml-test). Missing corpus fails, never skips.</summary>
public static class Corpus
{
    public static string Root { get; } = Find();

    public static IEnumerable<string> Listed(string prefix) =>
        File.ReadLines(Path.Combine(Root, "tests", "files-toml-1.1.0"))
            .Where(l => l.StartsWith(prefix, StringComparison.Ordinal) && l.EndsWith(".toml", StringComparison.Ordinal));

    public static byte[] Read(string relative) => File.ReadAllBytes(Path.Combine(Root, "tests", relative));

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "TeeLauncher.sln")))
                return Path.Combine(dir.FullName, "tests", "toml-test");
        }
        throw new DirectoryNotFoundException("the repository root (TeeLauncher.sln) was not found above the test's output folder");
    }
}
