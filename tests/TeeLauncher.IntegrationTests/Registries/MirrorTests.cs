using System.Text.Json;
using TeeLauncher.IntegrationTests.Support;

namespace TeeLauncher.IntegrationTests.Registries;

/// <summary>Issue 5, scenario 4: mirrors then origin, digests only, each host with its own credentials.</summary>
public sealed class MirrorTests
{
    private const string OriginUser = "origin-bot";
    private const string OriginPassword = "origin-password-9c1e";
    private const string MirrorUser = "mirror-bot";
    private const string MirrorPassword = "mirror-password-44d0";

    [Fact]
    public async Task A_down_mirror_and_a_mirror_without_the_image_pass_to_the_origin()
    {
        await using var deployment = Deployment.Create("mirrors");
        await using var origin = await RegistryServer.StartAsync(deployment.Directory, OriginUser, OriginPassword);
        await using var emptyMirror = await RegistryServer.StartAsync(deployment.Directory, MirrorUser, MirrorPassword);
        var downMirror = $"127.0.0.1:{RegistryServer.UnusedPort()}";
        var digest = await Images.PushNewAsync(deployment.Repository, "v1", new RegistryLogin(origin.Host, OriginUser, OriginPassword));
        deployment.Approve(digest);
        deployment.Config = deployment.Config with
        {
            Reference = $"{origin.Host}/{deployment.Repository}",
            Registries = Origin(deployment, origin.Host, downMirror, emptyMirror.Host) + Mirror(deployment, emptyMirror.Host),
        };

        var run = await deployment.LauncherAsync("run");

        run.ExitCode.Should().Be(0, run.Error);
        run.Error.Should().Contain($"mirror {downMirror}").And.Contain($"mirror {emptyMirror.Host}").And.Contain($"origin {origin.Host}");
        using var status = JsonDocument.Parse((await deployment.LauncherAsync("status", "--json")).Out);
        status.RootElement.GetProperty("pulled_from").GetString().Should().Contain(origin.Host);
        var skipped = status.RootElement.GetProperty("skipped_sources").EnumerateArray().Select(s => s.GetString()!).ToList();
        skipped.Should().HaveCount(2);
        skipped[0].Should().Contain(downMirror);
        skipped[1].Should().Contain(emptyMirror.Host).And.Contain("not found");
        (await Containers.OfProjectAsync(deployment.Config.Project)).Should().ContainSingle()
            .Which.Image.Should().Be($"{origin.Host}/{deployment.Repository}@{digest}");
    }

    [Fact]
    public async Task A_mirror_with_the_image_serves_it_with_its_own_credentials_and_the_origin_is_not_asked()
    {
        await using var deployment = Deployment.Create("mirrorhit");
        await using var origin = await RegistryServer.StartAsync(deployment.Directory, OriginUser, OriginPassword);
        await using var mirror = await RegistryServer.StartAsync(deployment.Directory, MirrorUser, MirrorPassword);
        var digest = await Images.PushNewAsync(deployment.Repository, "v1",
            new RegistryLogin(origin.Host, OriginUser, OriginPassword), new RegistryLogin(mirror.Host, MirrorUser, MirrorPassword));
        deployment.Approve(digest);
        deployment.Config = deployment.Config with
        {
            Reference = $"{origin.Host}/{deployment.Repository}",
            Registries = Origin(deployment, origin.Host, mirror.Host) + Mirror(deployment, mirror.Host),
        };
        var (originBefore, mirrorBefore) = (origin.Log.Length, mirror.Log.Length);

        var run = await deployment.LauncherAsync("run");

        run.ExitCode.Should().Be(0, run.Error);
        (await Containers.OfProjectAsync(deployment.Config.Project)).Should().ContainSingle()
            .Which.Image.Should().Be($"{mirror.Host}/{deployment.Repository}@{digest}", "the rendered file names the reference actually pulled");
        origin.Log[originBefore..].Should().NotContain("/manifests/", "the origin is not asked when a mirror serves");
        var mirrorLog = mirror.Log[mirrorBefore..];
        mirrorLog.Should().Contain($"/v2/{deployment.Repository}/manifests/{digest}");
        mirrorLog.Should().MatchRegex($"msg=\"authorized request\".*manifests/{digest}",
            "the mirror, which knows only {0}, accepted the credentials of the pull", MirrorUser);
        mirrorLog.Should().NotContain("authentication failure", "no other credentials (the origin's) were offered to the mirror");
        mirrorLog.Should().NotContain(OriginUser);
    }

    private static string Origin(Deployment deployment, string host, params string[] mirrors) => $$"""
        [[registry]]
        host = "{{host}}"
        mirrors = [{{string.Join(", ", mirrors.Select(m => $"\"{m}\""))}}]
        username = "{{OriginUser}}"
        password_file = "{{deployment.SecretFile("origin-password", OriginPassword)}}"

        """;

    private static string Mirror(Deployment deployment, string host) =>
        PrivateRegistryTests.Credentials(host, MirrorUser, deployment.SecretFile("mirror-password", MirrorPassword));
}
