using System.Text;

namespace TeeLauncher.Toml;

/// <summary>Parses TOML 1.0 from UTF-8 bytes or text into a <see cref="TomlTable"/> with positions.</summary>
public static class TomlParser
{
    /// <summary>
    /// Tables and arrays nested deeper than this, each key segment counting as a level, are refused, so no input
    /// can exhaust the stack of the parser or of code that walks the result.
    /// </summary>
    public const int MaxDepth = 128;

    public static TomlTable Parse(ReadOnlySpan<byte> utf8, string? sourceName = null) => new Parser(utf8, sourceName).ParseDocument();

    public static TomlTable Parse(string text, string? sourceName = null) => Parse(Encoding.UTF8.GetBytes(text), sourceName);
}

/// <summary>A single pass over the bytes: keys, values and headers are read in place, strings decoded once.</summary>
internal ref partial struct Parser
{
    private readonly ReadOnlySpan<byte> _src;
    private readonly string? _sourceName;
    private readonly TomlTable _root;
    private readonly List<KeySegment> _segments = [];
    private readonly List<List<KeySegment>> _segmentsByDepth = [];
    private readonly Utf8Buffer _text = new();
    private readonly KeyCache _keys = new();
    private readonly ScratchPool<TomlTable.Entry> _entryScratch = new();
    private readonly ScratchPool<TomlArray.Element> _itemScratch = new();
    private readonly List<TomlTable> _filling = [];
    private TomlTable _current;
    private int _sectionDepth;
    private int _pos;
    private int _line = 1;
    private int _lineStart;
    private int _section;
    private int _columnOffset;
    private int _columnCount;
    private int _columnLineStart = -1;

    public Parser(ReadOnlySpan<byte> src, string? sourceName)
    {
        _src = src;
        _sourceName = sourceName;
        _root = new TomlTable(new TomlPosition(1, 1), TableOrigin.Header);
        _current = _root;
    }

    private readonly bool AtEnd => _pos >= _src.Length;

    private readonly int Peek(int ahead = 0) => _pos + ahead < _src.Length ? _src[_pos + ahead] : -1;

    public TomlTable ParseDocument()
    {
        if (_src.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
            _pos = _lineStart = 3;
        CheckUtf8();
        while (!AtEnd)
        {
            SkipWhitespace();
            switch (Peek())
            {
                case -1:
                    break;
                case '#':
                    SkipComment();
                    break;
                case '\n' or '\r':
                    break;
                case '[':
                    ParseHeader();
                    break;
                default:
                    ParseKeyValue(_current, _sectionDepth);
                    break;
            }
            ExpectLineEnd();
        }
        Seal(0, _filling.Count);
        return _root;
    }

    private void CheckUtf8()
    {
        if (System.Text.Unicode.Utf8.IsValid(_src[_pos..]))
            return;
        var at = _pos;
        while (at < _src.Length)
        {
            if (System.Buffers.OperationStatus.Done != System.Text.Rune.DecodeFromUtf8(_src[at..], out _, out var length))
                break;
            at += length;
        }
        MoveTo(at);
        throw Error(at, "invalid UTF-8: a TOML document must be UTF-8 text");
    }

    /// <summary>Moves to <paramref name="target"/> keeping the line count right, for errors found ahead of the cursor.</summary>
    private void MoveTo(int target)
    {
        for (; _pos < target; _pos++)
        {
            if (_src[_pos] == '\n')
            {
                _line++;
                _lineStart = _pos + 1;
            }
        }
    }

    private void ExpectLineEnd()
    {
        SkipWhitespace();
        if (Peek() == '#')
            SkipComment();
        if (AtEnd)
            return;
        if (!TryNewline())
            throw Error(_pos, $"expected the end of the line, found {Describe(_pos)}");
    }

    private bool TryNewline()
    {
        var b = Peek();
        if (b == '\n')
        {
            _pos++;
        }
        else if (b == '\r')
        {
            if (Peek(1) != '\n')
                throw Error(_pos, "a carriage return must be followed by a line feed");
            _pos += 2;
        }
        else
        {
            return false;
        }
        _line++;
        _lineStart = _pos;
        return true;
    }

    private void SkipWhitespace()
    {
        while (_pos < _src.Length && (_src[_pos] == ' ' || _src[_pos] == '\t'))
            _pos++;
    }

    private void SkipComment()
    {
        _pos++;
        while (_pos < _src.Length)
        {
            var b = _src[_pos];
            if (b == '\n' || b == '\r')
                return;
            if (IsControl(b))
                throw Error(_pos, $"control character {Describe(_pos)} in a comment");
            _pos++;
        }
    }

    private void SkipWhitespaceCommentsAndNewlines()
    {
        while (true)
        {
            SkipWhitespace();
            if (Peek() == '#')
                SkipComment();
            if (!TryNewline())
                return;
        }
    }

    private static bool IsControl(byte b) => (b < 0x20 && b != '\t') || b == 0x7F;

    private static bool IsBareKeyChar(int b) =>
        b is >= 'a' and <= 'z' or >= 'A' and <= 'Z' or >= '0' and <= '9' or '_' or '-';

    private static bool IsDigit(int b) => b is >= '0' and <= '9';

    // ---- keys and tables ----

    private readonly record struct KeySegment(string Name, TomlPosition At);

    private void ParseKey(List<KeySegment> segments)
    {
        segments.Clear();
        while (true)
        {
            SkipWhitespace();
            var at = Position(_pos);
            var b = Peek();
            string name;
            if (IsBareKeyChar(b))
            {
                var start = _pos;
                while (_pos < _src.Length && IsBareKeyChar(_src[_pos]))
                    _pos++;
                name = _keys.Get(_src[start.._pos]);
            }
            else if (b == '"')
            {
                if (Peek(1) == '"' && Peek(2) == '"')
                    throw Error(_pos, "a multi-line string cannot be a key");
                name = ParseBasicString();
            }
            else if (b == '\'')
            {
                if (Peek(1) == '\'' && Peek(2) == '\'')
                    throw Error(_pos, "a multi-line string cannot be a key");
                name = ParseLiteralString();
            }
            else
            {
                throw Error(_pos, b is '=' or '.' or ']' ? "expected a key before this" : $"expected a key, found {Describe(_pos)}");
            }
            segments.Add(new KeySegment(name, at));
            SkipWhitespace();
            if (Peek() != '.')
                return;
            _pos++;
        }
    }

    /// <summary>Inline tables nest, so each depth has its own key list, reused from one key to the next.</summary>
    private readonly List<KeySegment> SegmentsAt(int depth)
    {
        while (_segmentsByDepth.Count <= depth)
            _segmentsByDepth.Add([]);
        return _segmentsByDepth[depth];
    }

    /// <summary>Parses <c>key = value</c> into <paramref name="table"/>, which is nested <paramref name="depth"/> levels deep.</summary>
    private void ParseKeyValue(TomlTable table, int depth)
    {
        var segments = SegmentsAt(depth);
        ParseKey(segments);
        if (depth + segments.Count > TomlParser.MaxDepth)
            throw ErrorAt(segments[TomlParser.MaxDepth - depth].At, TooDeep);
        if (Peek() != '=')
            throw Error(_pos, AtEnd || Peek() is '\n' or '\r'
                ? $"expected '=' and a value after key '{segments[^1].Name}'"
                : $"expected '=' after key '{segments[^1].Name}', found {Describe(_pos)}");
        _pos++;
        SkipWhitespace();
        var valueAt = Position(_pos);
        var last = segments[^1];
        var value = ParseValue(depth + segments.Count);

        var target = table;
        for (var i = 0; i < segments.Count - 1; i++)
            target = DescendDotted(target, segments[i]);
        if (target.ContainsKey(last.Name))
            throw ErrorAt(last.At, target[last.Name] is TomlTable
                ? $"key '{last.Name}' is already defined as a table"
                : $"key '{last.Name}' is already defined");
        target.Add(last.Name, value, last.At, valueAt);
    }

    private TomlTable DescendDotted(TomlTable table, KeySegment segment)
    {
        if (!table.TryGetValue(segment.Name, out var existing))
        {
            var created = NewTable(segment.At, TableOrigin.DottedKey);
            table.Add(segment.Name, created, segment.At, segment.At);
            return created;
        }
        if (existing is not TomlTable child)
            throw ErrorAt(segment.At, $"key '{segment.Name}' is already defined as {TomlTypes.Describe(existing)}, so it cannot hold dotted keys");
        switch (child.Origin)
        {
            case TableOrigin.Inline:
                throw ErrorAt(segment.At, $"inline table '{segment.Name}' cannot be extended after it is written");
            case TableOrigin.Header:
                throw ErrorAt(segment.At, $"table '{segment.Name}' is defined by a [header]; add keys to it under that header");
            case TableOrigin.DottedKey when child.Section != _section:
                throw ErrorAt(segment.At, $"table '{segment.Name}' was defined with dotted keys in an earlier section");
            case TableOrigin.Implied:
                child.Origin = TableOrigin.DottedKey;
                child.Section = _section;
                child.Position = segment.At;
                break;
        }
        return child;
    }

    private void ParseHeader()
    {
        var at = Position(_pos);
        _pos++;
        var isArray = Peek() == '[';
        if (isArray)
            _pos++;
        ParseKey(_segments);
        if (_segments.Count > TomlParser.MaxDepth)
            throw ErrorAt(_segments[TomlParser.MaxDepth].At, TooDeep);
        if (Peek() != ']')
            throw Error(_pos, $"expected ']' to close the table header, found {Describe(_pos)}");
        _pos++;
        if (isArray)
        {
            if (Peek() != ']')
                throw Error(_pos, $"expected ']]' to close the array of tables header, found {Describe(_pos)}");
            _pos++;
        }
        _section++;
        _sectionDepth = _segments.Count;
        var finished = _filling.Count;

        var table = _root;
        for (var i = 0; i < _segments.Count - 1; i++)
            table = DescendHeader(table, _segments[i]);
        var last = _segments[^1];
        _current = isArray ? AppendTableArrayElement(table, last, at) : DefineTable(table, last, at);

        // The previous section's tables are sealed only now, as a header often adds a sub-table to one of them.
        Seal(0, finished);
    }

    private TomlTable DescendHeader(TomlTable table, KeySegment segment)
    {
        if (!table.TryGetValue(segment.Name, out var existing))
        {
            var created = NewTable(segment.At, TableOrigin.Implied);
            table.Add(segment.Name, created, segment.At, segment.At);
            return created;
        }
        return existing switch
        {
            TomlTable { Origin: TableOrigin.Inline } => throw ErrorAt(segment.At, $"inline table '{segment.Name}' cannot be extended after it is written"),
            TomlTable child => child,
            TomlTableArray array => array.Last,
            _ => throw ErrorAt(segment.At, $"key '{segment.Name}' is already defined as {TomlTypes.Describe(existing)}, not a table"),
        };
    }

    private TomlTable DefineTable(TomlTable parent, KeySegment segment, TomlPosition at)
    {
        if (!parent.TryGetValue(segment.Name, out var existing))
        {
            var created = NewTable(at, TableOrigin.Header);
            parent.Add(segment.Name, created, segment.At, at);
            return created;
        }
        if (existing is TomlTable { Origin: TableOrigin.Implied } implied)
        {
            implied.Origin = TableOrigin.Header;
            implied.Position = at;
            return implied;
        }
        throw ErrorAt(segment.At, existing switch
        {
            TomlTable { Origin: TableOrigin.Header } => $"table '{segment.Name}' is defined twice",
            TomlTable { Origin: TableOrigin.DottedKey } => $"table '{segment.Name}' is already defined by dotted keys",
            TomlTable => $"table '{segment.Name}' is already defined as an inline table",
            _ => $"key '{segment.Name}' is already defined as {TomlTypes.Describe(existing)}, not a table",
        });
    }

    private TomlTable AppendTableArrayElement(TomlTable parent, KeySegment segment, TomlPosition at)
    {
        TomlTableArray array;
        if (!parent.TryGetValue(segment.Name, out var existing))
        {
            array = new TomlTableArray(at);
            parent.Add(segment.Name, array, segment.At, at);
        }
        else
        {
            array = existing as TomlTableArray
                ?? throw ErrorAt(segment.At, $"key '{segment.Name}' is already defined as {TomlTypes.Describe(existing)}, so [[{segment.Name}]] cannot add to it");
        }
        var element = NewTable(at, TableOrigin.Header);
        array.Add(element);
        return element;
    }

    /// <summary>Past this many tables being filled at once (a section of many dotted keys), new tables just grow.</summary>
    private const int MaxFilling = 64;

    /// <summary>
    /// A new table that fills a scratch buffer until it is sealed: at the end of its inline table, or once the
    /// header after its section has been read.
    /// </summary>
    private TomlTable NewTable(TomlPosition at, TableOrigin origin)
    {
        var table = new TomlTable(at, origin, _section);
        if (_filling.Count < MaxFilling)
        {
            table.Borrow(_entryScratch.Rent());
            _filling.Add(table);
        }
        return table;
    }

    private void Seal(int start, int count)
    {
        for (var i = start; i < start + count; i++)
            _entryScratch.Return(_filling[i].Seal());
        _filling.RemoveRange(start, count);
    }

    // ---- values ----

    private object ParseValue(int depth)
    {
        switch (Peek())
        {
            case '"':
                return Peek(1) == '"' && Peek(2) == '"' ? ParseMultilineBasicString() : ParseBasicString();
            case '\'':
                return Peek(1) == '\'' && Peek(2) == '\'' ? ParseMultilineLiteralString() : ParseLiteralString();
            case 't':
                return ParseKeyword("true"u8, True);
            case 'f':
                return ParseKeyword("false"u8, False);
            case '[':
                return ParseArray(depth);
            case '{':
                return ParseInlineTable(depth);
            case -1 or '\n' or '\r' or '#':
                throw Error(_pos, "expected a value");
            default:
                return ParseNumberOrDateTime();
        }
    }

    private static readonly object True = true;
    private static readonly object False = false;

    private object ParseKeyword(ReadOnlySpan<byte> word, object value)
    {
        if (!_src[_pos..].StartsWith(word) || IsBareKeyChar(Peek(word.Length)))
            throw Error(_pos, $"expected a value, found {Describe(_pos)} (strings need quotes)");
        _pos += word.Length;
        return value;
    }

    private static readonly string TooDeep = $"tables and arrays are nested deeper than {TomlParser.MaxDepth} levels";

    private TomlArray ParseArray(int depth)
    {
        if (depth > TomlParser.MaxDepth)
            throw Error(_pos, TooDeep);
        var array = new TomlArray(Position(_pos));
        array.Borrow(_itemScratch.Rent());
        _pos++;
        SkipWhitespaceCommentsAndNewlines();
        while (Peek() != ']')
        {
            var itemAt = Position(_pos);
            array.Add(ParseValue(depth + 1), itemAt);
            SkipWhitespaceCommentsAndNewlines();
            if (Peek() == ',')
            {
                _pos++;
                SkipWhitespaceCommentsAndNewlines();
            }
            else if (Peek() != ']')
            {
                throw Error(_pos, AtEnd ? "unterminated array: expected ']'" : $"expected ',' or ']' in the array, found {Describe(_pos)}");
            }
        }
        _pos++;
        _itemScratch.Return(array.Seal());
        return array;
    }

    private TomlTable ParseInlineTable(int depth)
    {
        if (depth > TomlParser.MaxDepth)
            throw Error(_pos, TooDeep);
        var filling = _filling.Count;
        var table = NewTable(Position(_pos), TableOrigin.Inline);
        _pos++;
        SkipWhitespace();
        while (Peek() != '}')
        {
            ParseKeyValue(table, depth);
            SkipWhitespace();
            switch (Peek())
            {
                case ',':
                    _pos++;
                    SkipWhitespace();
                    if (Peek() == '}')
                        throw Error(_pos, "an inline table cannot end with a comma");
                    break;
                case '}':
                    break;
                case '\n' or '\r':
                    throw Error(_pos, "an inline table must be written on one line");
                default:
                    throw Error(_pos, AtEnd ? "unterminated inline table: expected '}'" : $"expected ',' or '}}' in the inline table, found {Describe(_pos)}");
            }
        }
        _pos++;
        Seal(filling, _filling.Count - filling);
        return table;
    }

    // ---- errors and positions ----

    /// <summary>Line and column of a byte offset on the current line, counting characters, not bytes.</summary>
    private TomlPosition Position(int offset)
    {
        if (_columnLineStart != _lineStart || offset < _columnOffset)
        {
            _columnLineStart = _lineStart;
            _columnOffset = _lineStart;
            _columnCount = 0;
        }
        for (var i = _columnOffset; i < offset && i < _src.Length; i++)
        {
            if ((_src[i] & 0xC0) != 0x80)
                _columnCount++;
        }
        _columnOffset = offset;
        return new TomlPosition(_line, _columnCount + 1);
    }

    private TomlException Error(int offset, string reason) => ErrorAt(Position(offset), reason);

    private readonly TomlException ErrorAt(TomlPosition at, string reason)
    {
        var lineStart = _lineStart;
        // An error about an earlier line (a duplicate key found after a multi-line value) shows that line.
        for (var line = _line; line > at.Line && lineStart > 0; line--)
            lineStart = _src[..(lineStart - 1)].LastIndexOf((byte)'\n') + 1;
        var end = _src[lineStart..].IndexOfAny((byte)'\n', (byte)'\r');
        var text = _src.Slice(lineStart, end < 0 ? _src.Length - lineStart : end);
        return new TomlException(_sourceName, at, reason, Encoding.UTF8.GetString(text));
    }

    private readonly string Describe(int offset)
    {
        if (offset >= _src.Length)
            return "the end of the file";
        var b = _src[offset];
        return b switch
        {
            (byte)'\n' or (byte)'\r' => "the end of the line",
            < 0x20 or 0x7F => $"U+{b:X4}",
            _ => $"'{Encoding.UTF8.GetString(_src.Slice(offset, Math.Min(Utf8Length(b), _src.Length - offset)))}'",
        };
    }

    private static int Utf8Length(byte lead) => lead switch
    {
        < 0x80 => 1,
        < 0xE0 => 2,
        < 0xF0 => 3,
        _ => 4,
    };
}
