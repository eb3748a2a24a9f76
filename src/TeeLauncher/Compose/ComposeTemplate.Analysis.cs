using TeeLauncher.Errors;
using TeeLauncher.Values;

namespace TeeLauncher.Compose;

public sealed partial class ComposeTemplate
{
    /// <summary>
    /// The one reading of a template against the configured variables: <see cref="ComposePolicy"/> applied, the placeholders
    /// located in the text as written, the measured services and every other pinned image found.
    /// </summary>
    private sealed class Analysis
    {
        private readonly Dictionary<YamlScalar, int> _measuredImageUses = new(ReferenceEqualityComparer.Instance);
        private readonly List<string> _measuredServices = [];
        private readonly List<(PinnedImage Image, List<string> Services)> _images = [];

        public Analysis(string path, string text, IReadOnlyDictionary<string, string> env)
        {
            Path = path;
            Text = text;
            Env = env;
            (Root, var yamlProblems) = YamlTree.Read(text);
            Problems = [.. yamlProblems.Select(p => At(p.Position, p.Message))];
            if (Root is null)
            {
                if (Problems.Count == 0)
                    Problems.Add(new InputProblem(path, 1, 1, "the compose template is empty: it needs services"));
                return;
            }

            var usage = new Dictionary<YamlScalar, Usage>(ReferenceEqualityComparer.Instance);
            var budget = MaxExpandedNodes;
            CollectDocument(Root, usage, ref budget);
            if (budget < 0)
                Problems.Add(At(Root.Start, $"the document stands for more than {MaxExpandedNodes} nodes once aliases are expanded"));
            ReadDocument(Root);
            foreach (var (node, use) in usage)
                LocatePlaceholders(node, use);
            if (Problems.Count == 0 && _measuredServices.Count == 0)
                Problems.Add(At(Root.Start, $"no service has image: {ImagePlaceholder}: the measured service must have exactly that image"));
        }

        public string Path { get; }

        public string Text { get; }

        public IReadOnlyDictionary<string, string> Env { get; }

        public YamlNode? Root { get; }

        public List<InputProblem> Problems { get; }

        public List<Placeholder> Placeholders { get; } = [];

        /// <summary>The image scalar of each service that runs a pinned image other than the measured one.</summary>
        public Dictionary<YamlScalar, PinnedImage> ImageNodes { get; } = new(ReferenceEqualityComparer.Instance);

        public ComposeStack Stack() => new([.. _measuredServices], [.. _images.Select(i => new StackImage(i.Image, [.. i.Services]))]);

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

        private void ReadDocument(YamlNode root)
        {
            if (root is not YamlMapping top)
            {
                Problems.Add(At(root.Start, "the compose file must be a mapping with a 'services' key"));
                return;
            }
            Problems.AddRange(ComposePolicy.TopLevelProblems(top).Select(p => At(p.Position, p.Message)));
            if (top["services"] is not YamlMapping services || services.Entries.Count == 0)
            {
                Problems.Add(At(top["services"]?.Start ?? top.Start, "'services' must be a mapping with at least one service"));
                return;
            }
            foreach (var (name, service) in services.Entries)
            {
                if (service is not YamlMapping mapping)
                {
                    Problems.Add(At(service.Start, $"service '{name.Value}' must be a mapping"));
                    continue;
                }
                Problems.AddRange(ComposePolicy.ServiceProblems(mapping).Select(p => At(p.Position, p.Message)));
                ReadImage(name.Value, mapping);
            }
        }

        private void ReadImage(string name, YamlMapping service)
        {
            var image = service["image"];
            if (image is not YamlScalar { Style: not YamlScalarStyle.Block } scalar)
            {
                Problems.Add(At(image?.Start ?? service.Start, $"service '{name}' needs an image: a plain or quoted scalar"));
                return;
            }
            if (scalar.Value == ImagePlaceholder)
            {
                _measuredImageUses[scalar] = _measuredImageUses.GetValueOrDefault(scalar) + 1;
                _measuredServices.Add(name);
                return;
            }
            var reference = Substitute(scalar.Value, Env, measured: null);
            if (scalar.Value.Contains(ImagePlaceholder))
                return;
            if (!PinnedImage.TryParse(reference, out var pinned))
            {
                Problems.Add(At(scalar.Start, $"image '{reference}' of service '{name}' is not pinned: every other service image must be <repository>@sha256:<64 hex>"));
                return;
            }
            ImageNodes[scalar] = pinned;
            if (_images.FindIndex(i => i.Image.Reference == pinned.Reference) is var known and >= 0)
                _images[known].Services.Add(name);
            else
                _images.Add((pinned, [name]));
        }

        /// <summary>Finds the placeholders in the scalar's text as written, which is what rendering substitutes.</summary>
        private void LocatePlaceholders(YamlScalar node, Usage use)
        {
            var problemsBefore = Problems.Count;
            var start = (int)node.Start.Index;
            var end = (int)node.End.Index;
            for (var i = Text.IndexOf('$', start, end - start); i >= 0 && i < end; i = i + 1 < end ? Text.IndexOf('$', i + 1, end - i - 1) : -1)
            {
                if (i + 1 < end && Text[i + 1] == '$')
                {
                    i++;
                    continue;
                }
                var position = YamlTree.PositionOf(Text, i);
                var problem = ReadPlaceholder(i, end, out var name, out var length);
                if (problem is null && use.IsKey)
                    problem = "a placeholder in a key is not allowed: substitution may change values only";
                else if (problem is null && name == ImageVariable && _measuredImageUses.GetValueOrDefault(node) != use.ValueUses)
                    problem = $"{ImagePlaceholder} may only be the whole image of a service (the measured service): the launcher supplies the repository and digest";
                else if (problem is null && name != ImageVariable && ForbiddenIn(Env[name!]) is { } what)
                    problem = $"the value of compose.env {name} contains {what}: compose's YAML reader would not read it as the launcher does";

                if (problem is not null)
                    Problems.Add(At(position, problem));
                else
                    Placeholders.Add(new Placeholder(i, length, name!));
                i += Math.Max(length, 1) - 1;
            }

            // The image placeholder written in any other way (escapes, folding) would not be substituted; say so plainly.
            if (_measuredImageUses.ContainsKey(node) && Problems.Count == problemsBefore && !Placeholders.Any(t => t.Index >= start && t.Index < end && t.Name == ImageVariable))
                Problems.Add(At(node.Start, $"write the measured image as {ImagePlaceholder} itself, without escapes"));
        }

        /// <summary>Reads the placeholder at <paramref name="i"/>: null with its name when it is one the launcher substitutes, else why not.</summary>
        private string? ReadPlaceholder(int i, int end, out string? name, out int length)
        {
            name = null;
            length = 1;
            if (i + 1 < end && Text[i + 1] == '{')
            {
                var close = Text.IndexOf('}', i + 2, end - i - 2);
                if (close < 0)
                    return "unterminated ${...}: write $$ for a literal '$'";
                length = close - i + 1;
                var inner = Text[(i + 2)..close];
                if (!VariableName().IsMatch(inner))
                    return $"'${{{inner}}}' is not allowed: only {ImagePlaceholder} and plain ${{NAME}} from compose.env are substituted (no defaults or modifiers)";
                name = inner;
                return inner == ImageVariable || Env.ContainsKey(inner)
                    ? null
                    : $"'${{{inner}}}' is not configured: add {inner} to [compose].env or write $$ for a literal '$'";
            }
            var plain = new string(Text.AsSpan(i + 1, end - i - 1).ToArray().TakeWhile(c => char.IsAsciiLetterOrDigit(c) || c == '_').ToArray());
            return plain.Length > 0
                ? $"'${plain}' is not allowed: write ${{{plain}}} and configure it in [compose].env, or $$ for a literal '$'"
                : "a lone '$' is interpolated by compose: write $$ for a literal '$'";
        }

        private static string? ForbiddenIn(string value) =>
            value.Select(YamlTree.DescribeForbidden).FirstOrDefault(d => d is not null);

        private InputProblem At(YamlPosition position, string message) => ComposeTemplate.At(Path, position, message);

        private readonly record struct Usage(bool IsKey, int ValueUses);
    }
}
