using System.Text;
using TeeLauncher.IntegrationTests.Support;

namespace TeeLauncher.IntegrationTests.Registries;

/// <summary>Issue 5, scenario 5: a password reaches docker's private config for one pull and nothing else.</summary>
public sealed class SecretsTests
{
    private const string User = "quiet-bot";
    private const string Password = "never-print-me-0b7d51";

    [Fact]
    public async Task No_output_log_state_file_plan_or_status_holds_the_password_and_no_credentials_directory_is_left()
    {
        await using var deployment = Deployment.Create("secrets");
        await using var registry = await RegistryServer.StartAsync(deployment.Directory, User, Password);
        var digest = await Images.PushNewAsync(deployment.Repository, "v1", new RegistryLogin(registry.Host, User, Password));
        deployment.Approve(digest);
        deployment.Config = deployment.Config with
        {
            Reference = $"{registry.Host}/{deployment.Repository}",
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
        Directory.EnumerateDirectories(deployment.StateDir).Should().BeEmpty("the private docker config of the pull is deleted");
        (await Containers.OfProjectAsync(deployment.Config.Project)).Should().ContainSingle();
    }
}
