using System.Formats.Tar;
using System.Text.Json;

namespace TeeLauncher.IntegrationTests.Support;

/// <summary>OCI image layouts written by skopeo from images in the test registry, and hostile variants of them.</summary>
public static class OciArchives
{
    /// <summary>
    /// Pushes a new image and copies it with skopeo to an oci-archive tar (or an OCI layout directory) at
    /// <paramref name="path"/>; returns the digest of the manifest the layout holds (skopeo writes it as OCI).
    /// </summary>
    public static async Task<string> WriteAsync(string repository, string path, bool directory = false)
    {
        var pushed = await Images.PushNewAsync(TestEnvironment.Registry, repository);
        var destination = directory ? $"oci:{path}" : $"oci-archive:{path}";
        (await ToolRun.RunAsync("skopeo", ["copy", "--quiet", "--src-tls-verify=false",
            $"docker://{TestEnvironment.Registry}/{repository}@{pushed}", destination])).Succeeded("skopeo copy");
        var index = directory ? File.ReadAllBytes(Path.Combine(path, "index.json")) : Entries(path)["index.json"];
        using var document = JsonDocument.Parse(index);
        return document.RootElement.GetProperty("manifests")[0].GetProperty("digest").GetString()!;
    }

    /// <summary>Every regular file of a tar, by name.</summary>
    public static Dictionary<string, byte[]> Entries(string tar)
    {
        using var reader = new TarReader(File.OpenRead(tar));
        var entries = new Dictionary<string, byte[]>();
        while (reader.GetNextEntry(copyData: true) is { } entry)
        {
            if (entry.DataStream is null)
                continue;
            using var data = new MemoryStream();
            entry.DataStream.CopyTo(data);
            entries[entry.Name] = data.ToArray();
        }
        return entries;
    }

    /// <summary>Writes a tar with the given regular files, then the extra entries (links, odd names) as given.</summary>
    public static void Write(string tar, IReadOnlyDictionary<string, byte[]> files, params TarEntry[] extra)
    {
        using var writer = new TarWriter(File.Create(tar), TarEntryFormat.Pax);
        foreach (var (name, content) in files)
            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(content) });
        foreach (var entry in extra)
            writer.WriteEntry(entry);
    }
}
