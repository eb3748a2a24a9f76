using System.Text;
using System.Text.RegularExpressions;
using TeeLauncher.Errors;
using TeeLauncher.Files;
using TeeLauncher.Values;

namespace TeeLauncher.Compose;

/// <summary>
/// The operator's compose file with <c>${TEE_LAUNCHER_IMAGE}</c> and <c>${NAME}</c> placeholders (docs/spec.md §7), analysed
/// once against the configured variables as the YAML document compose reads: <see cref="ComposePolicy"/> applied, the
/// placeholders located, the stack found and a rendering tried. A value of this type has passed all of it, so rendering
/// only substitutes (and reads the result back). Anything compose could interpolate, build, pull unpinned or read from
/// elsewhere that the launcher did not put there is refused, so the compose event covers everything the stack runs.
/// </summary>
public sealed partial class ComposeTemplate
{
    public const string ImageVariable = "TEE_LAUNCHER_IMAGE";
    public const int MaxBytes = 1 << 20;

    private const string ImagePlaceholder = "${" + ImageVariable + "}";

    /// <summary>Walks with aliases expanded stop here: a few anchors can otherwise stand for billions of nodes.</summary>
    private const int MaxExpandedNodes = 100_000;

    /// <summary>What the measured image is rendered as when the template is analysed, before the pull.</summary>
    private static readonly PinnedImage StandIn = new(ImageReference.Parse("launcher.check/measured"), ImageDigest.FromBytes(new byte[32]));

    private readonly string _path;
    private readonly string _text;
    private readonly YamlNode _root;
    private readonly IReadOnlyDictionary<string, string> _env;
    private readonly IReadOnlyList<Placeholder> _placeholders;
    private readonly IReadOnlyDictionary<YamlScalar, PinnedImage> _imageNodes;

    private ComposeTemplate(Analysis analysis, YamlNode root)
    {
        _path = analysis.Path;
        _text = analysis.Text;
        _env = analysis.Env;
        _root = root;
        _placeholders = analysis.Placeholders;
        _imageNodes = analysis.ImageNodes;
        Stack = analysis.Stack();
    }

    /// <summary>The services and images of the stack.</summary>
    public ComposeStack Stack { get; }

    /// <summary>Reads and analyses the template file; throws with every problem found.</summary>
    public static ComposeTemplate Load(string path, IReadOnlyDictionary<string, string> env)
    {
        string text;
        try
        {
            text = Utf8Text.Decode(InputFile.Read(path, MaxBytes))
                ?? throw new ConfigException(InputProblem.InFile(path, "compose template is not valid UTF-8"));
        }
        catch (InputFileException e)
        {
            throw new ConfigException(InputProblem.InFile(path, e.Missing ? "compose template not found; set compose.file" : $"compose template {e.Reason}"));
        }
        return Parse(path, text, env);
    }

    /// <summary>Analyses the template's text; throws with every problem found.</summary>
    public static ComposeTemplate Parse(string path, string text, IReadOnlyDictionary<string, string> env)
    {
        var (template, problems) = Analyse(path, text, env);
        return template ?? throw new ConfigException(problems);
    }

    /// <summary>The checked template, or every problem with it given the configured variables, rendering included.</summary>
    public static (ComposeTemplate? Template, IReadOnlyList<InputProblem> Problems) Analyse(string path, string text, IReadOnlyDictionary<string, string> env)
    {
        var analysis = new Analysis(path, text, env);
        if (analysis.Problems.Count > 0 || analysis.Root is not { } root)
            return (null, analysis.Problems);
        var template = new ComposeTemplate(analysis, root);
        try
        {
            template.Render(StandIn);
            return (template, []);
        }
        catch (ConfigException e)
        {
            return (null, e.Problems);
        }
    }

    /// <summary>
    /// Substitutes the placeholders and names every other image by the reference it was pulled as, then reads the result
    /// back: it must be the template's document with those scalar values changed and nothing else.
    /// </summary>
    public byte[] Render(PinnedImage measured, IReadOnlyDictionary<string, PinnedImage>? pulledImages = null)
    {
        var replacements = new Dictionary<YamlScalar, string>(ReferenceEqualityComparer.Instance);
        foreach (var (node, image) in _imageNodes)
        {
            var pulled = pulledImages?.GetValueOrDefault(image.Reference) ?? image;
            if (Substitute(node.Value, _env, measured) != pulled.Reference)
                replacements[node] = pulled.Reference;
        }

        var text = new StringBuilder();
        var marks = new List<(int Rendered, YamlPosition Template)>();
        var edits = _placeholders.Select(t => (t.Index, t.Length, Node: (YamlScalar?)null, t.Name))
            .Where(t => !replacements.Keys.Any(n => t.Index >= n.Start.Index && t.Index < n.End.Index))
            .Concat(replacements.Keys.Select(n => ((int)n.Start.Index, (int)(n.End.Index - n.Start.Index), Node: (YamlScalar?)n, Name: "")))
            .OrderBy(e => e.Item1);
        var at = 0;
        foreach (var (index, length, node, name) in edits)
        {
            text.Append(_text, at, index - at);
            marks.Add((text.Length, YamlTree.PositionOf(_text, index)));
            text.Append(node is not null ? replacements[node] : Value(name, _env, measured).Replace("$", "$$"));
            at = index + length;
        }
        text.Append(_text, at, _text.Length - at);
        var rendered = text.ToString();

        var problems = new List<InputProblem>();
        var (root, yamlProblems) = YamlTree.Read(rendered);
        foreach (var problem in yamlProblems)
        {
            var origin = marks.LastOrDefault(m => m.Rendered <= problem.Position.Index);
            var position = origin == default ? problem.Position : origin.Template;
            problems.Add(At(position, $"after substitution the rendered file is not what the template says " +
                $"(rendered line {problem.Position.Line}, column {problem.Position.Column}): {problem.Message}"));
        }
        if (root is not null)
        {
            var budget = MaxExpandedNodes;
            Compare(_root, root, node => replacements.TryGetValue(node, out var r) ? r : Substitute(node.Value, _env, measured), problems, ref budget);
        }
        if (problems.Count > 0)
            throw new ConfigException(problems);
        return Encoding.UTF8.GetBytes(rendered);
    }

    /// <summary>The rendered document must be the template's, node for node, with the expected scalar values.</summary>
    private void Compare(YamlNode template, YamlNode rendered, Func<YamlScalar, string> expected, List<InputProblem> problems, ref int budget)
    {
        if (--budget < 0)
            return;
        switch (template, rendered)
        {
            case (YamlScalar t, YamlScalar r):
                if (r.Value != expected(t))
                    problems.Add(At(t.Start, "after substitution this value reads differently: a configured value changes the YAML around it (quotes, '#', ': ', line breaks)"));
                else if (r.Value.Replace("$$", "").Contains('$'))
                    problems.Add(At(t.Start, "after substitution this value holds a '$' that compose would interpolate"));
                break;
            case (YamlSequence t, YamlSequence r) when t.Items.Count == r.Items.Count:
                for (var i = 0; i < t.Items.Count; i++)
                    Compare(t.Items[i], r.Items[i], expected, problems, ref budget);
                break;
            case (YamlMapping t, YamlMapping r) when t.Entries.Count == r.Entries.Count:
                for (var i = 0; i < t.Entries.Count; i++)
                {
                    Compare(t.Entries[i].Key, r.Entries[i].Key, expected, problems, ref budget);
                    Compare(t.Entries[i].Value, r.Entries[i].Value, expected, problems, ref budget);
                }
                break;
            default:
                problems.Add(At(template.Start, "after substitution the document has another structure here: a configured value changes the YAML around it"));
                break;
        }
    }

    /// <summary>What rendering makes of a scalar's value: the placeholders replaced, <c>$$</c> kept.</summary>
    private static string Substitute(string value, IReadOnlyDictionary<string, string> env, PinnedImage? measured) =>
        TokenPattern().Replace(value, m => m.Value == "$$" || !(m.Groups[1].Value == ImageVariable || env.ContainsKey(m.Groups[1].Value))
            ? m.Value
            : Value(m.Groups[1].Value, env, measured).Replace("$", "$$"));

    private static string Value(string name, IReadOnlyDictionary<string, string> env, PinnedImage? measured) =>
        name == ImageVariable ? measured?.Reference ?? ImagePlaceholder : env[name];

    private InputProblem At(YamlPosition position, string message) => At(_path, position, message);

    private static InputProblem At(string path, YamlPosition position, string message) => new(path, position.Line, position.Column, message);

    /// <summary>A placeholder the launcher substitutes: where it is in the template's text, and the variable it names.</summary>
    private sealed record Placeholder(int Index, int Length, string Name);

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex VariableName();

    [GeneratedRegex(@"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)\}")]
    private static partial Regex TokenPattern();
}

/// <summary>The stack as the template describes it: the services running the measured image, and every other image.</summary>
public sealed record ComposeStack(IReadOnlyList<string> MeasuredServices, IReadOnlyList<StackImage> Images);

/// <summary>An image other than the measured one, and the services that run it.</summary>
public sealed record StackImage(PinnedImage Image, IReadOnlyList<string> Services);
