namespace TeeLauncher.IntegrationTests.Support;

public sealed record Container(string Id, string Image, string State);

/// <summary>The containers of one compose project, as an engine reports them.</summary>
public static class Containers
{
    public static async Task<IReadOnlyList<Container>> OfProjectAsync(DockerEngine engine, string project, bool all = false)
    {
        var arguments = new List<string> { "ps", "--no-trunc", "--filter", $"label=com.docker.compose.project={project}", "--format", "{{.ID}}\t{{.Image}}\t{{.State}}" };
        if (all)
            arguments.Insert(1, "--all");
        var output = (await engine.DockerAsync(arguments, stdin: null)).Succeeded("docker ps").Out;
        return [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split('\t'))
            .Select(f => new Container(f[0], f[1], f[2]))];
    }

    public static async Task RemoveProjectAsync(DockerEngine engine, string project)
    {
        var ids = (await OfProjectAsync(engine, project, all: true)).Select(c => c.Id).ToList();
        if (ids.Count > 0)
            await engine.DockerAsync(["rm", "--force", .. ids]);
    }
}
