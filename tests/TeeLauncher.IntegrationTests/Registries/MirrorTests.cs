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
        await using var deployment = Deployment.Create("mirrors", Toolchain.Debian12);
        await using var origin = await RegistryServer.StartAsync(deployment.Directory, OriginUser, OriginPassword);
        await using var emptyMirrorRegistry = await RegistryServer.StartAsync(deployment.Directory, MirrorUser, MirrorPassword);
        await using var emptyMirror = new RecordingProxy(emptyMirrorRegistry.Host);
        var downMirror = $"127.0.0.1:{RegistryServer.UnusedPort()}";
        var digest = await deployment.PushApprovedAsync(new RegistryLogin(origin.Host, OriginUser, OriginPassword));
        deployment.Config = deployment.Config with
        {
            Registries = Origin(deployment, origin.Host, downMirror, emptyMirror.Host) + Mirror(deployment, emptyMirror.Host),
        };

        var run = await deployment.LauncherAsync("run");

        run.ExitCode.Should().Be(0, run.Error);
        run.Error.Should().Contain($"mirror {downMirror}").And.Contain($"mirror {emptyMirror.Host}").And.Contain($"origin {origin.Host}");
        var down = run.Error.IndexOf($"from mirror {downMirror}", StringComparison.Ordinal);
        var empty = run.Error.IndexOf($"from mirror {emptyMirror.Host}", StringComparison.Ordinal);
        var pulled = run.Error.IndexOf($"from origin {origin.Host}", StringComparison.Ordinal);
        down.Should().BeGreaterThanOrEqualTo(0, run.Error);
        empty.Should().BeGreaterThan(down, "the mirrors are tried in their configured order: {0}", run.Error);
        pulled.Should().BeGreaterThan(empty, "the origin comes last: {0}", run.Error);
        using var status = JsonDocument.Parse((await deployment.LauncherAsync("status", "--json")).Out);
        status.RootElement.GetProperty("pulled_from").GetString().Should().Contain(origin.Host);
        var skipped = status.RootElement.GetProperty("skipped_sources").EnumerateArray().Select(s => s.GetString()!).ToList();
        skipped.Should().HaveCount(2);
        skipped[0].Should().Contain(downMirror).And.Contain("network");
        skipped[1].Should().Contain(emptyMirror.Host).And.Contain("not found");
        emptyMirror.Requests.Should().Contain($"GET /v2/{deployment.Repository}/manifests/{digest}", "the empty mirror was asked for the digest");
        emptyMirror.BasicCredentials.Should().NotBeEmpty().And.OnlyContain(c => c == $"{MirrorUser}:{MirrorPassword}",
            "the mirror is offered its own credentials and never the origin's");
        (await deployment.ContainersAsync()).Should().ContainSingle()
            .Which.Image.Should().Be($"{origin.Host}/{deployment.Repository}@{digest}");
    }

    [Fact]
    public async Task A_mirror_with_the_image_serves_it_with_its_own_credentials_and_the_origin_is_not_asked()
    {
        await using var deployment = Deployment.Create("mirrorhit", Toolchain.Debian12);
        await using var origin = await RegistryServer.StartAsync(deployment.Directory, OriginUser, OriginPassword);
        await using var mirrorRegistry = await RegistryServer.StartAsync(deployment.Directory, MirrorUser, MirrorPassword);
        await using var mirror = new RecordingProxy(mirrorRegistry.Host);
        var digest = await deployment.PushApprovedAsync(new RegistryLogin(origin.Host, OriginUser, OriginPassword), new RegistryLogin(mirrorRegistry.Host, MirrorUser, MirrorPassword));
        deployment.Config = deployment.Config with
        {
            Registries = Origin(deployment, origin.Host, mirror.Host) + Mirror(deployment, mirror.Host),
        };
        var (originBefore, mirrorBefore) = (origin.Log.Length, mirrorRegistry.Log.Length);

        var run = await deployment.LauncherAsync("run");

        run.ExitCode.Should().Be(0, run.Error);
        (await deployment.ContainersAsync()).Should().ContainSingle()
            .Which.Image.Should().Be($"{mirror.Host}/{deployment.Repository}@{digest}", "the rendered file names the reference actually pulled");
        run.Error.Should().NotContain($"origin {origin.Host}");
        origin.Log[originBefore..].Should().NotContain("/manifests/", "the origin is not asked when a mirror serves");
        var mirrorLog = mirrorRegistry.Log[mirrorBefore..];
        mirrorLog.Should().Contain($"/v2/{deployment.Repository}/manifests/{digest}");
        mirrorLog.Should().MatchRegex($"msg=\"authorized request\".*manifests/{digest}",
            "the mirror, which knows only {0}, accepted the credentials of the pull", MirrorUser);
        mirrorLog.Should().NotContain("authentication failure", "no other credentials (the origin's) were offered to the mirror");
        mirrorLog.Should().NotContain(OriginUser);
        mirror.BasicCredentials.Should().NotBeEmpty().And.OnlyContain(c => c == $"{MirrorUser}:{MirrorPassword}",
            "every Authorization header that reached the mirror carries the mirror's own credentials");
        string.Concat(mirror.Sent).Should().NotContain(OriginPassword).And.NotContain(OriginUser);
    }

    [Fact]
    public async Task A_mirror_without_credentials_of_its_own_gets_none_refuses_and_the_origin_serves()
    {
        await using var deployment = Deployment.Create("mirrornocreds", Toolchain.Debian12);
        await using var origin = await RegistryServer.StartAsync(deployment.Directory, OriginUser, OriginPassword);
        await using var mirrorRegistry = await RegistryServer.StartAsync(deployment.Directory, MirrorUser, MirrorPassword);
        await using var mirror = new RecordingProxy(mirrorRegistry.Host);
        var digest = await deployment.PushApprovedAsync(new RegistryLogin(origin.Host, OriginUser, OriginPassword), new RegistryLogin(mirrorRegistry.Host, MirrorUser, MirrorPassword));
        // Only the origin has credentials: the launcher must not lend them to the mirror, which has the image.
        deployment.Config = deployment.Config with
        {
            Registries = Origin(deployment, origin.Host, mirror.Host),
        };
        var mirrorBefore = mirrorRegistry.Log.Length;

        var run = await deployment.RunWithoutDockerConfigAsync("run");

        run.ExitCode.Should().Be(0, run.Error);
        run.Error.Should().Contain($"mirror {mirror.Host}").And.Contain($"origin {origin.Host}");
        using var status = JsonDocument.Parse((await deployment.LauncherAsync("status", "--json")).Out);
        status.RootElement.GetProperty("skipped_sources").EnumerateArray().Select(s => s.GetString()!).Should().ContainSingle()
            .Which.Should().Contain(mirror.Host).And.Contain("authentication");
        (await deployment.ContainersAsync()).Should().ContainSingle()
            .Which.Image.Should().Be($"{origin.Host}/{deployment.Repository}@{digest}");
        mirror.Requests.Should().NotBeEmpty("the mirror was tried first");
        mirror.AuthorizationHeaders.Should().BeEmpty("no credentials at all reached the mirror");
        string.Concat(mirror.Sent).Should().NotContain(OriginPassword);
        var mirrorLog = mirrorRegistry.Log[mirrorBefore..];
        mirrorLog.Should().Contain("invalid authorization credential", "the mirror saw requests without credentials");
        mirrorLog.Should().NotContain("error authenticating user").And.NotContain("authorized request");
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
