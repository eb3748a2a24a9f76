using TeeLauncher.IntegrationTests.Support;

namespace TeeLauncher.IntegrationTests.Registries;

/// <summary>Issue 5, scenarios 1 and 2: real docker-registry servers with htpasswd and token authentication.</summary>
public sealed class PrivateRegistryTests
{
    private const string User = "deploy-bot";
    private const string Password = "s3cret-Pa55word!";

    [Fact]
    public async Task An_htpasswd_registry_serves_the_pull_with_username_and_password_file()
    {
        await using var deployment = Deployment.Create("htpasswd", Toolchain.Debian12);
        await using var registry = await RegistryServer.StartAsync(deployment.Directory, User, Password);
        var digest = await deployment.PushApprovedAsync(new RegistryLogin(registry.Host, User, Password));
        deployment.Config = deployment.Config with
        {
            Registries = Credentials(registry.Host, User, deployment.SecretFile("password", Password)),
        };
        var logBefore = registry.Log.Length;

        var run = await deployment.LauncherAsync("run");

        run.ExitCode.Should().Be(0, run.Error);
        (await deployment.ContainersAsync()).Should().ContainSingle()
            .Which.Image.Should().Be($"{registry.Host}/{deployment.Repository}@{digest}");
        registry.Log[logBefore..].Should().MatchRegex($"msg=\"authorized request\".*manifests/{digest}", "the pull authenticated as {0}", User);
    }

    [Fact]
    public async Task A_wrong_password_is_refused_with_exit_5_after_one_attempt()
    {
        await using var deployment = Deployment.Create("wrongpw", Toolchain.Debian12);
        await using var registry = await RegistryServer.StartAsync(deployment.Directory, User, Password);
        var digest = await deployment.PushApprovedAsync(new RegistryLogin(registry.Host, User, Password));
        deployment.Config = deployment.Config with
        {
            Attempts = 4,
            Registries = Credentials(registry.Host, User, deployment.SecretFile("password", "not-the-password")),
        };

        var run = await deployment.LauncherAsync("run");

        run.ExitCode.Should().Be(5, run.Error);
        LauncherLog.PullAttempts(run.Error).Should().Equal([1], "authentication failures are permanent: {0}", run.Error);
        run.Error.Should().Contain($"check the credentials configured for {registry.Host}");
        registry.Log.Should().Contain($"error authenticating user \\\"{User}\\\"", "the registry saw the configured user with a wrong password");
        run.Output.Should().NotContain("not-the-password", "a refused password is not printed either");
        deployment.CredentialFolders().Should().BeEmpty("the private docker config is deleted after a failed pull too");
        File.Exists(deployment.EventLog).Should().BeFalse("nothing is measured");
    }

    [Fact]
    public async Task Without_credentials_the_refusal_names_the_host_and_says_credentials_are_missing()
    {
        await using var deployment = Deployment.Create("nocreds", Toolchain.Debian12);
        await using var registry = await RegistryServer.StartAsync(deployment.Directory, User, Password);
        var digest = await deployment.PushApprovedAsync(new RegistryLogin(registry.Host, User, Password));
        deployment.Config = deployment.Config with { Attempts = 3 };

        var run = await deployment.RunWithoutDockerConfigAsync("run");

        run.ExitCode.Should().Be(5, run.Error);
        LauncherLog.PullAttempts(run.Error).Should().Equal([1]);
        run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1].Should()
            .Contain($"credentials are missing: no [[registry]] credentials are configured for {registry.Host}");
        registry.Log.Should().Contain("invalid authorization credential", "the pull reached the registry without credentials")
            .And.NotContain("error authenticating user");
    }

    [Fact]
    public async Task A_token_auth_registry_serves_the_pull_through_its_token_server()
    {
        await using var deployment = Deployment.Create("token", Toolchain.Debian12);
        using var tokens = new TokenServer(deployment.Directory, User, Password);
        await using var registry = await RegistryServer.StartTokenAuthAsync(deployment.Directory, tokens);
        var digest = await deployment.PushApprovedAsync(new RegistryLogin(registry.Host, User, Password));
        deployment.Config = deployment.Config with
        {
            Registries = Credentials(registry.Host, User, deployment.SecretFile("password", Password)),
        };
        var logBefore = registry.Log.Length;

        var run = await deployment.LauncherAsync("run");

        run.ExitCode.Should().Be(0, run.Error);
        tokens.Requests.Should().Contain($"{User} repository:{deployment.Repository}:pull");
        registry.Log[logBefore..].Should().MatchRegex($"msg=\"authorized request\".*manifests/{digest}",
            "the registry accepted a token it verified with the key named by the token's kid");
        (await deployment.ContainersAsync()).Should().ContainSingle()
            .Which.Image.Should().Be($"{registry.Host}/{deployment.Repository}@{digest}");
    }

    [Fact]
    public async Task A_token_server_that_refuses_the_password_is_exit_5_after_one_attempt()
    {
        await using var deployment = Deployment.Create("tokenwrong", Toolchain.Debian12);
        using var tokens = new TokenServer(deployment.Directory, User, Password);
        await using var registry = await RegistryServer.StartTokenAuthAsync(deployment.Directory, tokens);
        var digest = await deployment.PushApprovedAsync(new RegistryLogin(registry.Host, User, Password));
        deployment.Config = deployment.Config with
        {
            Attempts = 3,
            Registries = Credentials(registry.Host, User, deployment.SecretFile("password", "wrong-token-password")),
        };
        var requestsBefore = tokens.Requests.Count;

        var run = await deployment.LauncherAsync("run");

        run.ExitCode.Should().Be(5, run.Error);
        LauncherLog.PullAttempts(run.Error).Should().Equal([1], "a refused token is permanent: {0}", run.Error);
        run.Error.Should().Contain($"check the credentials configured for {registry.Host}");
        tokens.Requests.Skip(requestsBefore).Should().NotBeEmpty().And.OnlyContain(r => r == "refused");
        run.Output.Should().NotContain("wrong-token-password");
    }

    internal static string Credentials(string host, string user, string passwordFile) => $"""
        [[registry]]
        host = "{host}"
        username = "{user}"
        password_file = "{passwordFile}"

        """;
}
