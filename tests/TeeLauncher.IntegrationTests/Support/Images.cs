using System.Text.RegularExpressions;

namespace TeeLauncher.IntegrationTests.Support;

/// <summary>A registry to push to, with the credentials it wants (none for the plain one) and the path there, if not the usual one.</summary>
public sealed record RegistryLogin(string Host, string? User = null, string? Password = null, string? Repository = null);

/// <summary>Distinct images made from the busybox root filesystem and pushed to real registries with dockerd 20.10 and its CLI.</summary>
public static partial class Images
{
    /// <summary>
    /// Imports a new image (a unique label makes its manifest digest unique), pushes it as
    /// <c>registry/repository:tag</c>, removes it locally so the launcher must pull, and returns its digest.
    /// </summary>
    public static Task<string> PushNewAsync(string registry, string repository, string tag = "latest") =>
        PushNewAsync(repository, tag, new RegistryLogin(registry));

    /// <summary>The same new image pushed to each registry, under <paramref name="repository"/> unless it names its own: one digest everywhere.</summary>
    public static async Task<string> PushNewAsync(string repository, string tag, params RegistryLogin[] registries)
    {
        var docker = DockerEngine.Engine20;
        var local = $"tee-test/push-{Guid.NewGuid():N}:{tag}";
        (await docker.DockerAsync("import", "--change", $"LABEL tee.test.id={Guid.NewGuid():N}",
            "--change", """CMD ["/bin/sleep", "3600"]""", TestEnvironment.BaseImageTar, local)).Succeeded("docker import");
        string? digest = null;
        foreach (var registry in registries)
        {
            var path = registry.Repository ?? repository;
            var remote = $"{registry.Host}/{path}:{tag}";
            (await docker.DockerAsync("tag", local, remote)).Succeeded("docker tag");
            var config = Path.Combine(Path.GetTempPath(), "tee-launcher-it", $"push-config-{Guid.NewGuid():N}");
            Directory.CreateDirectory(config);
            try
            {
                if (registry.User is not null)
                    (await docker.DockerAsync(["--config", config, "login", "--username", registry.User, "--password-stdin", registry.Host],
                        registry.Password)).Succeeded($"docker login {registry.Host}");
                (await docker.DockerAsync("--config", config, "push", remote)).Succeeded($"docker push {remote}");
            }
            finally
            {
                Directory.Delete(config, recursive: true);
            }
            var digests = (await docker.DockerAsync("image", "inspect", "--format", "{{range .RepoDigests}}{{println .}}{{end}}", remote))
                .Succeeded("docker image inspect").Out;
            var pushed = new Regex($"^{Regex.Escape(registry.Host)}/{Regex.Escape(path)}@(sha256:[0-9a-f]{{64}})$", RegexOptions.Multiline)
                .Match(digests).Groups[1].Value;
            digest ??= pushed;
            if (digest != pushed)
                throw new InvalidOperationException($"{registry.Host} has the image as {pushed}, not {digest}");
            (await docker.DockerAsync("image", "rm", remote)).Succeeded("docker image rm");
        }
        (await docker.DockerAsync("image", "rm", local)).Succeeded("docker image rm");
        return digest ?? throw new InvalidOperationException("no registry to push to");
    }

    public static async Task<bool> PresentAsync(DockerEngine engine, string pinnedReference) =>
        (await engine.DockerAsync("image", "inspect", pinnedReference)).ExitCode == 0;
}
