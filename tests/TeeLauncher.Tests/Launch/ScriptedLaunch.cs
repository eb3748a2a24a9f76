using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using TeeLauncher.Docker;
using TeeLauncher.Errors;
using TeeLauncher.Launch;
using TeeLauncher.State;
using TeeLauncher.Tests.Compose;
using TeeLauncher.Tests.Support;

namespace TeeLauncher.Tests.Launch;

/// <summary>
/// A deployment (config, template, state directory) whose docker and compose are <see cref="ScriptedDocker"/>: the
/// image pulls and is present, compose prints the file it is given as its model and starts one running container of
/// the measured image when it is given the file, and <see cref="FailOn"/> makes the compose verb it names fail.
/// </summary>
internal sealed class ScriptedLaunch : IDisposable
{
    public const string Image = "registry.example/mpc/node";
    public const string ImageId = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
    public const string Project = "mpc";

    private readonly TempDirectory _dir = new();

    public ScriptedLaunch(bool supervise = true)
    {
        var template = _dir.File("compose.yml", "services:\n  node:\n    image: ${TEE_LAUNCHER_IMAGE}\n    command: [\"/bin/sleep\", \"3600\"]\n");
        ConfigFile = _dir.File("launcher.toml", $$"""
            [launcher]
            platform = "dev"
            state_dir = "{{StateDir}}"

            [image]
            reference = "{{Image}}"
            default_digest = "{{Digests.A}}"

            [measurement]
            backend = "none"

            [compose]
            file = "{{template}}"
            project = "{{Project}}"
            command = "docker-compose"
            supervise = {{(supervise ? "true" : "false")}}
            stop_timeout = "10s"
            """ + "\n");
        Docker.Docker = arguments => arguments switch
        {
            ["image", "inspect", "--format", "{{json .RepoDigests}}", var reference] => Answer($"[\"{reference}\"]"),
            ["image", "inspect", "--format", "{{.Id}}", _] => Answer(ImageId),
            ["inspect", ..] => Answer($"node\t{ImageId}\trunning"),
            _ => ScriptedDocker.Ok,
        };
        Docker.Compose = (arguments, file) =>
        {
            var verb = arguments.SkipWhile(a => a != "--file").ElementAt(2);
            if (verb == "down")
                LockFreeAtDown = LockIsFree();
            if (verb == "up")
                EventsLoggedAtUp = File.ReadAllLines(EventLog).Length;
            if (verb == FailOn)
                return new(1, "", $"compose {verb} failed", TimeSpan.Zero);
            if (verb == "up")
                Docker.Containers = [$"c0ffee\trunning\tmpc-node-1\t{Pinned}"];
            return verb == "config" ? Answer(Encoding.UTF8.GetString(file)) : ScriptedDocker.Ok;
        };
    }

    public ScriptedDocker Docker { get; } = new();

    public RecordingNotifier Notifier { get; } = new();

    public string ConfigFile { get; }

    public string StateDir => _dir.Combine("state");

    public string EventLog => Path.Combine(StateDir, "events.jsonl");

    public static string Pinned => $"{Image}@{Digests.A}";

    /// <summary>The compose verb (config, up, down) that fails.</summary>
    public string? FailOn { get; set; }

    /// <summary>How many events the log held when compose was given the file.</summary>
    public int? EventsLoggedAtUp { get; private set; }

    /// <summary>Whether the state lock was free while compose down ran.</summary>
    public bool? LockFreeAtDown { get; private set; }

    public StatusRecorder Status { get; private set; } = null!;

    public LaunchPipeline Pipeline()
    {
        Status = new StatusRecorder(ConfigFile, Notifier, NullLogger.Instance);
        return new LaunchPipeline(ConfigFile, Docker, Status, NullLoggerFactory.Instance);
    }

    public LaunchStatus? Recorded => LaunchStatus.Read(new StateDirectory(StateDir).StatusFile);

    /// <summary>Whether another run could take the state lock now.</summary>
    public bool LockIsFree()
    {
        try
        {
            new StateDirectory(StateDir).Lock().Dispose();
            return true;
        }
        catch (StateLockedException)
        {
            return false;
        }
    }

    /// <summary>Each docker and compose call by its verb, in order: "pull", "image inspect", "compose config", ...</summary>
    public IReadOnlyList<string> Verbs => [.. Docker.Calls.Select(Verb)];

    private static string Verb(string call)
    {
        var words = call.Split(' ');
        if (words[0] == "docker-compose")
            return "compose " + words[Array.IndexOf(words, "--file") + 2];
        return words[1] == "image" ? "image inspect" : words[1];
    }

    private static DockerOutput Answer(string output) => new(0, output, "", TimeSpan.Zero);

    public void Dispose() => _dir.Dispose();
}
