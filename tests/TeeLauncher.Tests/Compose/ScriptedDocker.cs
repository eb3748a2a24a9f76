using System.Threading.Channels;
using CliWrap;
using TeeLauncher.Docker;

namespace TeeLauncher.Tests.Compose;

/// <summary>
/// docker and compose as the compose runner and the supervisor see them: <c>ps</c> answers with <see cref="Containers"/>,
/// <c>events</c> streams what the test writes to <see cref="DieEvents"/>, compose answers from <see cref="Compose"/>.
/// </summary>
internal sealed class ScriptedDocker : IDockerRunner
{
    public static readonly DockerOutput Ok = new(0, "", "", TimeSpan.Zero);

    private readonly Lock _lock = new();
    private readonly List<string> _calls = [];
    private Channel<string> _dieEvents = Channel.CreateUnbounded<string>();

    public string Executable => "docker";

    /// <summary>Each line "id state name image" as docker ps prints it, tab-separated.</summary>
    public string[] Containers { get; set; } = [];

    public Func<IReadOnlyList<string>, DockerOutput> Docker { get; set; } = _ => Ok;

    /// <summary>Compose's answer to its arguments and the file it read from its standard input; null: hang until cancelled.</summary>
    public Func<IReadOnlyList<string>, byte[], DockerOutput?> Compose { get; set; } = (_, _) => Ok;

    public ChannelWriter<string> DieEvents => _dieEvents.Writer;

    public int EventsStarted { get; private set; }

    public IReadOnlyList<string> Calls
    {
        get
        {
            lock (_lock)
                return [.. _calls];
        }
    }

    public static string Container(string id, string state, string name) => $"{id}\t{state}\t{name}\tapp@sha256:00";

    public async Task<DockerOutput> RunAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken, Action<string>? onOutputLine = null)
    {
        Record("docker", arguments, "");
        switch (arguments[0])
        {
            case "ps":
                return new DockerOutput(0, string.Join('\n', Containers) + "\n", "", TimeSpan.Zero);
            case "events":
                EventsStarted++;
                var events = _dieEvents;
                await foreach (var id in events.Reader.ReadAllAsync(cancellationToken))
                    onOutputLine?.Invoke(id);
                _dieEvents = Channel.CreateUnbounded<string>();
                return Ok;
            default:
                return Docker(arguments);
        }
    }

    public async Task<DockerOutput> RunInAsync(
        string executable, IReadOnlyList<string> arguments, string workingDirectory, PipeSource standardInput,
        IReadOnlyDictionary<string, string?> environment, CancellationToken cancellationToken)
    {
        using var file = new MemoryStream();
        await standardInput.CopyToAsync(file, cancellationToken);
        Record(executable, arguments, $" (in {workingDirectory})");
        var output = Compose(arguments, file.ToArray());
        if (output is null)
            await Task.Delay(Timeout.Infinite, cancellationToken);
        return output!;
    }

    private void Record(string executable, IReadOnlyList<string> arguments, string where)
    {
        lock (_lock)
            _calls.Add($"{executable} {string.Join(' ', arguments)}{where}");
    }
}
