using System.Text.Json.Serialization;

namespace TeeLauncher.Docker;

[JsonSerializable(typeof(string[]))]
internal sealed partial class DockerJsonContext : JsonSerializerContext;
