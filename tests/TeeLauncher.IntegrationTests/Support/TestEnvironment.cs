namespace TeeLauncher.IntegrationTests.Support;

/// <summary>
/// The real dockerd, registry and software TPM started by tests/env/testenv.sh. The tests never skip:
/// without the environment they fail and say how to start it.
/// </summary>
public static class TestEnvironment
{
    public static string DockerHost => Require("DOCKER_HOST");

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
