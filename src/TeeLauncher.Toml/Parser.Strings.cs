using System.Text;

namespace TeeLauncher.Toml;

internal ref partial struct Parser
{
    private string ParseBasicString()
    {
        _pos++;
        var start = _pos;
        while (_pos < _src.Length)
        {
            var b = _src[_pos];
            if (b == '"')
            {
                var plain = Encoding.UTF8.GetString(_src[start.._pos]);
                _pos++;
                return plain;
            }
            if (b == '\\' || IsControl(b))
                break;
            _pos++;
        }
        _text.Clear();
        _text.Append(_src[start.._pos]);
        while (true)
        {
            if (AtEnd)
                throw Error(_pos, "unterminated string: expected '\"'");
            var b = _src[_pos];
            if (b == '"')
            {
                _pos++;
                return _text.ToString();
            }
            if (b == '\\')
            {
                ParseEscape();
            }
            else if (b is (byte)'\n' or (byte)'\r')
            {
                throw Error(_pos, "unterminated string: a \"...\" string ends on its line; use \"\"\"...\"\"\" for several lines");
            }
            else if (IsControl(b))
            {
                throw Error(_pos, $"control character {Describe(_pos)} in a string: write it as an escape such as \\u{b:X4}");
            }
            else
            {
                _text.Append(b);
                _pos++;
            }
        }
    }

    private string ParseMultilineBasicString()
    {
        _pos += 3;
        TryNewline();
        _text.Clear();
        while (true)
        {
            if (AtEnd)
                throw Error(_pos, "unterminated multi-line string: expected '\"\"\"'");
            var b = _src[_pos];
            if (b == '"')
            {
                if (EndOfMultiline((byte)'"'))
                    return _text.ToString();
            }
            else if (b == '\\')
            {
                if (IsLineEndingBackslash())
                    SkipLineEndingBackslash();
                else
                    ParseEscape();
            }
            else if (b is (byte)'\n' or (byte)'\r')
            {
                TryNewline();
                _text.Append((byte)'\n');
            }
            else if (IsControl(b))
            {
                throw Error(_pos, $"control character {Describe(_pos)} in a string: write it as an escape such as \\u{b:X4}");
            }
            else
            {
                _text.Append(b);
                _pos++;
            }
        }
    }

    private string ParseLiteralString()
    {
        _pos++;
        var start = _pos;
        while (true)
        {
            if (AtEnd)
                throw Error(_pos, "unterminated string: expected \"'\"");
            var b = _src[_pos];
            if (b == '\'')
            {
                var text = Encoding.UTF8.GetString(_src[start.._pos]);
                _pos++;
                return text;
            }
            if (b is (byte)'\n' or (byte)'\r')
                throw Error(_pos, "unterminated string: a '...' string ends on its line; use '''...''' for several lines");
            if (IsControl(b))
                throw Error(_pos, $"control character {Describe(_pos)} in a literal string");
            _pos++;
        }
    }

    private string ParseMultilineLiteralString()
    {
        _pos += 3;
        TryNewline();
        _text.Clear();
        while (true)
        {
            if (AtEnd)
                throw Error(_pos, "unterminated multi-line string: expected \"'''\"");
            var b = _src[_pos];
            if (b == '\'')
            {
                if (EndOfMultiline((byte)'\''))
                    return _text.ToString();
            }
            else if (b is (byte)'\n' or (byte)'\r')
            {
                TryNewline();
                _text.Append((byte)'\n');
            }
            else if (IsControl(b))
            {
                throw Error(_pos, $"control character {Describe(_pos)} in a literal string");
            }
            else
            {
                _text.Append(b);
                _pos++;
            }
        }
    }

    /// <summary>
    /// At a run of quotes inside a multi-line string: three or more close it, and up to two of them
    /// before the closing three belong to the content.
    /// </summary>
    private bool EndOfMultiline(byte quote)
    {
        var run = 0;
        while (Peek(run) == quote)
            run++;
        if (run < 3)
        {
            for (var i = 0; i < run; i++)
                _text.Append(quote);
            _pos += run;
            return false;
        }
        if (run > 5)
            throw Error(_pos + 5, "too many quotes: a multi-line string may end with at most two quotes before its closing three");
        for (var i = 0; i < run - 3; i++)
            _text.Append(quote);
        _pos += run;
        return true;
    }

    private readonly bool IsLineEndingBackslash()
    {
        var i = _pos + 1;
        while (i < _src.Length && (_src[i] == ' ' || _src[i] == '\t'))
            i++;
        return i < _src.Length && (_src[i] == '\n' || _src[i] == '\r');
    }

    private void SkipLineEndingBackslash()
    {
        _pos++;
        while (true)
        {
            SkipWhitespace();
            if (!TryNewline())
                return;
        }
    }

    private void ParseEscape()
    {
        var at = _pos;
        _pos++;
        var c = Peek();
        _pos++;
        switch (c)
        {
            case 'b': _text.Append((byte)'\b'); return;
            case 't': _text.Append((byte)'\t'); return;
            case 'n': _text.Append((byte)'\n'); return;
            case 'f': _text.Append((byte)'\f'); return;
            case 'r': _text.Append((byte)'\r'); return;
            case '"': _text.Append((byte)'"'); return;
            case '\\': _text.Append((byte)'\\'); return;
            case 'u': _text.Append(ParseUnicodeEscape(at, 4)); return;
            case 'U': _text.Append(ParseUnicodeEscape(at, 8)); return;
            default:
                throw Error(at, c == -1 ? "unterminated string" : $"invalid escape '\\{Describe(at + 1).Trim('\'')}': use \\b \\t \\n \\f \\r \\\" \\\\ \\uXXXX or \\UXXXXXXXX");
        }
    }

    private Rune ParseUnicodeEscape(int at, int digits)
    {
        var value = 0L;
        for (var i = 0; i < digits; i++)
        {
            var d = HexValue(Peek());
            if (d < 0)
                throw Error(at, $"a \\{(digits == 4 ? 'u' : 'U')} escape needs {digits} hexadecimal digits");
            value = value * 16 + d;
            _pos++;
        }
        return value <= 0x10FFFF && Rune.IsValid((int)value)
            ? new Rune((int)value)
            : throw Error(at, $"escape U+{value:X} is not a Unicode scalar value");
    }

    private static int HexValue(int b) => b switch
    {
        >= '0' and <= '9' => b - '0',
        >= 'a' and <= 'f' => b - 'a' + 10,
        >= 'A' and <= 'F' => b - 'A' + 10,
        _ => -1,
    };
}
