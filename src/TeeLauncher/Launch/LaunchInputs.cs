using TeeLauncher.Compose;
using TeeLauncher.Configuration;
using TeeLauncher.Docker;
using TeeLauncher.Errors;
using TeeLauncher.Files;
using TeeLauncher.Registries;
using TeeLauncher.Selection;
using TeeLauncher.State;
using TeeLauncher.Values;

namespace TeeLauncher.Launch;

/// <summary>Everything the operator supplied, read and checked before anything is pulled, measured or started.</summary>
public sealed record LaunchInputs(
    LauncherConfig Config,
    ImageReference Image,
    ComposeTemplate Template,
    RegistryCredentialStore Credentials,
    IReadOnlyList<PullSource> Sources)
{
    /// <summary>
    /// Chooses the digest (docs/spec.md §5) and lists every image of the stack with its sources, the measured image at that
    /// digest first (docs/spec.md §6.1): what run, plan and validate all act on.
    /// </summary>
    public ChosenLaunch Choose()
    {
        var selection = DigestSelector.Select(Config.Image, Config.Locations);
        return new ChosenLaunch(this, selection,
        [
            new(new PinnedImage(Image, selection.Digest), Sources),
            .. Template.Stack.Images.Select(i => new PullRequest(i.Image, PullSource.For(i.Image.Repository, Config.Registries, Config.Image.Archives, Config.Pull.ArchivePort))),
        ]);
    }

    /// <summary>Loads and checks the config, compose template and credentials; throws with every problem found.</summary>
    public static LaunchInputs Load(string configPath)
    {
        var (inputs, problems) = Check(configPath);
        return problems.Count == 0 && inputs is not null ? inputs : throw new ConfigException(problems);
    }

    /// <summary>All problems at once, for <c>validate</c>; the inputs are null when any problem was found.</summary>
    public static (LaunchInputs? Inputs, IReadOnlyList<InputProblem> Problems) Check(string configPath)
    {
        var (config, configProblems) = ConfigLoader.Read(configPath);
        if (config is null)
            return (null, configProblems);

        var problems = new List<InputProblem>(configProblems);
        if (StateDirectory.Problem(config.Launcher.StateDir) is { } stateProblem)
            problems.Add(config.Locations.Problem("launcher.state_dir", stateProblem));
        ComposeTemplate? template = null;
        // A compose.file the loader refused (empty, inside state_dir) is not also looked for.
        var composeFileRefused = configProblems.Any(p => config.Locations.IsAt("compose.file", p));
        if (!composeFileRefused && !InputFile.Exists(config.Compose.File))
            problems.Add(config.Locations.Problem("compose.file", $"compose template {config.Compose.File} does not exist; set compose.file"));
        else if (!composeFileRefused)
            template = Collect(problems, () => ComposeTemplate.Load(config.Compose.File, config.Compose.Env), config.Compose.File);
        var credentials = Collect(problems, () => RegistryCredentialStore.Load(config), config.SourcePath);

        var image = configProblems.Count == 0 ? config.Image.Reference : null;
        var sources = image is null ? null : Collect(problems, () => PullSource.For(image, config.Registries, config.Image.Archives, config.Pull.ArchivePort), config.SourcePath);
        if (problems.Count > 0 || template is null || credentials is null || image is null || sources is null)
            return (null, problems);
        return (new LaunchInputs(config, image, template, credentials, sources), problems);
    }

    private static T? Collect<T>(List<InputProblem> problems, Func<T> read, string file) where T : class
    {
        try
        {
            return read();
        }
        catch (ConfigException e)
        {
            problems.AddRange(e.Problems.Select(p => p.File.Length == 0 ? p with { File = file } : p));
            return null;
        }
    }
}

/// <summary>The inputs with the digest chosen for this boot and every image to pull, the measured one first.</summary>
public sealed record ChosenLaunch(LaunchInputs Inputs, DigestSelection Selection, IReadOnlyList<PullRequest> PullRequests)
{
    /// <summary>
    /// The compose file with every image named as <paramref name="images"/> (one for each pull request, the measured one
    /// first: as requested before the pull, as pulled after it), and what compose's model of it must show.
    /// </summary>
    public (byte[] Rendered, ModelExpectation Model) RenderFor(IReadOnlyList<PinnedImage> images)
    {
        var rendered = Inputs.Template.Render(images[0],
            PullRequests.Skip(1).Zip(images.Skip(1)).ToDictionary(p => p.First.Image.Reference, p => p.Second));
        return (rendered, new ModelExpectation(Inputs.Template.Stack.MeasuredServices, images[0].Reference,
            images.Skip(1).Select(i => i.Reference).ToHashSet(StringComparer.Ordinal)));
    }
}
