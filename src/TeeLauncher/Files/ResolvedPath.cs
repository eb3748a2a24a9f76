namespace TeeLauncher.Files;

/// <summary>
/// A path with every symbolic link in it resolved, as realpath(3) does, except that components that do not exist yet are
/// kept as written: a rule about where a file lies is judged on where it really is (docs/spec.md §3).
/// </summary>
public static class ResolvedPath
{
    /// <summary>Linux's limit of links followed in one lookup (ELOOP past it).</summary>
    private const int MaxLinks = 40;

    public static string Of(string path)
    {
        var links = 0;
        return Resolve(Path.GetFullPath(path), ref links);
    }

    private static string Resolve(string fullPath, ref int links)
    {
        var current = "/";
        foreach (var component in fullPath.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (component == "..")
            {
                current = Path.GetDirectoryName(current) ?? "/";
                continue;
            }
            var next = Path.Join(current, component);
            string? target;
            try
            {
                target = new FileInfo(next).LinkTarget;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                target = null;
            }
            if (target is null || ++links > MaxLinks)
            {
                current = next;
                continue;
            }
            current = Resolve(Path.GetFullPath(target, current), ref links);
        }
        return current;
    }
}
