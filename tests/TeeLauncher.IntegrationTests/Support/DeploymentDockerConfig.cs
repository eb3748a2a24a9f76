namespace TeeLauncher.IntegrationTests.Support;

public static class DeploymentDockerConfig
{
    /// <summary>
    /// Runs one launcher command with <c>DOCKER_CONFIG</c> set to an empty folder of the deployment, so docker's own
    /// configuration of the environment (docs/spec.md §6.3, the third source of credentials) holds nothing: a host without
    /// launcher credentials is pulled from anonymously, whatever the machine's <c>~/.docker</c> holds. (The toolchain's
    /// compose plugin, when it has one, is the folder's only content.)
    /// </summary>
    public static Task<ToolResult> RunWithoutDockerConfigAsync(this Deployment deployment, params string[] arguments)
    {
        var empty = deployment.Toolchain.DockerConfig(Path.Combine(deployment.Directory, "empty-docker-config"));
        return deployment.LauncherAsync(arguments, new Dictionary<string, string?> { ["DOCKER_CONFIG"] = empty });
    }
}
