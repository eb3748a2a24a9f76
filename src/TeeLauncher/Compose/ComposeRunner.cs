using CliWrap;
using Microsoft.Extensions.Logging;
using TeeLauncher.Configuration;
using TeeLauncher.Docker;
using TeeLauncher.Errors;
using TeeLauncher.Values;

namespace TeeLauncher.Compose;

/// <summary>Starts, stops and inspects the compose project (docs/spec.md §7, 8).</summary>
/// <param name="pluginInstalled">Whether docker has its compose plugin; <see cref="ComposePlugin.IsInstalled"/> unless a test says.</param>
/// <param name="seal">What compose runs in: every compose process gets its project directory and environment.</param>
public sealed class ComposeRunner(IDockerRunner docker, ComposeSettings settings, ComposeSeal seal, ILogger logger, Func<bool>? pluginInstalled = null)
{
    private const string ProjectLabel = "com.docker.compose.project";
    private const string ServiceLabel = "com.docker.compose.service";

    private Task<IReadOnlyList<string>>? _command;

    public string Project => settings.Project;

    /// <summary>
    /// "docker compose" when the plugin answers, else "docker-compose" (for "auto"). The plugin is asked only when
    /// its executable is in one of docker's plugin folders: one process less on the boot path when it is not. Calls
    /// made while it is being asked (the model check and the early "up" start together) share the one answer.
    /// </summary>
    public Task<IReadOnlyList<string>> CommandAsync(CancellationToken cancellationToken)
    {
        if (_command is null || _command.IsFaulted || _command.IsCanceled)
            _command = ResolveCommandAsync(cancellationToken);
        return _command;
    }

    private async Task<IReadOnlyList<string>> ResolveCommandAsync(CancellationToken cancellationToken)
    {
        IReadOnlyList<string> command = settings.Command switch
        {
            ComposeCommandKind.DockerComposePlugin => [docker.Executable, "compose"],
            ComposeCommandKind.DockerComposeStandalone => ["docker-compose"],
            _ => (pluginInstalled ?? ComposePlugin.IsInstalled)() && (await docker.RunAsync(["compose", "version"], cancellationToken)).Succeeded
                ? [docker.Executable, "compose"]
                : ["docker-compose"],
        };
        logger.LogDebug("Compose command: {Command}", string.Join(' ', command));
        return command;
    }

    /// <summary>
    /// Asks compose for its model of <paramref name="rendered"/> (<c>config</c>, JSON from the plugin) and judges it
    /// (docs/spec.md §7). A file compose refuses, or a model that runs something unmeasured, is a config error naming
    /// <paramref name="template"/>; a compose that cannot be started is a compose failure.
    /// </summary>
    public async Task CheckModelAsync(byte[] rendered, ModelExpectation expected, string template, CancellationToken cancellationToken)
    {
        var plugin = (await CommandAsync(cancellationToken)).Count > 1;
        if (plugin && !(pluginInstalled ?? ComposePlugin.IsInstalled)())
            throw new ComposeException("compose cannot be asked for its model of the template: docker's compose plugin is not installed in a system plugin folder");
        var output = await ComposeAsync("-", plugin ? ["config", "--format", "json"] : ["config"], cancellationToken, PipeSource.FromBytes(rendered));
        if (output.ExitCode == 127)
            throw new ComposeException($"compose cannot be asked for its model of the template: {output.Complaint}");
        if (!output.Succeeded)
            throw new ConfigException(InputProblem.InFile(template, $"compose refuses the rendered template: {output.Complaint}"));
        var problems = ComposeModel.Judge(ComposeModel.Read(output.StandardOutput), expected, seal);
        if (problems.Count > 0)
            throw new ConfigException(problems.Select(p => InputProblem.InFile(template, $"in compose's model of the rendered template, {p}")).ToList());
    }

    /// <summary>
    /// Every measured service has a running container of the measured image (by image ID), else a compose failure: compose
    /// said the stack is up, but the measurement would not describe what runs. Usually one <c>docker ps</c> answers:
    /// dockerd lists a container's image by the reference it was created with only while that reference still resolves
    /// to the container's image ID, else by the ID (moby daemon/list.go, <c>refreshImage</c>), so a measured service
    /// listed running with the measured reference runs the measured image. Otherwise the image IDs are compared
    /// (<c>docker image inspect</c>, <c>docker inspect</c>), which names what is missing.
    /// </summary>
    public async Task CheckMeasuredRunningAsync(IReadOnlyCollection<string> services, PinnedImage measured, CancellationToken cancellationToken)
    {
        var listed = await docker.RunAsync(
            ["ps", "--all", "--no-trunc", "--filter", $"label={ProjectLabel}={Project}", "--format", $"{{{{.Label \"{ServiceLabel}\"}}}}\t{{{{.State}}}}\t{{{{.Image}}}}"],
            cancellationToken);
        if (listed.Succeeded && services.All(RunningWith(listed.StandardOutput, measured.Reference).Contains))
            return;
        var image = await docker.RunAsync(["image", "inspect", "--format", "{{.Id}}", measured.Reference], cancellationToken);
        if (!image.Succeeded)
            throw Failure($"cannot inspect the measured image {measured.Reference}", image);
        var imageId = image.StandardOutput.Trim();
        var ids = (await ContainersAsync(cancellationToken)).Select(c => c.Id).ToList();
        var running = new HashSet<string>(StringComparer.Ordinal);
        if (ids.Count > 0)
        {
            var inspect = await docker.RunAsync(
                ["inspect", "--format", $"{{{{index .Config.Labels \"{ServiceLabel}\"}}}}\t{{{{.Image}}}}\t{{{{.State.Status}}}}", .. ids], cancellationToken);
            if (!inspect.Succeeded)
                throw Failure($"cannot inspect the containers of project '{Project}'", inspect);
            foreach (var fields in inspect.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('\t')))
            {
                if (fields is [var service, var id, "running" or "restarting"] && id == imageId)
                    running.Add(service);
            }
        }
        var missing = services.Where(s => !running.Contains(s)).ToList();
        if (missing.Count > 0)
            throw new ComposeException(
                $"compose reported project '{Project}' up, but measured service(s) {string.Join(", ", missing.Select(s => $"'{s}'"))} have no running container of the measured image {measured.Reference} ({imageId})");
    }

    /// <summary>The services that <c>docker ps</c> lists with a running container of exactly <paramref name="reference"/>.</summary>
    private static HashSet<string> RunningWith(string psOutput, string reference) =>
        psOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split('\t'))
            .Where(fields => fields is [_, "running" or "restarting", var image] && image == reference)
            .Select(fields => fields[0])
            .ToHashSet(StringComparer.Ordinal);

    /// <summary>
    /// Starts "up" now with <c>--file -</c>, in the sealed project directory;
    /// the file itself goes to compose only through <see cref="PendingUp.UpAsync"/>, after the measurement. Compose v1
    /// spends about a second in Python imports before it reads its file: started before the pull, it does so meanwhile.
    /// </summary>
    public PendingUp StartUp(CancellationToken cancellationToken) =>
        new(async (input, token) =>
        {
            // The launcher pulled every image: compose must neither build nor pull. docker-compose v1 has no --pull; it
            // pulls only what is missing, and the launcher checked that every image is present.
            var plugin = (await CommandAsync(token)).Count > 1;
            return await ComposeAsync("-",
                ["up", "--detach", "--remove-orphans", "--no-build", .. plugin ? new[] { "--pull", "never" } : []], token, input);
        }, Project, cancellationToken);

    /// <summary>
    /// Gives the pending "up" the measured file; if compose fails, or a stop is requested while it is still starting
    /// the stack (a service waiting on a health check), or <paramref name="checkUp"/> finds the stack is not what was measured,
    /// runs compose down: nothing of the measured workload is left running unsupervised (docs/spec.md §8, 10).
    /// <paramref name="stopping"/> is told before the down.
    /// </summary>
    public async Task UpElseDownAsync(
        PendingUp up, byte[] rendered, string renderedFile, Func<Task> checkUp, Action stopping, CancellationToken cancellationToken)
    {
        try
        {
            await up.UpAsync(rendered);
            await checkUp();
        }
        catch (Exception e) when (e is OperationCanceledException or LauncherException)
        {
            var stopRequested = e is OperationCanceledException && cancellationToken.IsCancellationRequested;
            logger.LogWarning("{Why}; stopping what compose started of project {Project}",
                stopRequested ? "Stop requested while compose was starting the stack" : "Compose failed to start the stack", Project);
            stopping();
            try
            {
                await DownAsync(renderedFile, CancellationToken.None);
            }
            catch (ComposeException down)
            {
                logger.LogError("{Failure}", down.Message);
                throw;
            }
            if (!stopRequested)
                throw;
            throw new ComposeException(
                $"stopped by a signal while compose was starting project '{Project}'; what it had started was stopped with compose down and nothing is left running");
        }
    }

    public async Task DownAsync(string renderedFile, CancellationToken cancellationToken)
    {
        var output = await ComposeAsync(renderedFile, ["down", "--timeout", StopTimeoutSeconds], cancellationToken);
        if (!output.Succeeded)
            throw new ComposeException($"compose failed to stop project '{Project}': {output.Complaint}");
    }

    /// <summary>
    /// Stops every container of the project, whatever started it (dockerd's restart policy, an earlier run). The stop
    /// waits for <paramref name="mayStop"/> (the model check) and does not happen if it fails; the listing does not wait.
    /// </summary>
    public async Task<int> StopLeftoversAsync(CancellationToken cancellationToken, Task? mayStop = null)
    {
        var running = (await ContainersAsync(cancellationToken)).Where(c => c.IsRunning).Select(c => c.Id).ToList();
        if (running.Count == 0)
            return 0;
        if (mayStop is not null)
        {
            await mayStop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            if (!mayStop.IsCompletedSuccessfully)
                return 0;
        }
        var output = await docker.RunAsync(["stop", "--time", StopTimeoutSeconds, .. running], cancellationToken);
        if (!output.Succeeded)
            throw Failure($"cannot stop the containers of project '{Project}' left from before", output);
        return running.Count;
    }

    public async Task<IReadOnlyList<ContainerState>> ContainersAsync(CancellationToken cancellationToken)
    {
        var output = await docker.RunAsync(
            ["ps", "--all", "--no-trunc", "--filter", $"label={ProjectLabel}={Project}", "--format", "{{.ID}}\t{{.State}}\t{{.Names}}\t{{.Image}}"],
            cancellationToken);
        if (!output.Succeeded)
            throw Failure($"cannot list the containers of project '{Project}'", output);
        return output.StandardOutput
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => line.Split('\t'))
            .Where(fields => fields.Length == 4)
            .Select(fields => new ContainerState(fields[0], fields[1], fields[2], fields[3]))
            .ToList();
    }

    /// <summary>docker's own state of <paramref name="ids"/>; a container removed since it was listed is left out.</summary>
    public async Task<IReadOnlyList<ContainerDetails>> InspectAsync(IReadOnlyList<string> ids, CancellationToken cancellationToken)
    {
        if (ids.Count == 0)
            return [];
        var output = await docker.RunAsync(["inspect", "--format", ContainerDetails.InspectFormat, .. ids], cancellationToken);
        var details = output.StandardOutput
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(ContainerDetails.Parse)
            .OfType<ContainerDetails>()
            .ToList();
        if (!output.Succeeded && details.Count == 0)
            throw Failure($"cannot inspect the containers of project '{Project}'", output);
        return details;
    }

    private string StopTimeoutSeconds =>
        ((int)Math.Ceiling(settings.StopTimeout.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);

    internal static LauncherException Failure(string what, DockerOutput output) =>
        PullFailure.IsDaemonUnreachable(output.Complaint)
            ? new DaemonUnreachableException($"{what}: the docker daemon cannot be reached: {output.Complaint}; check that dockerd runs and that the launcher may use its socket")
            : new ComposeException($"{what}: {output.Complaint}");

    /// <summary>Runs compose sealed: <paramref name="file"/> is "-" when compose reads it from <paramref name="fileFromInput"/>.</summary>
    private async Task<DockerOutput> ComposeAsync(
        string file, IReadOnlyList<string> verb, CancellationToken cancellationToken, PipeSource? fileFromInput = null)
    {
        var command = await CommandAsync(cancellationToken);
        return await docker.RunInAsync(
            command[0],
            [.. command.Skip(1), "--project-name", Project, "--project-directory", seal.ProjectDirectory, "--file", file, .. verb],
            seal.ProjectDirectory,
            fileFromInput ?? PipeSource.Null,
            seal.Environment,
            cancellationToken);
    }
}

public sealed record ContainerState(string Id, string State, string Name, string Image)
{
    public bool IsRunning => State is "running" or "restarting";
}
