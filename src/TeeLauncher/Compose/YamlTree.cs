using System.Text.RegularExpressions;
using TeeLauncher.Files;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace TeeLauncher.Compose;

/// <summary>A place in a YAML text: 1-based line and column, and the character offset.</summary>
public readonly record struct YamlPosition(int Line, int Column, long Index);

public abstract class YamlNode(YamlPosition start)
{
    public YamlPosition Start { get; } = start;
}

public enum YamlScalarStyle { Plain, Quoted, Block }

public sealed class YamlScalar(YamlPosition start, YamlPosition end, string value, YamlScalarStyle style) : YamlNode(start)
{
    public YamlPosition End { get; } = end;
    public string Value { get; } = value;
    public YamlScalarStyle Style { get; } = style;
    public bool IsPlain => Style == YamlScalarStyle.Plain;

    /// <summary>A plain scalar that YAML reads as null: empty, <c>~</c> or <c>null</c>.</summary>
    public bool IsNull => IsPlain && Value is "" or "~" or "null" or "Null" or "NULL";
}

public sealed class YamlSequence(YamlPosition start, IReadOnlyList<YamlNode> items) : YamlNode(start)
{
    public IReadOnlyList<YamlNode> Items { get; } = items;
}

/// <summary>A mapping with <c>&lt;&lt;</c> merge keys resolved: explicit entries first, then merged ones they do not override.</summary>
public sealed class YamlMapping(YamlPosition start, IReadOnlyList<KeyValuePair<YamlScalar, YamlNode>> entries) : YamlNode(start)
{
    public IReadOnlyList<KeyValuePair<YamlScalar, YamlNode>> Entries { get; } = entries;

    public YamlNode? this[string key] => Entries.FirstOrDefault(e => e.Key.Value == key).Value;
}

public sealed record YamlProblem(YamlPosition Position, string Message);

/// <summary>
/// One YAML document read the way both YAML 1.1 (PyYAML, docker-compose v1) and YAML 1.2 (compose v2) read it, or refused:
/// whatever the two readings could disagree on (tags, directives, several documents, NEL/LS/PS line breaks, tabs, a BOM,
/// keys that YAML 1.1 types as booleans, numbers or null, quoted merge keys, duplicate keys and anchors) is a problem here.
/// </summary>
public static partial class YamlTree
{
    private const int MaxDepth = 64;
    private const string MergeKey = "<<";

    public static (YamlNode? Root, IReadOnlyList<YamlProblem> Problems) Read(string text)
    {
        var problems = new List<YamlProblem>();
        CheckCharacters(text, problems);
        if (problems.Count > 0)
            return (null, problems);
        var parser = new Parser(new StringReader(text));
        var marks = new Marks(text);
        try
        {
            return (new Reader(parser, problems, marks).ReadStream(), problems);
        }
        catch (YamlException e)
        {
            problems.Add(new YamlProblem(marks.Position(e.Start), $"not valid YAML: {Reason(e)}"));
            return (null, problems);
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet's scanner gives up this way on some malformed flow collections instead of a YamlException.
            var at = parser.Current is { } last ? marks.Position(last.Start) : new YamlPosition(1, 1, 0);
            problems.Add(new YamlProblem(at, "not valid YAML: the parser cannot read on from here (check brackets and indentation)"));
            return (null, problems);
        }
    }

    /// <summary>The position of a character offset (docs/spec.md §10).</summary>
    public static YamlPosition PositionOf(string text, int index)
    {
        var (line, column) = TextPosition.InText(text, index);
        return new YamlPosition(line, column, index);
    }

    /// <summary>A character either reading could take differently, or that YAML does not allow: null when there is none.</summary>
    public static string? DescribeForbidden(char c) => c switch
    {
        '\t' => "a tab (PyYAML refuses tabs where YAML 1.2 allows them; indent with spaces, write \\t in a double-quoted string)",
        '\u0085' or '\u2028' or '\u2029' => $"U+{(int)c:X4}, a line break for YAML 1.1 but not for YAML 1.2",
        '\uFEFF' => "a byte order mark (U+FEFF)",
        '\n' or '\r' => null,
        < ' ' or (>= '\u007F' and <= '\u009F') or '\uFFFE' or '\uFFFF' => $"the control character U+{(int)c:X4}",
        _ => null,
    };

    private static void CheckCharacters(string text, List<YamlProblem> problems)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (DescribeForbidden(text[i]) is { } what)
                problems.Add(new YamlProblem(PositionOf(text, i), $"{what} is not allowed in the compose template"));
        }
    }

    private static bool IsDefaultTagDirective(YamlDotNet.Core.Tokens.TagDirective tag) =>
        (tag.Handle, tag.Prefix) is ("!", "!") or ("!!", "tag:yaml.org,2002:");

    /// <summary>
    /// YamlDotNet's marks, with the column in characters (docs/spec.md §10): YamlDotNet counts UTF-16 units, so a
    /// character outside the BMP before the mark on its line would count twice. Its lines are ours: the line breaks it
    /// knows beyond LF and CR are refused before it reads.
    /// </summary>
    private sealed class Marks(string text)
    {
        private readonly int[] _secondHalves = [.. Enumerable.Range(1, Math.Max(text.Length - 1, 0)).Where(i => char.IsSurrogatePair(text[i - 1], text[i]))];

        public YamlPosition Position(Mark mark)
        {
            var index = (int)Math.Min(mark.Index, text.Length);
            var lineStart = Math.Max(index - ((int)mark.Column - 1), 0);
            var counted = Before(index) - Before(lineStart);
            return new YamlPosition((int)mark.Line, (int)mark.Column - counted, mark.Index);
        }

        private int Before(int index)
        {
            var found = Array.BinarySearch(_secondHalves, index);
            return found >= 0 ? found : ~found;
        }
    }

    private static string Reason(YamlException e)
    {
        var message = e.Message;
        var close = message.IndexOf("): ", StringComparison.Ordinal);
        return message.StartsWith('(') && close > 0 ? message[(close + 3)..] : message;
    }

    private sealed class Reader(IParser parser, List<YamlProblem> problems, Marks marks)
    {
        private readonly Dictionary<string, YamlNode> _anchors = new(StringComparer.Ordinal);

        public YamlNode? ReadStream()
        {
            parser.Consume<StreamStart>();
            YamlNode? root = null;
            var documents = 0;
            while (parser.TryConsume<DocumentStart>(out var start))
            {
                documents++;
                if (documents == 2)
                    Problem(start.Start, "a second YAML document: the compose template must be one document");
                if (start.Version is not null || start.Tags?.Any(t => !IsDefaultTagDirective(t)) == true)
                    Problem(start.Start, "%YAML and %TAG directives are not allowed: YAML 1.1 and 1.2 readers treat them differently");
                var node = ReadNode(0);
                root ??= node;
                parser.Consume<DocumentEnd>();
            }
            parser.Consume<StreamEnd>();
            return root;
        }

        private YamlNode ReadNode(int depth)
        {
            if (depth > MaxDepth)
                throw new YamlException(parser.Current!.Start, parser.Current.End, $"nested deeper than {MaxDepth} levels");
            var current = parser.Current!;
            if (parser.TryConsume<AnchorAlias>(out var alias))
            {
                if (_anchors.TryGetValue(alias.Value.Value, out var target))
                    return target;
                // Reading on would only report what follows from the missing node.
                throw new YamlException(alias.Start, alias.End, $"alias *{alias.Value.Value} refers to no anchor defined before it");
            }

            var properties = (NodeEvent)current;
            if (!properties.Tag.IsEmpty)
                Problem(properties.Start, $"the YAML tag {properties.Tag.Value} is not allowed: compose versions read tags differently");
            YamlNode node = current switch
            {
                Scalar => ReadScalar(),
                SequenceStart => ReadSequence(depth),
                MappingStart => ReadMapping(depth),
                _ => throw new YamlException(current.Start, current.End, $"unexpected {current.GetType().Name}"),
            };
            if (!properties.Anchor.IsEmpty && !_anchors.TryAdd(properties.Anchor.Value, node))
                Problem(properties.Start, $"anchor &{properties.Anchor.Value} is defined twice: YAML readers disagree on which one an alias means");
            return node;
        }

        private YamlScalar ReadScalar()
        {
            var scalar = parser.Consume<Scalar>();
            if (scalar.Style == ScalarStyle.Plain && Yaml11Typed().IsMatch(scalar.Value))
                Problem(scalar.Start, Timestamp().IsMatch(scalar.Value)
                    ? $"'{scalar.Value}' is a timestamp for YAML 1.1 (docker-compose v1 cannot use it) and a string for YAML 1.2: write the string quoted"
                    : $"'{scalar.Value}' is read as a boolean or number by YAML 1.1 and as a string by YAML 1.2 (or the other way round): write the value you mean as both read it (a number in decimal, or with a leading 0 in octal; true or false; text quoted)");
            var style = scalar.Style switch
            {
                ScalarStyle.Plain => YamlScalarStyle.Plain,
                ScalarStyle.Literal or ScalarStyle.Folded => YamlScalarStyle.Block,
                _ => YamlScalarStyle.Quoted,
            };
            return new YamlScalar(marks.Position(scalar.Start), marks.Position(scalar.End), scalar.Value, style);
        }

        private YamlSequence ReadSequence(int depth)
        {
            var start = parser.Consume<SequenceStart>();
            var items = new List<YamlNode>();
            while (!parser.TryConsume<SequenceEnd>(out _))
                items.Add(ReadNode(depth + 1));
            return new YamlSequence(marks.Position(start.Start), items);
        }

        private YamlMapping ReadMapping(int depth)
        {
            var start = parser.Consume<MappingStart>();
            var explicitEntries = new List<KeyValuePair<YamlScalar, YamlNode>>();
            var merged = new List<KeyValuePair<YamlScalar, YamlNode>>();
            while (!parser.TryConsume<MappingEnd>(out _))
            {
                var keyEvent = parser.Current!;
                var keyNode = ReadNode(depth + 1);
                var value = ReadNode(depth + 1);
                if (keyEvent is AnchorAlias || keyNode is not YamlScalar key)
                {
                    Problem(keyEvent.Start, "a mapping key must be a plain or quoted string, not an alias, sequence or mapping");
                    continue;
                }
                if (key.Value == MergeKey && key.IsPlain)
                {
                    Merge(value, merged, key);
                    continue;
                }
                if (key.Value == MergeKey)
                    Problem(keyEvent.Start, "a quoted '<<' key is not allowed: YAML readers disagree on whether it merges");
                else if (key.IsPlain && TypedKey().IsMatch(key.Value))
                    Problem(keyEvent.Start, $"the key '{key.Value}' is not a string for YAML 1.1 (a boolean, number or null): quote it");
                if (explicitEntries.Any(e => e.Key.Value == key.Value))
                    Problem(keyEvent.Start, $"duplicate key '{key.Value}': YAML readers disagree on which value counts");
                else
                    explicitEntries.Add(new(key, value));
            }
            var entries = new List<KeyValuePair<YamlScalar, YamlNode>>(explicitEntries);
            entries.AddRange(merged.Where(m => explicitEntries.All(e => e.Key.Value != m.Key.Value)));
            return new YamlMapping(marks.Position(start.Start), entries);
        }

        /// <summary>Merges a mapping or a sequence of mappings; two merged mappings giving the same key is refused.</summary>
        private void Merge(YamlNode value, List<KeyValuePair<YamlScalar, YamlNode>> merged, YamlScalar mergeKey)
        {
            if (merged.Count > 0)
            {
                Problem(mergeKey.Start, "a second '<<' merge key in one mapping");
                return;
            }
            IReadOnlyList<YamlNode> sources = value is YamlSequence sequence ? sequence.Items : [value];
            foreach (var source in sources)
            {
                if (source is not YamlMapping mapping)
                {
                    Problem(source.Start, "a '<<' merge key takes a mapping or a sequence of mappings");
                    continue;
                }
                foreach (var entry in mapping.Entries)
                {
                    if (merged.Any(m => m.Key.Value == entry.Key.Value))
                        Problem(mergeKey.Start, $"two merged mappings both give '{entry.Key.Value}': YAML readers disagree on which one counts");
                    else
                        merged.Add(entry);
                }
            }
        }

        private void Problem(Mark mark, string message) => problems.Add(new YamlProblem(marks.Position(mark), message));

        private void Problem(YamlPosition position, string message) => problems.Add(new YamlProblem(position, message));
    }

    /// <summary>
    /// Plain scalars whose type the two readers disagree on (PyYAML for YAML 1.1, compose v2's reader): 1.1's yes/no/on/off
    /// booleans, sexagesimal (<c>22:22</c> is 1342), a leading zero followed by 8 or 9, 1.2's <c>0o</c> octal and exponents
    /// without a dot, PyYAML's <c>=</c>, and timestamps. Read alike, and so allowed: <c>y</c>/<c>n</c> (strings for both),
    /// octal with a leading zero (<c>0755</c> is 493 for both), binary and underscores in numbers.
    /// </summary>
    [GeneratedRegex(@"^(?:yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF|=|[-+]?0[0-7_]*[89][0-9_]*(?:\.[0-9_]*)?|[-+]?0o[0-7]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?|[-+]?[0-9]+[eE][-+]?[0-9]+|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)?)$")]
    private static partial Regex Yaml11Typed();

    [GeneratedRegex(@"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}")]
    private static partial Regex Timestamp();

    /// <summary>Plain scalars YAML 1.1 or 1.2 resolves to null, a boolean or a number (including 1.1's sexagesimal and octal forms).</summary>
    [GeneratedRegex(@"^(?:|~|null|Null|NULL|y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|[-+]?\.?[0-9][0-9a-zA-Z_.:+-]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$")]
    private static partial Regex TypedKey();
}
