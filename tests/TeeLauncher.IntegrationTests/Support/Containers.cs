namespace TeeLauncher.IntegrationTests.Support;

public sealed record Container(string Id, string Image, string State);

/// <summary>The containers of one compose project, as dockerd reports them.</summary>
public static class Containers
{
    public static async Task<IReadOnlyList<Container>> OfProjectAsync(string project, bool all = false)
    {
        var arguments = new List<string> { "ps", "--no-trunc", "--filter", $"label=com.docker.compose.project={project}", "--format", "{{.ID}}\t{{.Image}}\t{{.State}}" };
        if (all)
            arguments.Insert(1, "--all");
        var output = (await ToolRun.RunAsync("docker", arguments)).Succeeded("docker ps").Out;
        return [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split('\t'))
            .Select(f => new Container(f[0], f[1], f[2]))];
    }

    public static async Task RemoveProjectAsync(string project)
    {
        var ids = (await OfProjectAsync(project, all: true)).Select(c => c.Id).ToList();
        if (ids.Count > 0)
            await ToolRun.RunAsync("docker", ["rm", "--force", .. ids]);
    }
}
