using System.Buffers;
using System.Text;
using System.Text.RegularExpressions;
using System.Text.Unicode;
using Tomlyn;
using Tomlyn.Parsing;
using Tomlyn.Syntax;

namespace TeeLauncher.TomlModel;

/// <summary>
/// Reads TOML 1.1 with Tomlyn's syntax parser and turns the syntax tree into a
/// <see cref="TomlTable"/> whose keys and values keep their positions. Tomlyn's gaps are closed here:
/// invalid UTF-8 is found by a strict decode that knows where, a key of more segments than
/// <see cref="MaxKeySegments"/> and hex, octal or binary integers past 2^63 - 1 (which Tomlyn wraps) are
/// refused, nesting too deep gets a position, and redefinitions are judged by <see cref="TomlTreeBuilder"/>
/// instead of Tomlyn's validator, whose answer depends on string hashes; of the redefinitions only those that are
/// not consequences of an earlier one are reported.
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
        var syntax = ParseSyntax(text, sourceName);
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

        var (root, redefinitions) = TomlTreeBuilder.Build(syntax);
        if (redefinitions.Count > 0)
            throw new TomlReadException(sourceName, Independent(syntax, redefinitions));
        return root;
    }

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

    private static DocumentSyntax ParseSyntax(string text, string sourceName)
    {
        try
        {
            return Run(text, sourceName);
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
    private static DocumentSyntax Run(string text, string sourceName) =>
        SyntaxParser.Parse(text.EndsWith('\n') || text.EndsWith('\r') ? text : text + "\n", Options, sourceName, validate: false);

    private static bool Throws(string prefix, string sourceName)
    {
        try
        {
            Run(prefix, sourceName);
            return false;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return true;
        }
    }

    /// <summary>
    /// A redefined table is reported, and then every key written under it; the first error of each header section
    /// stands for its section.
    /// </summary>
    private static List<TomlError> Independent(DocumentSyntax document, List<TomlError> errors)
    {
        var headerLines = document.Tables.Select(t => At(t.Span.Start).Line).ToList();
        return [.. errors
            .OrderBy(e => (e.At.Line, e.At.Column))
            .GroupBy(e => headerLines.Count(line => line <= e.At.Line))
            .Select(section => section.First())];
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

    internal static TomlPosition At(TextPosition position) => new(position.Line + 1, position.Column + 1);

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

    /// <summary>Tomlyn's message as one line: positions as line:column, no control characters.</summary>
    private static string Reason(string message)
    {
        var reason = message.Replace('`', '\'');
        reason = Coordinates().Replace(reason, "$1:$2");
        reason = string.Concat(reason.Select(c => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString()));
        return reason.Length > 0 ? char.ToLowerInvariant(reason[0]) + reason[1..] : reason;
    }

    [GeneratedRegex(@"\((\d+),(\d+)\)")]
    private static partial Regex Coordinates();
}

/// <summary>One error of a document: where and what.</summary>
public readonly record struct TomlError(TomlPosition At, string Reason);
