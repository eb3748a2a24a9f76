using System.Text;
using TeeLauncher.IntegrationTests.Support;
using TeeLauncher.Testing;

namespace TeeLauncher.IntegrationTests.Registries;

/// <summary>Issue 5, scenario 5: a password reaches docker's private config for one pull and nothing else.</summary>
public sealed class SecretsTests
{
    private const string User = "quiet-bot";
    private const string Password = "never-print-me-0b7d51";

    [Fact]
    public async Task No_output_log_state_file_plan_or_status_holds_the_password_and_no_credentials_directory_is_left()
    {
        await using var deployment = Deployment.Create("secrets", Toolchain.Debian12);
        await using var registry = await RegistryServer.StartAsync(deployment.Directory, User, Password);
        var digest = await deployment.PushApprovedAsync(new RegistryLogin(registry.Host, User, Password));
        deployment.Config = deployment.Config with
        {
            Registries = PrivateRegistryTests.Credentials(registry.Host, User, deployment.SecretFile("password", Password)),
        };

        var outputs = new List<string>();
        foreach (var command in new[] { new[] { "validate", "--json" }, ["plan", "--json"], ["plan"], ["run"], ["status", "--json"], ["status"] })
        {
            var result = await deployment.LauncherAsync(command);
            result.ExitCode.Should().Be(0, result.Error);
            outputs.Add(result.Output);
        }
        var jsonLogs = await deployment.LauncherAsync("run", "--json");
        outputs.Add(jsonLogs.Output);
        outputs.AddRange(Directory.EnumerateFiles(deployment.StateDir, "*", SearchOption.AllDirectories).Select(File.ReadAllText));

        var secrets = new[]
        {
            Password,
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{User}:{Password}")),
            Convert.ToBase64String(Encoding.UTF8.GetBytes(Password)),
        };
        foreach (var output in outputs)
            output.Should().NotContainAny(secrets);
        outputs.Should().Contain(o => o.Contains("\"credentials\""), "plan names the kind of credentials, not their value");
        deployment.CredentialFolders().Should().BeEmpty("the private docker config of the pull is deleted");
        (await deployment.ContainersAsync()).Should().ContainSingle();
    }

    [Fact]
    public async Task The_private_docker_config_of_a_pull_is_owner_only_holds_one_host_and_is_gone_after_SIGTERM()
    {
        await using var deployment = Deployment.Create("sigterm", Toolchain.Debian12);
        var digest = await deployment.PushImageAsync();
        deployment.Approve(digest);
        // A registry that accepts connections and never answers: the pull hangs with its credentials folder in place.
        using var silent = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        silent.Start();
        var host = $"127.0.0.1:{((System.Net.IPEndPoint)silent.LocalEndpoint).Port}";
        var other = $"127.0.0.1:{RegistryServer.UnusedPort()}";
        deployment.Config = deployment.Config with
        {
            Reference = $"{host}/{deployment.Repository}", AttemptTimeout = "60s",
            Registries = PrivateRegistryTests.Credentials(host, User, deployment.SecretFile("password", Password))
                + PrivateRegistryTests.Credentials(other, "other-bot", deployment.SecretFile("other-password", "other-password-5e2a")),
        };
        File.WriteAllText(deployment.ConfigPath, deployment.Config.Render());
        await using var launcher = deployment.StartRun();

        var folder = await CredentialsFolderAsync(deployment.StateDir, TimeSpan.FromSeconds(20));
        File.GetUnixFileMode(folder).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Directory.EnumerateFileSystemEntries(folder).Select(Path.GetFileName).Should().Equal("config.json");
        var configFile = Path.Combine(folder, "config.json");
        File.GetUnixFileMode(configFile).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        using (var config = System.Text.Json.JsonDocument.Parse(File.ReadAllText(configFile)))
        {
            config.RootElement.EnumerateObject().Select(p => p.Name).Should().Equal("auths");
            var auths = config.RootElement.GetProperty("auths").EnumerateObject().ToList();
            auths.Select(a => a.Name).Should().Equal([host], "only the entry of the host being pulled from");
            auths[0].Value.GetProperty("auth").GetString().Should().Be(Convert.ToBase64String(Encoding.UTF8.GetBytes($"{User}:{Password}")));
        }

        await launcher.SignalAsync("TERM");
        var stopped = await launcher.WaitAsync(TimeSpan.FromSeconds(30));

        Directory.Exists(folder).Should().BeFalse("a stopped pull deletes its credentials folder: {0}", stopped.Error);
        deployment.CredentialFolders().Should().BeEmpty();
        stopped.Output.Should().NotContain(Password);
        File.Exists(deployment.EventLog).Should().BeFalse("nothing is measured");
    }

    private static async Task<string> CredentialsFolderAsync(string stateDir, TimeSpan timeout)
    {
        string? folder = null;
        await Eventually.HoldsAsync(
            () => Directory.Exists(stateDir) && (folder = Directory.EnumerateDirectories(stateDir, "docker-config-*").FirstOrDefault()) is not null
                  && Complete(Path.Combine(folder, "config.json")),
            timeout, () => $"a credentials folder in {stateDir}", TimeSpan.FromMilliseconds(50));
        return folder!;
    }

    /// <summary>True once the launcher has finished writing the file (it parses as JSON).</summary>
    private static bool Complete(string configFile)
    {
        try
        {
            using var _ = System.Text.Json.JsonDocument.Parse(File.ReadAllText(configFile));
            return true;
        }
        catch (Exception e) when (e is IOException or System.Text.Json.JsonException)
        {
            return false;
        }
    }
}
