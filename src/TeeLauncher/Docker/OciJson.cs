using System.Text.Json.Serialization;

namespace TeeLauncher.Docker;

/// <summary>An OCI content descriptor (image-spec descriptor.md): what a blob is, its digest and size.</summary>
public sealed record OciDescriptor(string? MediaType, string? Digest, long Size, OciPlatform? Platform);

public sealed record OciPlatform(string? Architecture, string? Os, string? Variant);

/// <summary>An OCI image index or docker manifest list (<c>index.json</c> is one too).</summary>
public sealed record OciIndex(string? MediaType, IReadOnlyList<OciDescriptor>? Manifests);

/// <summary>An image manifest (OCI or docker schema 2): its config and layers; an index has manifests instead.</summary>
public sealed record OciManifest(string? MediaType, OciDescriptor? Config, IReadOnlyList<OciDescriptor>? Layers, IReadOnlyList<OciDescriptor>? Manifests);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(OciIndex))]
[JsonSerializable(typeof(OciManifest))]
internal sealed partial class OciJsonContext : JsonSerializerContext;
