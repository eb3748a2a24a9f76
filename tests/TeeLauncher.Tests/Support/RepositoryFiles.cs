namespace TeeLauncher.Tests.Support;

/// <summary>Files of the repository, found from the test's output folder. Missing ones fail the test.</summary>
public static class RepositoryFiles
{
    public static string Root { get; } = FindRoot();

    public static string InRepository(params string[] parts) => Existing(Path.Combine([Root, .. parts]));

    private static string Existing(string path) =>
        File.Exists(path) ? path : throw new FileNotFoundException($"{path} was not found in the repository", path);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "TeeLauncher.sln")))
                return dir.FullName;
        }
        throw new DirectoryNotFoundException("the repository root (TeeLauncher.sln) was not found");
    }
}
