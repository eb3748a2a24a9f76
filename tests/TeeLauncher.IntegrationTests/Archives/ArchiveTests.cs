using System.Formats.Tar;
using System.Text.Json;
using TeeLauncher.IntegrationTests.Support;

namespace TeeLauncher.IntegrationTests.Archives;

/// <summary>
/// Issue 22: a boot without a registry launches from a local OCI archive (skopeo's oci-archive tar or OCI directory),
/// loaded through a loopback docker-registry so docker records the repo digest as after a pull; hostile archives load nothing.
/// </summary>
public sealed class ArchiveTests
{
    [Fact]
    public async Task An_air_gapped_first_boot_launches_from_the_archive_with_the_measurement_of_a_pull()
    {
        await using var deployment = Deployment.Create("archive", Toolchain.Debian12);
        var archive = Path.Combine(deployment.Directory, "node.tar");
        var digest = await OciArchives.WriteAsync(deployment.Repository, archive);
        var port = RegistryServer.UnusedPort();
        var unreachable = $"127.0.0.1:{RegistryServer.UnusedPort()}";
        deployment.Approve(digest);
        deployment.Config = deployment.Config with
        {
            Reference = $"{unreachable}/{deployment.Repository}",
            ImageExtra = $"archives = [\"{archive}\"]\n",
            PullExtra = $"archive_port = {port}\n",
        };
        var loaded = $"127.0.0.1:{port}/{deployment.Repository}@{digest}";

        var plan = await deployment.LauncherAsync("plan", "--json");
        var run = await deployment.LauncherAsync("run");

        run.ExitCode.Should().Be(0, run.Error);
        plan.ExitCode.Should().Be(0, plan.Error);
        using (var planned = JsonDocument.Parse(plan.Out))
            planned.RootElement.GetProperty("sources").EnumerateArray()
                .Select(s => (s.GetProperty("source").GetString(), s.GetProperty("reference").GetString()))
                .Should().Equal(($"origin {unreachable}", $"{unreachable}/{deployment.Repository}@{digest}"), ($"archive {archive}", loaded));
        run.Error.Should().Contain($"from origin {unreachable}", "the registry is tried first").And.Contain($"Archive {archive} holds {digest}");
        using var status = JsonDocument.Parse((await deployment.LauncherAsync("status", "--json")).Out);
        status.RootElement.GetProperty("pulled_from").GetString().Should().Be($"archive {archive}");
        status.RootElement.GetProperty("image").GetString().Should().Be(loaded);
        (await Containers.OfProjectAsync(DockerEngine.Engine20, deployment.Config.Project)).Should().ContainSingle().Which.Image.Should().Be(loaded);
        (await DockerEngine.Engine20.DockerAsync("image", "inspect", "--format", "{{json .RepoDigests}}", loaded)).Succeeded("docker image inspect").Out
            .Should().Contain(loaded, "docker records the repo digest exactly as after a pull");
        var measured = (await LauncherProcess.RunAsync(["measure", "--digest", digest, "--event-name", "image-digest", "--json"])).Out;
        using var predicted = JsonDocument.Parse(measured);
        var imageEvent = predicted.RootElement.GetProperty("events")[0].GetProperty("digest").GetString();
        deployment.EventLogLines()[0].Should().Contain($"\"digest\":\"{imageEvent}\"", "the image event is the one a pull of the same digest gives");
        Directory.Exists(Path.Combine(deployment.StateDir, "archive-registry")).Should().BeFalse("the loopback registry's storage is removed");
    }

    [Fact]
    public async Task A_sidecar_comes_from_an_oci_directory_when_its_registry_is_down()
    {
        await using var deployment = Deployment.Create("archiveside", Toolchain.Debian12);
        var mainDigest = await deployment.PushImageAsync();
        deployment.Approve(mainDigest);
        var sideLayout = Path.Combine(deployment.Directory, "side-layout");
        var sideDigest = await OciArchives.WriteAsync($"{deployment.Repository}-side", sideLayout, directory: true);
        var unreachable = $"127.0.0.1:{RegistryServer.UnusedPort()}";
        var port = RegistryServer.UnusedPort();
        deployment.WriteTemplate($$"""
            version: "2.4"
            services:
              app:
                image: ${TEE_LAUNCHER_IMAGE}
                network_mode: none
                command: ["/bin/sleep", "3600"]
              side:
                image: {{unreachable}}/{{deployment.Repository}}-side@{{sideDigest}}
                network_mode: none
                command: ["/bin/sleep", "3600"]
            """);
        deployment.Config = deployment.Config with
        {
            Attempts = 1,
            ImageExtra = $"archives = [\"{sideLayout}\"]\n",
            PullExtra = $"archive_port = {port}\n",
        };

        var run = await deployment.LauncherAsync("run");

        run.ExitCode.Should().Be(0, run.Error);
        (await Containers.OfProjectAsync(DockerEngine.Engine20, deployment.Config.Project)).Select(c => c.Image).Should().BeEquivalentTo(
            deployment.Pinned(mainDigest), $"127.0.0.1:{port}/{deployment.Repository}-side@{sideDigest}");
        using var status = JsonDocument.Parse((await deployment.LauncherAsync("status", "--json")).Out);
        status.RootElement.GetProperty("images").EnumerateArray().Select(i => i.GetProperty("source").GetString())
            .Should().Equal($"origin {TestEnvironment.Registry}", $"archive {sideLayout}");
    }

    [Fact]
    public async Task An_index_digest_is_served_from_an_archive_that_holds_the_index_and_its_platform_manifest()
    {
        await using var deployment = Deployment.Create("archiveindex", Toolchain.Debian12);
        var single = Path.Combine(deployment.Directory, "single.tar");
        var manifestDigest = await OciArchives.WriteAsync(deployment.Repository, single);
        var entries = OciArchives.Entries(single);
        var manifest = entries[$"blobs/sha256/{manifestDigest["sha256:".Length..]}"];
        var index = System.Text.Encoding.UTF8.GetBytes($$$"""
            {"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{{{manifestDigest}}}","size":{{{manifest.Length}}},"platform":{"architecture":"amd64","os":"linux"}}]}
            """);
        var indexDigest = "sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(index));
        entries[$"blobs/sha256/{indexDigest["sha256:".Length..]}"] = index;
        entries["index.json"] = System.Text.Encoding.UTF8.GetBytes($$$"""
            {"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"{{{indexDigest}}}","size":{{{index.Length}}}}]}
            """);
        var archive = Path.Combine(deployment.Directory, "index.tar");
        OciArchives.Write(archive, entries);
        var port = RegistryServer.UnusedPort();
        deployment.Approve(indexDigest);
        OnlyFromArchive(deployment, archive, port);

        var run = await deployment.LauncherAsync("run");

        run.ExitCode.Should().Be(0, run.Error);
        var loaded = $"127.0.0.1:{port}/{deployment.Repository}@{indexDigest}";
        (await Containers.OfProjectAsync(DockerEngine.Engine20, deployment.Config.Project)).Should().ContainSingle().Which.Image.Should().Be(loaded);
        (await DockerEngine.Engine20.DockerAsync("image", "inspect", "--format", "{{json .RepoDigests}}", loaded)).Succeeded("docker image inspect").Out
            .Should().Contain(loaded, "docker pulled the index and recorded its digest");
    }

    [Fact]
    public async Task Without_docker_registry_an_archive_is_exit_5_naming_the_package()
    {
        await using var deployment = Deployment.Create("archivenoregistry", Toolchain.Debian12);
        var archive = Path.Combine(deployment.Directory, "node.tar");
        var digest = await OciArchives.WriteAsync(deployment.Repository, archive);
        deployment.Approve(digest);
        OnlyFromArchive(deployment, archive, RegistryServer.UnusedPort());
        (await deployment.LauncherAsync("validate")).ExitCode.Should().Be(0);
        var tools = Path.Combine(deployment.Directory, "bin");
        Directory.CreateDirectory(tools);
        foreach (var tool in new[] { "docker", "docker-compose" })
            File.CreateSymbolicLink(Path.Combine(tools, tool), (await ToolRun.RunAsync("sh", ["-c", $"command -v {tool}"])).Out.Trim());

        var run = await LauncherProcess.RunAsync(["run", "--config", deployment.ConfigPath], new Dictionary<string, string?> { ["PATH"] = tools });

        run.ExitCode.Should().Be(5, run.Error);
        run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1].Should().Contain("cannot start docker-registry").And.Contain("install Debian's docker-registry package");
        File.Exists(deployment.EventLog).Should().BeFalse();
    }

    public static TheoryData<string, string> HostileArchives => new()
    {
        { "symlink", "is a symbolic link: an image layout holds only files and directories" },
        { "dotdot", "has an empty, '.' or '..' component" },
        { "absolute", "is an absolute path" },
        { "altered-manifest", "does not match its digest" },
        { "altered-layer", "was refused by the loopback registry" },
        { "twice", "appears twice" },
        { "not-a-layout", "is not an OCI image layout" },
    };

    [Theory]
    [MemberData(nameof(HostileArchives))]
    public async Task A_hostile_archive_is_exit_5_with_one_line_and_nothing_is_loaded(string trick, string problem)
    {
        await using var deployment = Deployment.Create($"archive-{trick}", Toolchain.Debian12);
        var good = Path.Combine(deployment.Directory, "good.tar");
        var digest = await OciArchives.WriteAsync(deployment.Repository, good);
        var hostile = Path.Combine(deployment.Directory, "hostile.tar");
        Hostile(trick, OciArchives.Entries(good), digest, hostile);
        var port = RegistryServer.UnusedPort();
        deployment.Approve(digest);
        OnlyFromArchive(deployment, hostile, port);

        var run = await deployment.LauncherAsync("run");

        run.ExitCode.Should().Be(5, run.Error);
        var last = run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1];
        last.Should().Contain($"archive {hostile}").And.Contain(problem);
        (await Images.PresentAsync(DockerEngine.Engine20, $"127.0.0.1:{port}/{deployment.Repository}@{digest}")).Should().BeFalse("nothing is loaded");
        File.Exists(deployment.EventLog).Should().BeFalse("nothing is measured");
        (await Containers.OfProjectAsync(DockerEngine.Engine20, deployment.Config.Project, all: true)).Should().BeEmpty();
    }

    private static void Hostile(string trick, Dictionary<string, byte[]> entries, string digest, string path)
    {
        var manifest = $"blobs/sha256/{digest["sha256:".Length..]}";
        switch (trick)
        {
            case "symlink":
                OciArchives.Write(path, entries.Where(e => e.Key != manifest).ToDictionary(),
                    new PaxTarEntry(TarEntryType.SymbolicLink, manifest) { LinkName = "/etc/passwd" });
                break;
            case "dotdot":
                OciArchives.Write(path, new Dictionary<string, byte[]>(entries) { ["blobs/../../escape"] = [1] });
                break;
            case "absolute":
                OciArchives.Write(path, new Dictionary<string, byte[]>(entries) { ["/tmp/escape"] = [1] });
                break;
            case "altered-manifest":
                entries[manifest] = [.. entries[manifest].Select(b => b == (byte)'2' ? (byte)'3' : b)];
                OciArchives.Write(path, entries);
                break;
            case "altered-layer":
                var layer = entries.Where(e => e.Key.StartsWith("blobs/") && e.Key != manifest).MaxBy(e => e.Value.Length).Key;
                entries[layer][^1024] ^= 0xff;
                OciArchives.Write(path, entries);
                break;
            case "twice":
                OciArchives.Write(path, entries, new PaxTarEntry(TarEntryType.RegularFile, "index.json") { DataStream = new MemoryStream("{\"manifests\":[]}"u8.ToArray()) });
                break;
            case "not-a-layout":
                OciArchives.Write(path, entries.Where(e => e.Key != "oci-layout").ToDictionary());
                break;
        }
    }

    /// <summary>The image only in <paramref name="archive"/>, served on <paramref name="port"/>; its registry is unreachable and tried once.</summary>
    private static void OnlyFromArchive(Deployment deployment, string archive, int port) =>
        deployment.Config = deployment.Config with
        {
            Reference = $"127.0.0.1:{RegistryServer.UnusedPort()}/{deployment.Repository}",
            Attempts = 1,
            ImageExtra = $"archives = [\"{archive}\"]\n",
            PullExtra = $"archive_port = {port}\n",
        };
}
