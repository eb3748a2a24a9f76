namespace TeeLauncher.Toml.Tests;

/// <summary>The toml-test corpus in ../shared/toml-test beside the repository. Missing corpus fails, never skips.</summary>
public static class Corpus
{
    public static string Root { get; } = Find();

    public static IEnumerable<string> Listed(string prefix) =>
        File.ReadLines(Path.Combine(Root, "tests", "files-toml-1.0.0"))
            .Where(l => l.StartsWith(prefix, StringComparison.Ordinal) && l.EndsWith(".toml", StringComparison.Ordinal));

    public static byte[] Read(string relative) => File.ReadAllBytes(Path.Combine(Root, "tests", relative));

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "toml-test");
            if (Directory.Exists(candidate))
                return candidate;
        }
        throw new DirectoryNotFoundException("the toml-test corpus (../shared/toml-test beside the repository) was not found");
    }
}
