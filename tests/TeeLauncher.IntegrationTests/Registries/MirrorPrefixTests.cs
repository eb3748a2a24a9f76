using System.Text.Json;
using TeeLauncher.IntegrationTests.Support;

namespace TeeLauncher.IntegrationTests.Registries;

/// <summary>
/// Issue 22: a mirror that keeps the registry's repositories under a path of its own (a Harbor proxy-cache project,
/// containerd's hosts.toml with a path, CRI-O's prefix/location), against real registries with per-host htpasswd.
/// </summary>
public sealed class MirrorPrefixTests
{
    private const string OriginUser = "origin-bot";
    private const string OriginPassword = "origin-password-71fa";
    private const string MirrorUser = "cache-bot";
    private const string MirrorPassword = "cache-password-0b3d";

    [Fact]
    public async Task A_mirror_with_a_path_prefix_serves_the_prefixed_path_with_its_own_credentials()
    {
        await using var deployment = Deployment.Create("mirrorprefix", Toolchain.Debian12);
        await using var origin = await RegistryServer.StartAsync(deployment.Directory, OriginUser, OriginPassword);
        await using var cacheRegistry = await RegistryServer.StartAsync(deployment.Directory, MirrorUser, MirrorPassword);
        await using var cache = new RecordingProxy(cacheRegistry.Host);
        var onCache = $"origin-proxy/{deployment.Repository}";
        var digest = await deployment.PushApprovedAsync(
            new RegistryLogin(origin.Host, OriginUser, OriginPassword), new RegistryLogin(cacheRegistry.Host, MirrorUser, MirrorPassword, onCache));
        deployment.Config = deployment.Config with
        {
            Registries = Origin(deployment, origin.Host, $"\"{cache.Host}/origin-proxy\"") + Mirror(deployment, cache.Host),
        };
        var plan = await deployment.LauncherAsync("plan", "--json");
        var (originBefore, cacheBefore) = (origin.Log.Length, cacheRegistry.Log.Length);

        var run = await deployment.LauncherAsync("run");

        run.ExitCode.Should().Be(0, run.Error);
        plan.ExitCode.Should().Be(0, plan.Error);
        using (var planned = JsonDocument.Parse(plan.Out))
            planned.RootElement.GetProperty("sources").EnumerateArray().Select(s => s.GetProperty("reference").GetString())
                .Should().Equal($"{cache.Host}/{onCache}@{digest}", $"{origin.Host}/{deployment.Repository}@{digest}");
        (await Containers.OfProjectAsync(DockerEngine.Engine20, deployment.Config.Project)).Should().ContainSingle()
            .Which.Image.Should().Be($"{cache.Host}/{onCache}@{digest}", "the rendered file names the reference actually pulled");
        using var status = JsonDocument.Parse((await deployment.LauncherAsync("status", "--json")).Out);
        status.RootElement.GetProperty("pulled_from").GetString().Should().Be($"mirror {cache.Host}/origin-proxy");
        status.RootElement.GetProperty("image").GetString().Should().Be($"{cache.Host}/{onCache}@{digest}");
        cache.Requests.Should().Contain($"GET /v2/{onCache}/manifests/{digest}").And.NotContain(r => r.Contains($"/v2/{deployment.Repository}/"),
            "the cache is asked only for the prefixed path");
        cacheRegistry.Log[cacheBefore..].Should().MatchRegex($"msg=\"authorized request\".*{onCache}/manifests/{digest}");
        cache.BasicCredentials.Should().NotBeEmpty().And.OnlyContain(c => c == $"{MirrorUser}:{MirrorPassword}",
            "the cache gets the credentials of its host, never the origin's");
        origin.Log[originBefore..].Should().NotContain("/manifests/", "the origin is not asked when the cache serves");
    }

    [Fact]
    public async Task A_mirror_that_replaces_the_first_path_component_serves_the_rewritten_path_and_passes_others_to_the_origin()
    {
        await using var deployment = Deployment.Create("mirrorreplace", Toolchain.Debian12);
        await using var origin = await RegistryServer.StartAsync(deployment.Directory, OriginUser, OriginPassword);
        await using var cacheRegistry = await RegistryServer.StartAsync(deployment.Directory, MirrorUser, MirrorPassword);
        await using var cache = new RecordingProxy(cacheRegistry.Host);
        // it/<name> on the origin is hub/<name> on the cache.
        var onCache = $"hub/{deployment.Repository["it/".Length..]}";
        var digest = await deployment.PushApprovedAsync(
            new RegistryLogin(origin.Host, OriginUser, OriginPassword), new RegistryLogin(cacheRegistry.Host, MirrorUser, MirrorPassword, onCache));
        deployment.Config = deployment.Config with
        {
            Registries = Origin(deployment, origin.Host,
                $"{{ location = \"{cache.Host}/hub\", replaces = \"it\" }}", $"{{ location = \"{cache.Host}/never\", replaces = \"elsewhere\" }}")
                + Mirror(deployment, cache.Host),
        };

        var run = await deployment.LauncherAsync("run");

        run.ExitCode.Should().Be(0, run.Error);
        (await Containers.OfProjectAsync(DockerEngine.Engine20, deployment.Config.Project)).Should().ContainSingle()
            .Which.Image.Should().Be($"{cache.Host}/{onCache}@{digest}");
        cache.Requests.Should().Contain($"GET /v2/{onCache}/manifests/{digest}").And.NotContain(r => r.Contains("/never/"),
            "a mirror that replaces another path is no source for this image");
        cache.BasicCredentials.Should().NotBeEmpty().And.OnlyContain(c => c == $"{MirrorUser}:{MirrorPassword}");
    }

    [Fact]
    public async Task A_prefixed_mirror_without_the_image_passes_to_the_origin_and_status_names_it()
    {
        await using var deployment = Deployment.Create("mirrorprefixmiss", Toolchain.Debian12);
        await using var origin = await RegistryServer.StartAsync(deployment.Directory, OriginUser, OriginPassword);
        await using var cacheRegistry = await RegistryServer.StartAsync(deployment.Directory, MirrorUser, MirrorPassword);
        var digest = await deployment.PushApprovedAsync(new RegistryLogin(origin.Host, OriginUser, OriginPassword));
        deployment.Config = deployment.Config with
        {
            Registries = Origin(deployment, origin.Host, $"\"{cacheRegistry.Host}/origin-proxy\"") + Mirror(deployment, cacheRegistry.Host),
        };

        var run = await deployment.LauncherAsync("run");

        run.ExitCode.Should().Be(0, run.Error);
        using var status = JsonDocument.Parse((await deployment.LauncherAsync("status", "--json")).Out);
        status.RootElement.GetProperty("pulled_from").GetString().Should().Be($"origin {origin.Host}");
        status.RootElement.GetProperty("skipped_sources").EnumerateArray().Should().ContainSingle()
            .Which.GetString().Should().StartWith($"mirror {cacheRegistry.Host}/origin-proxy skipped for {deployment.Repository}: not found");
        cacheRegistry.Log.Should().Contain($"/v2/origin-proxy/{deployment.Repository}/manifests/{digest}");
    }

    private static string Origin(Deployment deployment, string host, params string[] mirrors) => $$"""
        [[registry]]
        host = "{{host}}"
        mirrors = [{{string.Join(", ", mirrors)}}]
        username = "{{OriginUser}}"
        password_file = "{{deployment.SecretFile("origin-password", OriginPassword)}}"

        """;

    private static string Mirror(Deployment deployment, string host) =>
        PrivateRegistryTests.Credentials(host, MirrorUser, deployment.SecretFile("mirror-password", MirrorPassword));
}
