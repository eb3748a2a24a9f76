using System.Buffers;
using System.Text;
using System.Text.RegularExpressions;
using System.Text.Unicode;
using Tomlyn;
using Tomlyn.Parsing;
using Tomlyn.Syntax;

namespace TeeLauncher.TomlModel;

/// <summary>
/// Reads TOML 1.1 with Tomlyn's syntax parser and validator and turns the syntax tree into a
/// <see cref="TomlTable"/> whose keys and values keep their positions. Tomlyn's gaps are closed here:
/// invalid UTF-8 is found by a strict decode that knows where, a key of more segments than
/// <see cref="MaxKeySegments"/> and hex, octal or binary integers past 2^63 - 1 (which Tomlyn wraps) are
/// refused, nesting too deep gets a position, and of Tomlyn's diagnostics only those that are not
/// consequences of an earlier one are reported.
/// </summary>
public static partial class TomlDocument
{
    /// <summary>Tomlyn's <see cref="TomlSerializerOptions.MaxDepth"/>: the document and the arrays and inline tables in it.</summary>
    public const int MaxDepth = 64;

    /// <summary>Segments of one key, such as <c>a.b.c</c> (three); a header's and a key's count each.</summary>
    public const int MaxKeySegments = 64;

    private static readonly TomlSerializerOptions Options = new() { MaxDepth = MaxDepth };

    /// <summary>Parses <paramref name="utf8"/>; throws <see cref="TomlReadException"/> with every independent error.</summary>
    public static TomlTable Parse(ReadOnlySpan<byte> utf8, string sourceName)
    {
        var text = Decode(utf8, sourceName);
        var syntax = ParseSyntax(text, sourceName, validate: false);
        if (syntax.HasErrors)
        {
            // After the first syntax error the parser resynchronises by guessing; what it reports next is noise.
            var first = syntax.Diagnostics.Where(d => d.Kind == DiagnosticMessageKind.Error).MinBy(d => (d.Span.Start.Line, d.Span.Start.Column))!;
            throw new TomlReadException(sourceName, [new TomlError(At(first.Span.Start), Reason(first.Message))]);
        }
        var limits = new List<TomlError>();
        CheckLimits(syntax, limits);
        if (limits.Count > 0)
            throw new TomlReadException(sourceName, limits);

        var validated = ParseSyntax(text, sourceName, validate: true);
        if (validated.HasErrors && Confirmed(text, sourceName, syntax, validated) is { Count: > 0 } errors)
            throw new TomlReadException(sourceName, Independent(validated, errors));
        return Build(syntax);
    }

    /// <summary>
    /// Tomlyn's validator (Tomlyn.Syntax.SyntaxValidator, 2.10.2 to 2.11.1) keeps the paths it has seen in a dictionary
    /// whose keys are copies made by <c>MemberwiseClone</c> of a <c>List</c>: they share one array with the path being
    /// built, so a stored key reads as whatever key is written now, and two distinct keys of one table whose path hashes
    /// collide (string hashes are random per process) are reported "already defined". A large document meets such a
    /// pair by chance. Each such report is checked by validating twice more with every key segment renamed to a fresh
    /// bare key (names of distinct hashes, so one key maps to one name, and lines stay where they are): a redefinition
    /// counts where at least two of the three runs report one on that line. A renamed run cannot miss a real
    /// redefinition, only add an unlikely false one, and two runs do not add the same false one.
    /// </summary>
    private static List<Diagnostic> Confirmed(string text, string sourceName, DocumentSyntax syntax, DocumentSyntax validated)
    {
        var errors = validated.Diagnostics.Where(d => d.Kind == DiagnosticMessageKind.Error).Select(d => new Diagnostic(d.Span.Start, d.Message)).ToList();
        if (!errors.Any(IsRedefinition))
            return errors;
        var segments = KeySegments(syntax).OrderBy(s => s.Start).ToList();
        var runs = new[] { errors, Revalidated(text, sourceName, segments, 'a'), Revalidated(text, sourceName, segments, 'b') };
        var confirmed = runs.SelectMany(run => run.Where(IsRedefinition).Select(d => d.At.Line).Distinct())
            .GroupBy(line => line).Where(votes => votes.Count() >= 2).Select(votes => votes.Key).ToHashSet();
        var kept = errors.Where(d => !IsRedefinition(d) || confirmed.Contains(d.At.Line)).ToList();
        foreach (var line in confirmed.Where(line => !kept.Any(d => d.At.Line == line)))
        {
            var renamed = runs[1].Concat(runs[2]).First(d => IsRedefinition(d) && d.At.Line == line);
            kept.Add(new Diagnostic(renamed.At, "this key or table is already defined and cannot be redefined"));
        }
        return kept;
    }

    private readonly record struct Diagnostic(TextPosition At, string Message);

    private static bool IsRedefinition(Diagnostic diagnostic) => diagnostic.Message.Contains("is already defined", StringComparison.Ordinal);

    private static List<Diagnostic> Revalidated(string text, string sourceName, List<(int Start, int Length, string Value)> segments, char prefix)
    {
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        var hashes = new HashSet<int>();
        var renamed = new StringBuilder(text.Length + segments.Count * 4);
        var next = 0;
        var copied = 0;
        foreach (var (start, length, value) in segments)
        {
            if (!names.TryGetValue(value, out var name))
            {
                do
                    name = $"{prefix}{next++}";
                while (!hashes.Add(name.GetHashCode()));
                names.Add(value, name);
            }
            renamed.Append(text, copied, start - copied).Append(name);
            copied = start + length;
        }
        renamed.Append(text, copied, text.Length - copied);
        return [.. ParseSyntax(renamed.ToString(), sourceName, validate: true).Diagnostics
            .Where(d => d.Kind == DiagnosticMessageKind.Error).Select(d => new Diagnostic(d.Span.Start, d.Message))];
    }

    /// <summary>Every key segment of the document, bare or quoted, with its span in the text and its value.</summary>
    private static IEnumerable<(int Start, int Length, string Value)> KeySegments(DocumentSyntax document)
    {
        var keys = document.KeyValues.SelectMany(KeysOf)
            .Concat(document.Tables.SelectMany(t => new[] { t.Name! }.Concat(t.Items.SelectMany(KeysOf))));
        foreach (var key in keys)
            foreach (var segment in new[] { key.Key! }.Concat(key.DotKeys.Select(d => d.Key!)))
                yield return (segment.Span.Start.Offset, segment.Span.Length, Segment(segment).Name);
    }

    private static IEnumerable<KeySyntax> KeysOf(KeyValueSyntax keyValue) => new[] { keyValue.Key! }.Concat(KeysIn(keyValue.Value!));

    private static IEnumerable<KeySyntax> KeysIn(ValueSyntax value) => value switch
    {
        ArraySyntax array => array.Items.SelectMany(item => KeysIn(item.Value!)),
        InlineTableSyntax inline => inline.Items.SelectMany(item => KeysOf(item.KeyValue!)),
        _ => [],
    };

    private static string Decode(ReadOnlySpan<byte> utf8, string sourceName)
    {
        var chars = ArrayPool<char>.Shared.Rent(utf8.Length);
        try
        {
            var status = Utf8.ToUtf16(utf8, chars, out var read, out var written, replaceInvalidSequences: false);
            if (status == OperationStatus.Done)
                return new string(chars, 0, written);
            var before = new string(chars, 0, written);
            throw new TomlReadException(sourceName,
                [new TomlError(PositionAt(before, before.Length), $"invalid UTF-8 (byte 0x{utf8[read]:x2}): a TOML document must be UTF-8 text")]);
        }
        finally
        {
            ArrayPool<char>.Shared.Return(chars);
        }
    }

    private static DocumentSyntax ParseSyntax(string text, string sourceName, bool validate)
    {
        try
        {
            return Run(text, sourceName, validate);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Tomlyn throws, without a position, at MaxDepth; anything else it throws on is an input it cannot
            // read, never a launcher bug. The shortest prefix that still throws ends where it gave up.
            var (low, high) = (1, text.Length);
            while (low < high)
            {
                var middle = low + (high - low) / 2;
                if (Throws(text[..middle], sourceName))
                    high = middle;
                else
                    low = middle + 1;
            }
            var reason = e is TomlException
                ? $"arrays and inline tables nest more than {MaxDepth - 1} deep here"
                : $"Tomlyn cannot read the document here ({e.Message})";
            throw new TomlReadException(sourceName, [new TomlError(PositionAt(text, low - 1), reason)]);
        }
    }

    /// <summary>
    /// Parses with a final newline: a document means the same with it, and Tomlyn's lexer throws instead of
    /// reporting when a document ends inside a <c>\u</c> escape. After a carriage return it would make a
    /// bare CR (an error) a line break, so none is added there.
    /// </summary>
    private static DocumentSyntax Run(string text, string sourceName, bool validate) =>
        SyntaxParser.Parse(text.EndsWith('\n') || text.EndsWith('\r') ? text : text + "\n", Options, sourceName, validate);

    private static bool Throws(string prefix, string sourceName)
    {
        try
        {
            Run(prefix, sourceName, validate: false);
            return false;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return true;
        }
    }

    /// <summary>
    /// Tomlyn's validator reports a redefined table and then every key written under it; the first error of each
    /// header section stands for its section.
    /// </summary>
    private static List<TomlError> Independent(DocumentSyntax document, List<Diagnostic> errors)
    {
        var headerLines = document.Tables.Select(t => t.Span.Start.Line).ToList();
        return [.. errors
            .OrderBy(d => (d.At.Line, d.At.Column))
            .GroupBy(d => headerLines.Count(line => line <= d.At.Line))
            .Select(section => section.First())
            .Select(d => new TomlError(At(d.At), Reason(d.Message)))];
    }

    private static void CheckLimits(DocumentSyntax document, List<TomlError> errors)
    {
        foreach (var keyValue in document.KeyValues)
            CheckLimits(keyValue, errors);
        foreach (var table in document.Tables)
        {
            CheckSegments(table.Name!, errors);
            foreach (var keyValue in table.Items)
                CheckLimits(keyValue, errors);
        }
    }

    private static void CheckLimits(KeyValueSyntax keyValue, List<TomlError> errors)
    {
        CheckSegments(keyValue.Key!, errors);
        CheckValue(keyValue.Value!, errors);
    }

    private static void CheckSegments(KeySyntax key, List<TomlError> errors)
    {
        if (key.DotKeys.ChildrenCount + 1 > MaxKeySegments)
            errors.Add(new TomlError(At(key.Span.Start), $"a key of {key.DotKeys.ChildrenCount + 1} dotted parts; at most {MaxKeySegments} are allowed"));
    }

    private static void CheckValue(ValueSyntax value, List<TomlError> errors)
    {
        switch (value)
        {
            case IntegerValueSyntax integer when integer.Value < 0 && integer.Token!.Text is ['0', 'x' or 'o' or 'b', ..] digits:
                errors.Add(new TomlError(At(integer.Span.Start), $"integer {digits} is larger than {long.MaxValue}, the largest TOML integer"));
                break;
            case ArraySyntax array:
                foreach (var item in array.Items)
                    CheckValue(item.Value!, errors);
                break;
            case InlineTableSyntax inline:
                foreach (var item in inline.Items)
                    CheckLimits(item.KeyValue!, errors);
                break;
        }
    }

    private static TomlTable Build(DocumentSyntax document)
    {
        var root = new TomlTable(new TomlPosition(1, 1));
        foreach (var keyValue in document.KeyValues)
            Add(root, keyValue);
        foreach (var header in document.Tables)
        {
            var table = header is TableArraySyntax ? AppendElement(root, header) : Define(root, header);
            foreach (var keyValue in header.Items)
                Add(table, keyValue);
        }
        return root;
    }

    private static TomlTable Define(TomlTable root, TableSyntaxBase header)
    {
        var at = At(header.OpenBracket!.Span.Start);
        var (parent, name, nameAt) = Parent(root, header.Name!);
        if (parent.TryGetValue(name, out var existing))
        {
            // Named before only as the parent of another header or by dotted keys: this header defines it.
            var implied = (TomlTable)existing;
            implied.Position = at;
            return implied;
        }
        var table = new TomlTable(at);
        parent.Add(name, table, nameAt, at);
        return table;
    }

    private static TomlTable AppendElement(TomlTable root, TableSyntaxBase header)
    {
        var at = At(header.OpenBracket!.Span.Start);
        var (parent, name, nameAt) = Parent(root, header.Name!);
        if (!parent.TryGetValue(name, out var existing))
        {
            existing = new TomlTableArray(at);
            parent.Add(name, existing, nameAt, at);
        }
        var element = new TomlTable(at);
        ((TomlTableArray)existing).Add(element);
        return element;
    }

    private static void Add(TomlTable table, KeyValueSyntax keyValue)
    {
        var (parent, name, nameAt) = Parent(table, keyValue.Key!);
        parent.Add(name, Value(keyValue.Value!), nameAt, At(keyValue.Value!.Span.Start));
    }

    /// <summary>The table the last segment of <paramref name="key"/> goes into, creating the tables the others name.</summary>
    private static (TomlTable Parent, string Name, TomlPosition At) Parent(TomlTable table, KeySyntax key)
    {
        var (name, at) = Segment(key.Key!);
        foreach (var dotted in key.DotKeys)
        {
            table = Descend(table, name, at);
            (name, at) = Segment(dotted.Key!);
        }
        return (table, name, at);
    }

    private static TomlTable Descend(TomlTable table, string name, TomlPosition at)
    {
        if (!table.TryGetValue(name, out var existing))
        {
            var created = new TomlTable(at);
            table.Add(name, created, at, at);
            return created;
        }
        return existing as TomlTable ?? ((TomlTableArray)existing).Last;
    }

    private static (string Name, TomlPosition At) Segment(BareKeyOrStringValueSyntax segment) => segment switch
    {
        BareKeySyntax bare => (bare.Key!.Text!, At(bare.Span.Start)),
        StringValueSyntax quoted => (quoted.Value!, At(quoted.Span.Start)),
        _ => throw new InvalidOperationException($"unexpected key syntax {segment.Kind}"),
    };

    private static object Value(ValueSyntax value)
    {
        switch (value)
        {
            case StringValueSyntax s:
                return s.Value!;
            case IntegerValueSyntax i:
                return i.Value;
            case FloatValueSyntax f:
                return f.Value;
            case BooleanValueSyntax b:
                return b.Value;
            case DateTimeValueSyntax d:
                return d.Value;
            case ArraySyntax a:
                var array = new TomlArray(At(a.Span.Start));
                foreach (var item in a.Items)
                    array.Add(Value(item.Value!), At(item.Value!.Span.Start));
                return array;
            case InlineTableSyntax t:
                var table = new TomlTable(At(t.Span.Start));
                foreach (var item in t.Items)
                    Add(table, item.KeyValue!);
                return table;
            default:
                throw new InvalidOperationException($"unexpected value syntax {value.Kind}");
        }
    }

    private static TomlPosition At(TextPosition position) => new(position.Line + 1, position.Column + 1);

    /// <summary>The position of <paramref name="index"/> in <paramref name="text"/>, the column in Unicode scalars.</summary>
    private static TomlPosition PositionAt(string text, int index)
    {
        var lineStart = index == 0 ? 0 : text.LastIndexOf('\n', index - 1) + 1;
        var line = text.AsSpan(0, lineStart).Count('\n') + 1;
        var column = 1;
        foreach (var _ in text.AsSpan(lineStart, index - lineStart).EnumerateRunes())
            column++;
        return new TomlPosition(line, column);
    }

    /// <summary>Tomlyn's message as one line: no quoted source excerpt, positions as line:column, no control characters.</summary>
    private static string Reason(string message)
    {
        var reason = Excerpt().Replace(message, "").Replace('`', '\'');
        reason = Coordinates().Replace(reason, "$1:$2");
        reason = string.Concat(reason.Select(c => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString()));
        return reason.Length > 0 ? char.ToLowerInvariant(reason[0]) + reason[1..] : reason;
    }

    [GeneratedRegex(" with `.*`(?= and cannot be redefined)", RegexOptions.Singleline)]
    private static partial Regex Excerpt();

    [GeneratedRegex(@"\((\d+),(\d+)\)")]
    private static partial Regex Coordinates();
}

/// <summary>One error of a document: where and what.</summary>
public readonly record struct TomlError(TomlPosition At, string Reason);
