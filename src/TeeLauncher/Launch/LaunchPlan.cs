using System.Security.Cryptography;
using System.Text;
using TeeLauncher.Configuration;
using TeeLauncher.Selection;

namespace TeeLauncher.Launch;

/// <summary>What <c>run</c> would do and why, computed without pulling, measuring or starting anything.</summary>
public sealed record LaunchPlan(
    string Config,
    string Platform,
    string Digest,
    string Rule,
    string Reason,
    int? ApprovedPosition,
    string Repository,
    string PullPolicy,
    IReadOnlyList<PlannedSource> Sources,
    string MeasurementBackend,
    string EventLog,
    IReadOnlyList<PlannedEvent> Events,
    string Project,
    string RenderedCompose)
{
    public static LaunchPlan For(LaunchInputs inputs)
    {
        var config = inputs.Config;
        var selection = DigestSelector.Select(config.Image, config.Locations);
        var sources = inputs.Sources.Select(source =>
        {
            var pinned = source.Reference.Pinned(selection.Digest);
            var rendered = inputs.Template.Render(pinned, config.Compose.Env);
            return new PlannedSource(source.Label, pinned, CredentialsOf(config, source.Host),
                Convert.ToHexStringLower(SHA256.HashData(rendered)), rendered);
        }).ToList();

        // Events as they will be if the first source serves the image; the compose hash of each other source is listed with it.
        var first = sources[0];
        var events = LaunchEvents.For(config.Measurement, selection.Digest, first.Rendered)
            .Select(e => new PlannedEvent(e.Name, Convert.ToHexStringLower(e.Payload), Convert.ToHexStringLower(e.Digest())))
            .ToList();

        return new LaunchPlan(
            config.SourcePath,
            ConfigSpellings.Of(ConfigSpellings.Platforms, config.Launcher.Platform),
            selection.Digest.ToString(),
            selection.RuleName,
            selection.Reason,
            selection.ApprovedPosition,
            inputs.Image.Repository,
            ConfigSpellings.Of(ConfigSpellings.PullPolicies, config.Pull.Policy),
            sources,
            ConfigSpellings.Of(ConfigSpellings.Backends, config.Measurement.Backend),
            config.Measurement.EventLog,
            events,
            config.Compose.Project,
            Encoding.UTF8.GetString(first.Rendered));
    }

    /// <summary>Which kind of credentials a host gets: never the secret itself.</summary>
    private static string CredentialsOf(LauncherConfig config, string host)
    {
        var registry = config.Registries.FirstOrDefault(r => string.Equals(r.Host, host, StringComparison.OrdinalIgnoreCase));
        return registry switch
        {
            { EncryptedAuth: not null } => "encrypted_auth",
            { Username: { } user } => $"username '{user}' with password_file",
            _ => "docker config of the environment, else anonymous",
        };
    }
}

public sealed record PlannedSource(
    string Source,
    string Reference,
    string Credentials,
    string ComposeSha256,
    [property: System.Text.Json.Serialization.JsonIgnore] byte[] Rendered);

public sealed record PlannedEvent(string Name, string Payload, string Digest);
