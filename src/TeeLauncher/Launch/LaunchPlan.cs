using System.Security.Cryptography;
using System.Text;
using TeeLauncher.Configuration;
using TeeLauncher.Events;
using TeeLauncher.Values;

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
    int PullConcurrency,
    IReadOnlyList<PlannedSource> Sources,
    IReadOnlyList<PlannedImage> Images,
    string MeasurementBackend,
    string EventLog,
    IReadOnlyList<PlannedEvent> Events,
    string Project,
    string RenderedCompose)
{
    public static LaunchPlan For(ChosenLaunch launch)
    {
        var (inputs, selection, requests) = launch;
        var config = inputs.Config;
        var stack = inputs.Template.Stack;
        // Every other image as if its first source serves it; the measured image's sources are listed with their compose hash.
        var others = requests.Skip(1).ToDictionary(r => r.Image.Reference, r => r.Sources[0].Pin(r.Image.Digest));
        var sources = inputs.Sources.Select(source =>
        {
            var pinned = new PinnedImage(source.Reference, selection.Digest);
            var rendered = inputs.Template.Render(pinned, others);
            return new PlannedSource(source.Label, pinned.Reference, CredentialsOf(config, source.Host),
                Convert.ToHexStringLower(SHA256.HashData(rendered)), rendered);
        }).ToList();
        var images = requests.Select((request, i) => new PlannedImage(
            request.Image.Reference,
            request.Image.Digest.ToString(),
            i == 0 ? stack.MeasuredServices : stack.Images[i - 1].Services,
            i == 0,
            [.. request.Sources.Select(s => new PlannedImageSource(s.Label, s.Pin(request.Image.Digest).Reference, CredentialsOf(config, s.Host)))]))
            .ToList();

        // Events as they will be if the first source of each image serves it.
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
            config.Pull.Concurrency,
            sources,
            images,
            ConfigSpellings.Of(ConfigSpellings.Backends, config.Measurement.Backend),
            config.Measurement.EventLog,
            events,
            config.Compose.Project,
            Encoding.UTF8.GetString(first.Rendered));
    }

    /// <summary>Which kind of credentials a host gets: never the secret itself.</summary>
    private static string CredentialsOf(LauncherConfig config, RegistryHost host)
    {
        var registry = config.Registries.FirstOrDefault(r => r.Host == host);
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

/// <summary>One image of the stack: the measured one first, then each other service image, with where it would come from.</summary>
public sealed record PlannedImage(string Image, string Digest, IReadOnlyList<string> Services, bool Measured, IReadOnlyList<PlannedImageSource> Sources);

public sealed record PlannedImageSource(string Source, string Reference, string Credentials);

public sealed record PlannedEvent(string Name, string Payload, string Digest);
