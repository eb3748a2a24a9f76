namespace TeeLauncher.IntegrationTests.Support;

/// <summary>
/// The real dockerds (20.10 and 26), composes (1.29, 2.26, 2.40), registry and software TPM started by tests/env/testenv.sh. The tests never skip:
/// without the environment they fail and say how to start it.
/// </summary>
public static class TestEnvironment
{
    /// <summary>Debian 12's dockerd 20.10.</summary>
    public static string DockerHost => Require("DOCKER_HOST");

    /// <summary>Debian 12's docker client (20.10); the docker first on PATH may be another.</summary>
    public static string DockerCli20 => Require("TEE_TEST_DOCKER_CLI_20");

    /// <summary>Debian 13's dockerd 26, on its own socket.</summary>
    public static string DockerHost26 => Require("TEE_TEST_DOCKER_HOST_26");

    /// <summary>Debian 13's docker client (26), from the root dockerd 26 runs in.</summary>
    public static string DockerCli26 => Require("TEE_TEST_DOCKER_CLI_26");

    /// <summary>Debian 12's docker-compose 1.29 (Python).</summary>
    public static string ComposeV1 => Require("TEE_TEST_COMPOSE_V1");

    /// <summary>Debian 13's compose v2 (2.26), the one the launcher image ships.</summary>
    public static string ComposeV2_26 => Require("TEE_TEST_COMPOSE_V2_26");

    /// <summary>Debian unstable's compose v2 (2.40 when this was written).</summary>
    public static string ComposeV2_40 => Require("TEE_TEST_COMPOSE_V2_40");

    /// <summary>The plain registry on loopback, host:port.</summary>
    public static string Registry => Require("TEE_TEST_REGISTRY");

    public static string BaseImage => Require("TEE_TEST_BASE_IMAGE");

    public static string State => Require("TEE_TEST_STATE");

    public static string TpmTcti => Require("TEE_TEST_TPM_TCTI");

    public static string NodeModules => Require("TEE_TEST_NODE_MODULES");

    /// <summary>The root filesystem tar the base image was imported from, for new distinct images.</summary>
    public static string BaseImageTar => Path.Combine(State, "busybox.tar");

    /// <summary>The launcher executable built beside the tests.</summary>
    public static string Launcher => Path.Combine(AppContext.BaseDirectory, "tee-launcher");

    private static string Require(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"{name} is not set: run the tests with 'bash tests/run-tests.sh', which starts the local dockerd, registry and swtpm");
}
