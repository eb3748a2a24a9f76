using System.Text;
using System.Text.RegularExpressions;
using TeeLauncher.Errors;
using TeeLauncher.Files;
using TeeLauncher.Values;

namespace TeeLauncher.Compose;

/// <summary>
/// The operator's compose file with <c>${TEE_LAUNCHER_IMAGE}</c> and <c>${NAME}</c> placeholders (docs/spec.md §7), checked as the
/// YAML document compose reads: anything compose could interpolate, build, pull unpinned or read from elsewhere that the
/// launcher did not put there is refused, so the compose event covers everything the stack runs.
/// </summary>
public sealed partial class ComposeTemplate
{
    public const string ImageVariable = "TEE_LAUNCHER_IMAGE";
    public const int MaxBytes = 1 << 20;

    private const string ImagePlaceholder = "${" + ImageVariable + "}";

    /// <summary>Walks with aliases expanded stop here: a few anchors can otherwise stand for billions of nodes.</summary>
    private const int MaxExpandedNodes = 100_000;

    private static readonly HashSet<string> TopLevelKeys = ["version", "name", "services", "networks", "volumes", "configs", "secrets"];
    private static readonly HashSet<string> PullPolicies = ["missing", "never", "if_not_present"];

    /// <summary>What the measured image is rendered as when the template is checked before the pull.</summary>
    private static readonly PinnedImage StandIn = new(ImageReference.Parse("launcher.check/measured"), ImageDigest.FromBytes(new byte[32]));

    private readonly string _path;
    private readonly string _text;
    private readonly YamlNode? _root;
    private readonly IReadOnlyList<YamlProblem> _yamlProblems;

    private ComposeTemplate(string path, string text)
    {
        _path = path;
        _text = text;
        (_root, _yamlProblems) = YamlTree.Read(text);
    }

    public static ComposeTemplate Load(string path)
    {
        try
        {
            var text = Utf8Text.Decode(InputFile.Read(path, MaxBytes))
                ?? throw new ConfigException(InputProblem.InFile(path, "compose template is not valid UTF-8"));
            return new ComposeTemplate(path, text);
        }
        catch (InputFileException e)
        {
            throw new ConfigException(InputProblem.InFile(path, e.Missing ? "compose template not found; set compose.file" : $"compose template {e.Reason}"));
        }
    }

    public static ComposeTemplate Parse(string path, string text) => new(path, text);

    /// <summary>Every problem with the template given the configured variables, rendering included, before anything is pulled.</summary>
    public IReadOnlyList<InputProblem> Check(IReadOnlyDictionary<string, string> env)
    {
        var problems = Analyse(env).Problems;
        if (problems.Count > 0)
            return problems;
        try
        {
            Render(StandIn, env);
            return [];
        }
        catch (ConfigException e)
        {
            return e.Problems;
        }
    }

    /// <summary>The services and images of the stack; the template must have passed <see cref="Check"/>.</summary>
    public ComposeStack Stack(IReadOnlyDictionary<string, string> env) => Checked(env).Stack;

    /// <summary>
    /// Substitutes the placeholders and names every other image by the reference it was pulled as, then reads the result
    /// back: it must be the template's document with those scalar values changed and nothing else.
    /// </summary>
    public byte[] Render(PinnedImage measured, IReadOnlyDictionary<string, string> env, IReadOnlyDictionary<string, PinnedImage>? pulledImages = null)
    {
        var analysis = Checked(env);
        var replacements = new Dictionary<YamlScalar, string>(ReferenceEqualityComparer.Instance);
        foreach (var (node, image) in analysis.ImageNodes)
        {
            var pulled = pulledImages?.GetValueOrDefault(image.Reference) ?? image;
            if (Substitute(node.Value, env, measured) != pulled.Reference)
                replacements[node] = pulled.Reference;
        }

        var text = new StringBuilder();
        var marks = new List<(int Rendered, YamlPosition Template)>();
        var edits = analysis.Tokens.Select(t => (t.Index, t.Length, Node: (YamlScalar?)null, t.Name))
            .Where(t => !replacements.Keys.Any(n => t.Index >= n.Start.Index && t.Index < n.End.Index))
            .Concat(replacements.Keys.Select(n => ((int)n.Start.Index, (int)(n.End.Index - n.Start.Index), Node: (YamlScalar?)n, Name: "")))
            .OrderBy(e => e.Item1);
        var at = 0;
        foreach (var (index, length, node, name) in edits)
        {
            text.Append(_text, at, index - at);
            marks.Add((text.Length, YamlTree.PositionOf(_text, index)));
            text.Append(node is not null ? replacements[node] : Value(name, env, measured).Replace("$", "$$"));
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
        if (root is not null && _root is not null)
        {
            var budget = MaxExpandedNodes;
            Compare(_root, root, node => replacements.TryGetValue(node, out var r) ? r : Substitute(node.Value, env, measured), problems, ref budget);
        }
        if (problems.Count > 0)
            throw new ConfigException(problems);
        return Encoding.UTF8.GetBytes(rendered);
    }

    private Analysis Checked(IReadOnlyDictionary<string, string> env)
    {
        var analysis = Analyse(env);
        return analysis.Problems.Count == 0 ? analysis : throw new ConfigException(analysis.Problems);
    }

    private Analysis Analyse(IReadOnlyDictionary<string, string> env)
    {
        var problems = _yamlProblems.Select(p => At(p.Position, p.Message)).ToList();
        var analysis = new Analysis(problems);
        if (_root is null)
        {
            if (problems.Count == 0)
                problems.Add(new InputProblem(_path, 1, 1, "the compose template is empty: it needs services"));
            return analysis;
        }

        var usage = new Dictionary<YamlScalar, Usage>(ReferenceEqualityComparer.Instance);
        var budget = MaxExpandedNodes;
        CollectDocument(_root, usage, ref budget);
        if (budget < 0)
            problems.Add(At(_root.Start, $"the document stands for more than {MaxExpandedNodes} nodes once aliases are expanded"));
        CheckDocument(_root, env, analysis);
        foreach (var (node, use) in usage)
            CheckPlaceholders(node, use, env, analysis);
        if (problems.Count == 0 && analysis.Stack.MeasuredServices.Count == 0)
            problems.Add(At(_root.Start, $"no service has image: {ImagePlaceholder}: the measured service must have exactly that image"));
        return analysis;
    }

    /// <summary>
    /// Collects every scalar; a top-level <c>x-</c> extension is a definition compose does not run, so its values count
    /// only where they are merged or aliased into the document (the measured image in an anchor merged into services).
    /// </summary>
    private static void CollectDocument(YamlNode root, Dictionary<YamlScalar, Usage> usage, ref int budget)
    {
        if (root is not YamlMapping top)
        {
            Collect(root, isKey: false, counted: true, usage, ref budget);
            return;
        }
        foreach (var (key, value) in top.Entries)
        {
            Collect(key, isKey: true, counted: true, usage, ref budget);
            Collect(value, isKey: false, counted: !key.Value.StartsWith("x-", StringComparison.Ordinal), usage, ref budget);
        }
    }

    /// <summary>Records how each scalar is used, aliases expanded: whether as a key, and how many times as a counted value.</summary>
    private static void Collect(YamlNode node, bool isKey, bool counted, Dictionary<YamlScalar, Usage> usage, ref int budget)
    {
        if (--budget < 0)
            return;
        switch (node)
        {
            case YamlScalar scalar:
                var use = usage.GetValueOrDefault(scalar);
                usage[scalar] = isKey ? use with { IsKey = true } : counted ? use with { ValueUses = use.ValueUses + 1 } : use;
                break;
            case YamlSequence sequence:
                foreach (var item in sequence.Items)
                    Collect(item, isKey: false, counted, usage, ref budget);
                break;
            case YamlMapping mapping:
                foreach (var (key, value) in mapping.Entries)
                {
                    Collect(key, isKey: true, counted, usage, ref budget);
                    Collect(value, isKey: false, counted, usage, ref budget);
                }
                break;
        }
    }

    private void CheckDocument(YamlNode root, IReadOnlyDictionary<string, string> env, Analysis analysis)
    {
        var problems = analysis.Problems;
        if (root is not YamlMapping top)
        {
            problems.Add(At(root.Start, "the compose file must be a mapping with a 'services' key"));
            return;
        }
        foreach (var (key, value) in top.Entries)
        {
            if (key.Value == "include")
                problems.Add(At(key.Start, "'include' is not allowed: it brings in compose files the compose event does not cover"));
            else if (!TopLevelKeys.Contains(key.Value) && !key.Value.StartsWith("x-", StringComparison.Ordinal))
                problems.Add(At(key.Start, $"unknown top-level key '{key.Value}': compose files have services, networks, volumes, configs, secrets, version, name and x- extensions"));
            else if (key.Value is "configs" or "secrets" && value is YamlMapping definitions)
                foreach (var definition in definitions.Entries.Select(d => d.Value).OfType<YamlMapping>())
                    if (definition.Entries.FirstOrDefault(e => e.Key.Value == "environment").Key is { } environment)
                        problems.Add(At(environment.Start, $"'environment' in {key.Value} is not allowed: compose would read the launcher's environment, which no event covers"));
        }

        if (top["services"] is not YamlMapping services || services.Entries.Count == 0)
        {
            problems.Add(At(top["services"]?.Start ?? top.Start, "'services' must be a mapping with at least one service"));
            return;
        }
        foreach (var (name, service) in services.Entries)
        {
            if (service is YamlMapping mapping)
                CheckService(name.Value, mapping, env, analysis);
            else
                problems.Add(At(service.Start, $"service '{name.Value}' must be a mapping"));
        }
    }

    private void CheckService(string name, YamlMapping service, IReadOnlyDictionary<string, string> env, Analysis analysis)
    {
        var problems = analysis.Problems;
        foreach (var (key, value) in service.Entries)
        {
            switch (key.Value)
            {
                case "build":
                    problems.Add(At(key.Start, "'build' is not allowed: every image must come from a registry, pinned by digest"));
                    break;
                case "extends" or "env_file" or "label_file":
                    problems.Add(At(key.Start, $"'{key.Value}' is not allowed: it brings in content the compose event does not cover"));
                    break;
                case "pull_policy" when value is not YamlScalar { Value: var policy } || !PullPolicies.Contains(policy):
                    problems.Add(At(value.Start, "pull_policy may only be missing, never or if_not_present: the launcher pulls every image"));
                    break;
                case "environment":
                    CheckEnvironment(value, problems);
                    break;
            }
        }

        var image = service["image"];
        if (image is not YamlScalar { Style: not YamlScalarStyle.Block } scalar)
        {
            problems.Add(At(image?.Start ?? service.Start, $"service '{name}' needs an image: a plain or quoted scalar"));
            return;
        }
        if (scalar.Value == ImagePlaceholder)
        {
            analysis.MeasuredImageUses[scalar] = analysis.MeasuredImageUses.GetValueOrDefault(scalar) + 1;
            analysis.Stack.MeasuredServices.Add(name);
            return;
        }
        var reference = Substitute(scalar.Value, env, measured: null);
        if (scalar.Value.Contains(ImagePlaceholder))
            return;
        if (!PinnedSyntax().IsMatch(reference) || !PinnedImage.TryParse(reference, out var pinned))
        {
            problems.Add(At(scalar.Start, $"image '{reference}' of service '{name}' is not pinned: every other service image must be <repository>@sha256:<64 hex>"));
            return;
        }
        analysis.ImageNodes[scalar] = pinned;
        if (analysis.Stack.Images.FirstOrDefault(i => i.Image.Reference == pinned.Reference) is { } known)
            known.Services.Add(name);
        else
            analysis.Stack.Images.Add(new StackImage(pinned, [name]));
    }

    /// <summary>A variable listed without a value is taken from compose's own environment, the launcher's: nothing measures it.</summary>
    private void CheckEnvironment(YamlNode environment, List<InputProblem> problems)
    {
        const string Passthrough = "has no value: compose would copy it from the launcher's environment, which no event covers; give it a value";
        switch (environment)
        {
            case YamlSequence list:
                foreach (var item in list.Items.OfType<YamlScalar>().Where(i => !i.Value.Contains('=')))
                    problems.Add(At(item.Start, $"environment entry '{item.Value}' {Passthrough}"));
                break;
            case YamlMapping map:
                foreach (var (key, value) in map.Entries.Where(e => e.Value is YamlScalar { IsNull: true }))
                    problems.Add(At(key.Start, $"environment variable '{key.Value}' {Passthrough}"));
                break;
        }
    }

    /// <summary>Finds the placeholders in the scalar's text as written, which is what rendering substitutes.</summary>
    private void CheckPlaceholders(YamlScalar node, Usage use, IReadOnlyDictionary<string, string> env, Analysis analysis)
    {
        var problemsBefore = analysis.Problems.Count;
        var start = (int)node.Start.Index;
        var end = (int)node.End.Index;
        for (var i = _text.IndexOf('$', start, end - start); i >= 0 && i < end; i = i + 1 < end ? _text.IndexOf('$', i + 1, end - i - 1) : -1)
        {
            if (i + 1 < end && _text[i + 1] == '$')
            {
                i++;
                continue;
            }
            var position = YamlTree.PositionOf(_text, i);
            var problem = Placeholder(i, end, env, out var name, out var length);
            if (problem is null && use.IsKey)
                problem = "a placeholder in a key is not allowed: substitution may change values only";
            else if (problem is null && name == ImageVariable && analysis.MeasuredImageUses.GetValueOrDefault(node) != use.ValueUses)
                problem = $"{ImagePlaceholder} may only be the whole image of a service (the measured service): the launcher supplies the repository and digest";
            else if (problem is null && name != ImageVariable && ForbiddenIn(env[name!]) is { } what)
                problem = $"the value of compose.env {name} contains {what}: compose's YAML reader would not read it as the launcher does";

            if (problem is not null)
                analysis.Problems.Add(new InputProblem(_path, position.Line, position.Column, problem));
            else
                analysis.Tokens.Add(new Token(i, length, name!));
            i += Math.Max(length, 1) - 1;
        }

        // The image placeholder written in any other way (escapes, folding) would not be substituted; say so plainly.
        if (analysis.MeasuredImageUses.ContainsKey(node) && analysis.Problems.Count == problemsBefore && !analysis.Tokens.Any(t => t.Index >= start && t.Index < end && t.Name == ImageVariable))
            analysis.Problems.Add(At(node.Start, $"write the measured image as {ImagePlaceholder} itself, without escapes"));
    }

    /// <summary>Reads the placeholder at <paramref name="i"/>: null with its name when it is one the launcher substitutes, else why not.</summary>
    private string? Placeholder(int i, int end, IReadOnlyDictionary<string, string> env, out string? name, out int length)
    {
        name = null;
        length = 1;
        if (i + 1 < end && _text[i + 1] == '{')
        {
            var close = _text.IndexOf('}', i + 2, end - i - 2);
            if (close < 0)
                return "unterminated ${...}: write $$ for a literal '$'";
            length = close - i + 1;
            var inner = _text[(i + 2)..close];
            if (!VariableName().IsMatch(inner))
                return $"'${{{inner}}}' is not allowed: only {ImagePlaceholder} and plain ${{NAME}} from compose.env are substituted (no defaults or modifiers)";
            name = inner;
            return inner == ImageVariable || env.ContainsKey(inner)
                ? null
                : $"'${{{inner}}}' is not configured: add {inner} to [compose].env or write $$ for a literal '$'";
        }
        var plain = new string(_text.AsSpan(i + 1, end - i - 1).ToArray().TakeWhile(c => char.IsAsciiLetterOrDigit(c) || c == '_').ToArray());
        return plain.Length > 0
            ? $"'${plain}' is not allowed: write ${{{plain}}} and configure it in [compose].env, or $$ for a literal '$'"
            : "a lone '$' is interpolated by compose: write $$ for a literal '$'";
    }

    private static string? ForbiddenIn(string value) =>
        value.Select(YamlTree.DescribeForbidden).FirstOrDefault(d => d is not null);

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

    private InputProblem At(YamlPosition position, string message) => new(_path, position.Line, position.Column, message);

    private readonly record struct Usage(bool IsKey, int ValueUses);

    private sealed record Token(int Index, int Length, string Name);

    private sealed class Analysis(List<InputProblem> problems)
    {
        public List<InputProblem> Problems { get; } = problems;
        public List<Token> Tokens { get; } = [];
        public Dictionary<YamlScalar, int> MeasuredImageUses { get; } = new(ReferenceEqualityComparer.Instance);
        public Dictionary<YamlScalar, PinnedImage> ImageNodes { get; } = new(ReferenceEqualityComparer.Instance);
        public ComposeStack Stack { get; } = new([], []);
    }

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex VariableName();

    [GeneratedRegex(@"^\S+@sha256:[0-9a-f]{64}$")]
    private static partial Regex PinnedSyntax();

    [GeneratedRegex(@"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)\}")]
    private static partial Regex TokenPattern();
}

/// <summary>The stack as the template describes it: the services running the measured image, and every other image.</summary>
public sealed record ComposeStack(List<string> MeasuredServices, List<StackImage> Images);

/// <summary>An image other than the measured one, and the services that run it.</summary>
public sealed record StackImage(PinnedImage Image, List<string> Services);
