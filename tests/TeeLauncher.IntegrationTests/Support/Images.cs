using System.Text.RegularExpressions;

namespace TeeLauncher.IntegrationTests.Support;

/// <summary>Distinct images made from the busybox root filesystem and pushed to a real registry.</summary>
public static partial class Images
{
    /// <summary>
    /// Imports a new image (a unique label makes its manifest digest unique), pushes it as
    /// <c>registry/repository:tag</c>, removes it locally so the launcher must pull, and returns its digest.
    /// </summary>
    public static async Task<string> PushNewAsync(string registry, string repository, string tag = "latest")
    {
        var local = $"{registry}/{repository}:{tag}";
        (await ToolRun.DockerAsync("import", "--change", $"LABEL tee.test.id={Guid.NewGuid():N}",
            "--change", """CMD ["/bin/sleep", "3600"]""", TestEnvironment.BaseImageTar, local)).Succeeded("docker import");
        (await ToolRun.DockerAsync("push", local)).Succeeded($"docker push {local}");
        var digests = (await ToolRun.DockerAsync("image", "inspect", "--format", "{{range .RepoDigests}}{{println .}}{{end}}", local))
            .Succeeded("docker image inspect").Out;
        var digest = DigestOf().Match(digests).Groups[1].Value;
        (await ToolRun.DockerAsync("image", "rm", local)).Succeeded("docker image rm");
        return digest;
    }

    public static async Task<bool> PresentAsync(string pinnedReference) =>
        (await ToolRun.DockerAsync("image", "inspect", pinnedReference)).ExitCode == 0;

    public static Task RemoveAsync(string pinnedReference) => ToolRun.DockerAsync("image", "rm", "--force", pinnedReference);

    [GeneratedRegex("@(sha256:[0-9a-f]{64})")]
    private static partial Regex DigestOf();
}
