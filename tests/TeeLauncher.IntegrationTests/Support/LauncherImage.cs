using System.Text.Json;

namespace TeeLauncher.IntegrationTests.Support;

/// <summary>The launcher image of packaging/build-image.sh: its OCI archive and manifest digest.</summary>
public sealed record LauncherImage(string Archive, string Digest)
{
    private static readonly Lazy<Task<LauncherImage>> Built = new(BuildAsync);

    /// <summary>
    /// The image built once for this test run: the one in TEE_TEST_LAUNCHER_IMAGE_DIR when tests/run-tests.sh
    /// built it before the tests, else built here from this checkout with build-image.sh.
    /// </summary>
    public static Task<LauncherImage> GetAsync() => Built.Value;

    /// <summary>Pushes the archive with skopeo, which keeps its manifest byte for byte, and returns the pinned reference.</summary>
    public async Task<string> PushAsync(string registry, string repository)
    {
        (await ToolRun.RunAsync("skopeo", ["copy", "--quiet", "--dest-tls-verify=false", $"oci-archive:{Archive}", $"docker://{registry}/{repository}:latest"]))
            .Succeeded("skopeo copy");
        return $"{registry}/{repository}@{Digest}";
    }

    /// <summary>The image's one layer as <c>tar -tv</c> lists it, read through the archive's index and manifest.</summary>
    public async Task<string> LayerListingAsync()
    {
        var layout = Path.Combine(Path.GetTempPath(), "tee-launcher-it", $"layout-{Guid.NewGuid():N}");
        Directory.CreateDirectory(layout);
        try
        {
            (await ToolRun.RunAsync("tar", ["-xf", Archive, "-C", layout])).Succeeded("tar -x of the OCI archive");
            string Blob(string digest) => Path.Combine(layout, "blobs", "sha256", digest["sha256:".Length..]);
            using var index = JsonDocument.Parse(File.ReadAllText(Path.Combine(layout, "index.json")));
            var manifestDigest = index.RootElement.GetProperty("manifests")[0].GetProperty("digest").GetString()!;
            manifestDigest.Should().Be(Digest, "the archive's index names the manifest whose digest build-image.sh printed");
            using var manifest = JsonDocument.Parse(File.ReadAllText(Blob(manifestDigest)));
            var layer = manifest.RootElement.GetProperty("layers").EnumerateArray().Should().ContainSingle().Subject;
            return (await ToolRun.RunAsync("tar", ["-tvzf", Blob(layer.GetProperty("digest").GetString()!)])).Succeeded("tar -t of the layer").Out;
        }
        finally
        {
            Directory.Delete(layout, recursive: true);
        }
    }

    private static async Task<LauncherImage> BuildAsync()
    {
        var directory = Environment.GetEnvironmentVariable("TEE_TEST_LAUNCHER_IMAGE_DIR");
        if (string.IsNullOrEmpty(directory))
        {
            var root = (await ToolRun.RunAsync("git", ["-C", AppContext.BaseDirectory, "rev-parse", "--show-toplevel"])).Succeeded("git rev-parse").Out.Trim();
            // Built anew at every test run, over the last run's.
            directory = Path.Combine(TestEnvironment.State, "launcher-image");
            (await ToolRun.RunAsync("bash", [Path.Combine(root, "packaging", "build-image.sh"), directory], timeout: TimeSpan.FromMinutes(30)))
                .Succeeded("packaging/build-image.sh");
        }
        var archive = Path.Combine(directory, "tee-launcher-image.oci.tar");
        var digest = File.ReadAllText(Path.Combine(directory, "tee-launcher-image.digest")).Trim();
        return new LauncherImage(archive, digest);
    }
}
