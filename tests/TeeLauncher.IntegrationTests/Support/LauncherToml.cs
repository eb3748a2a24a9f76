using System.Text;

namespace TeeLauncher.IntegrationTests.Support;

/// <summary>A launcher config for one test: fast retries, dev platform, backend none unless a test says otherwise.</summary>
public sealed record LauncherToml
{
    public string Platform { get; init; } = "dev";
    public required string StateDir { get; init; }
    public required string Reference { get; init; }
    public string? DefaultDigest { get; init; }
    public string? OverrideDigest { get; init; }
    public string? ApprovedHashesFile { get; init; }
    /// <summary>More lines of [image], such as on_unapproved.</summary>
    public string Policy { get; init; } = "always";
    public int Attempts { get; init; } = 2;
    public string BackoffInitial { get; init; } = "1s";
    public string AttemptTimeout { get; init; } = "60s";
    public string Deadline { get; init; } = "3m";
    public string Backend { get; init; } = "none";
    public string EventName { get; init; } = "image-digest";
    public string MeasurementExtra { get; init; } = "";
    public string Registries { get; init; } = "";
    public string ImageExtra { get; init; } = "";
    public string PullExtra { get; init; } = "";
    public string LauncherExtra { get; init; } = "";
    public required string ComposeFile { get; init; }
    public required string Project { get; init; }
    public string ComposeEnv { get; init; } = "{}";
    public required string ComposeCommand { get; init; }
    public string StopTimeout { get; init; } = "10s";
    public bool Supervise { get; init; }

    public string Render()
    {
        var text = new StringBuilder();
        text.AppendLine("[launcher]").AppendLine($"platform = \"{Platform}\"").AppendLine($"state_dir = \"{StateDir}\"").Append(LauncherExtra).AppendLine();
        text.AppendLine("[image]").AppendLine($"reference = \"{Reference}\"");
        Optional(text, "default_digest", DefaultDigest);
        Optional(text, "override_digest", OverrideDigest);
        Optional(text, "approved_hashes_file", ApprovedHashesFile);
        text.Append(ImageExtra);
        text.AppendLine().AppendLine("[pull]").AppendLine($"policy = \"{Policy}\"").AppendLine($"attempts = {Attempts}")
            .AppendLine($"backoff_initial = \"{BackoffInitial}\"").AppendLine("backoff_max = \"2s\"")
            .AppendLine($"attempt_timeout = \"{AttemptTimeout}\"").AppendLine($"deadline = \"{Deadline}\"").Append(PullExtra).AppendLine();
        text.Append(Registries).AppendLine();
        text.AppendLine("[measurement]").AppendLine($"backend = \"{Backend}\"").AppendLine($"event_name = \"{EventName}\"").Append(MeasurementExtra).AppendLine();
        text.AppendLine("[compose]").AppendLine($"file = \"{ComposeFile}\"").AppendLine($"project = \"{Project}\"")
            .AppendLine($"command = \"{ComposeCommand}\"").AppendLine($"env = {ComposeEnv}").AppendLine($"stop_timeout = \"{StopTimeout}\"")
            .AppendLine($"supervise = {(Supervise ? "true" : "false")}");
        return text.ToString();
    }

    private static void Optional(StringBuilder text, string key, string? value)
    {
        if (value is not null)
            text.AppendLine($"{key} = \"{value}\"");
    }
}
