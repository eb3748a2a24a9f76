using System.Globalization;
using System.Text;

namespace TeeLauncher.Toml;

internal ref partial struct Parser
{
    private static bool IsScalarChar(int b) =>
        b is >= 'a' and <= 'z' or >= 'A' and <= 'Z' or >= '0' and <= '9' or '_' or '+' or '-' or '.' or ':';

    private object ParseNumberOrDateTime()
    {
        var start = _pos;
        while (_pos < _src.Length && IsScalarChar(_src[_pos]))
            _pos++;
        if (_pos == start)
            throw Error(_pos, $"expected a value, found {Describe(_pos)}");
        // A date followed by a space and a time is one value: 1979-05-27 07:32:00.
        if (_pos - start == 10 && _src[start + 4] == '-' && Peek() == ' '
            && IsDigit(Peek(1)) && IsDigit(Peek(2)) && Peek(3) == ':')
        {
            _pos++;
            while (_pos < _src.Length && IsScalarChar(_src[_pos]))
                _pos++;
        }
        var token = _src[start.._pos];
        if (token.Length >= 5 && IsDigit(token[0]) && ((token[4] == '-' && IsDigit(token[3])) || token[2] == ':'))
            return ParseDateTime(token, start);
        return ParseNumber(token, start);
    }

    private object ParseNumber(ReadOnlySpan<byte> token, int start)
    {
        var body = token;
        var negative = false;
        if (body[0] is (byte)'+' or (byte)'-')
        {
            negative = body[0] == '-';
            body = body[1..];
        }
        if (body.SequenceEqual("inf"u8))
            return negative ? double.NegativeInfinity : double.PositiveInfinity;
        if (body.SequenceEqual("nan"u8))
            return double.NaN;
        if (body.Length > 1 && body[0] == '0' && body[1] is (byte)'x' or (byte)'o' or (byte)'b')
        {
            if (body.Length != token.Length)
                throw Error(start, "a hexadecimal, octal or binary integer cannot have a sign");
            var radix = body[1] switch { (byte)'x' => 16, (byte)'o' => 8, _ => 2 };
            return ParseInteger(body[2..], radix, negative: false, start);
        }
        if (body.IndexOfAny((byte)'.', (byte)'e', (byte)'E') >= 0)
            return ParseFloat(token, body, start);
        if (body.Length > 1 && body[0] == '0')
            throw Error(start, "an integer cannot have leading zeros");
        var value = ParseInteger(body, 10, negative, start);
        return value is >= 0 and < SmallIntegerCount ? SmallIntegers[value] : value;
    }

    private const int SmallIntegerCount = 256;

    /// <summary>Ports, counts and flags are small: their boxes are shared instead of allocated per value.</summary>
    private static readonly object[] SmallIntegers = [.. Enumerable.Range(0, SmallIntegerCount).Select(i => (object)(long)i)];

    private long ParseInteger(ReadOnlySpan<byte> digits, int radix, bool negative, int start)
    {
        CheckDigitGroups(digits, radix, start, "integer");
        ulong limit = negative ? 9223372036854775808UL : long.MaxValue;
        ulong value = 0;
        foreach (var b in digits)
        {
            if (b == '_')
                continue;
            var digit = (ulong)HexValue(b);
            if (value > (limit - digit) / (ulong)radix)
                throw Error(start, "integer out of range: TOML integers are 64-bit (-9223372036854775808 to 9223372036854775807)");
            value = value * (ulong)radix + digit;
        }
        return negative ? (long)(0UL - value) : (long)value;
    }

    /// <summary>Digits of the radix with single underscores only between digits.</summary>
    private void CheckDigitGroups(ReadOnlySpan<byte> digits, int radix, int start, string what)
    {
        if (digits.IsEmpty)
            throw Error(start, $"invalid {what}: digits expected");
        var previousWasDigit = false;
        foreach (var b in digits)
        {
            if (b == '_')
            {
                if (!previousWasDigit)
                    throw Error(start, $"invalid {what}: an underscore must stand between two digits");
                previousWasDigit = false;
                continue;
            }
            var value = HexValue(b);
            if (value < 0 || value >= radix)
                throw Error(start, radix == 10 ? $"invalid {what} '{Encoding.UTF8.GetString(digits)}'" : $"invalid digit '{(char)b}' in a base-{radix} integer");
            previousWasDigit = true;
        }
        if (!previousWasDigit)
            throw Error(start, $"invalid {what}: an underscore must stand between two digits");
    }

    private double ParseFloat(ReadOnlySpan<byte> token, ReadOnlySpan<byte> body, int start)
    {
        var exponentAt = body.IndexOfAny((byte)'e', (byte)'E');
        var mantissa = exponentAt < 0 ? body : body[..exponentAt];
        var dot = mantissa.IndexOf((byte)'.');
        var integerPart = dot < 0 ? mantissa : mantissa[..dot];
        CheckDigitGroups(integerPart, 10, start, "float");
        if (integerPart.Length > 1 && integerPart[0] == '0')
            throw Error(start, "a float cannot have leading zeros");
        if (dot >= 0)
            CheckDigitGroups(mantissa[(dot + 1)..], 10, start, "float");
        if (exponentAt >= 0)
        {
            var exponent = body[(exponentAt + 1)..];
            if (!exponent.IsEmpty && exponent[0] is (byte)'+' or (byte)'-')
                exponent = exponent[1..];
            CheckDigitGroups(exponent, 10, start, "float");
        }
        Span<byte> clean = token.Length <= 64 ? stackalloc byte[64] : new byte[token.Length];
        var length = 0;
        foreach (var b in token)
        {
            if (b != '_')
                clean[length++] = b;
        }
        return double.Parse(clean[..length], NumberStyles.Float, CultureInfo.InvariantCulture);
    }

    private TomlDateTime ParseDateTime(ReadOnlySpan<byte> token, int start)
    {
        var reader = new DateTimeReader(token);
        if (token[2] == ':')
        {
            var (hour, minute, second, fraction) = ReadTime(ref reader, start);
            if (!reader.AtEnd)
                throw Error(start, "invalid local time: expected HH:MM:SS with optional fraction");
            return new TomlDateTime(TomlDateTimeKind.LocalTime, 0, 0, 0, hour, minute, second, fraction, null);
        }

        var year = reader.Digits(4);
        var month = reader.Expect('-') ? reader.Digits(2) : -1;
        var day = reader.Expect('-') ? reader.Digits(2) : -1;
        if (year < 0 || month < 0 || day < 0)
            throw Error(start, "invalid date: expected YYYY-MM-DD");
        if (month is < 1 or > 12 || day < 1 || day > DaysInMonth(year, month))
            throw Error(start, $"invalid date: {year:D4}-{month:D2}-{day:D2} does not exist");
        if (reader.AtEnd)
            return new TomlDateTime(TomlDateTimeKind.LocalDate, year, month, day, 0, 0, 0, "", null);
        if (!reader.Expect('T') && !reader.Expect('t') && !reader.Expect(' '))
            throw Error(start, "invalid date-time: expected 'T' or a space between date and time");
        var time = ReadTime(ref reader, start);
        if (reader.AtEnd)
            return new TomlDateTime(TomlDateTimeKind.LocalDateTime, year, month, day, time.Hour, time.Minute, time.Second, time.Fraction, null);

        int offset;
        if (reader.Expect('Z') || reader.Expect('z'))
        {
            offset = 0;
        }
        else
        {
            var sign = reader.Expect('+') ? 1 : reader.Expect('-') ? -1 : 0;
            var hours = sign != 0 ? reader.Digits(2) : -1;
            var minutes = reader.Expect(':') ? reader.Digits(2) : -1;
            if (hours is < 0 or > 23 || minutes is < 0 or > 59)
                throw Error(start, "invalid date-time offset: expected Z or ±HH:MM");
            offset = sign * (hours * 60 + minutes);
        }
        if (!reader.AtEnd)
            throw Error(start, "invalid date-time: unexpected characters after the offset");
        return new TomlDateTime(TomlDateTimeKind.OffsetDateTime, year, month, day, time.Hour, time.Minute, time.Second, time.Fraction, offset);
    }

    /// <summary>Proleptic Gregorian, including year 0 (a leap year), which <see cref="DateTime"/> cannot represent.</summary>
    private static int DaysInMonth(int year, int month) => month switch
    {
        2 => year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28,
        4 or 6 or 9 or 11 => 30,
        _ => 31,
    };

    private (int Hour, int Minute, int Second, string Fraction) ReadTime(ref DateTimeReader reader, int start)
    {
        var hour = reader.Digits(2);
        var minute = reader.Expect(':') ? reader.Digits(2) : -1;
        var second = reader.Expect(':') ? reader.Digits(2) : -1;
        if (hour < 0 || minute < 0 || second < 0)
            throw Error(start, "invalid time: expected HH:MM:SS");
        if (hour > 23 || minute > 59 || second > 60)
            throw Error(start, $"invalid time: {hour:D2}:{minute:D2}:{second:D2} does not exist");
        var fraction = "";
        if (reader.Expect('.'))
        {
            fraction = reader.DigitRun();
            if (fraction.Length == 0)
                throw Error(start, "invalid time: digits expected after the decimal point");
        }
        return (hour, minute, second, fraction);
    }

    private ref struct DateTimeReader(ReadOnlySpan<byte> text)
    {
        private readonly ReadOnlySpan<byte> _text = text;
        private int _at;

        public readonly bool AtEnd => _at >= _text.Length;

        public bool Expect(char c)
        {
            if (_at >= _text.Length || _text[_at] != c)
                return false;
            _at++;
            return true;
        }

        /// <summary>Exactly <paramref name="count"/> digits as a number, or -1.</summary>
        public int Digits(int count)
        {
            if (_at + count > _text.Length)
                return -1;
            var value = 0;
            for (var i = 0; i < count; i++)
            {
                var b = _text[_at + i];
                if (!IsDigit(b))
                    return -1;
                value = value * 10 + (b - '0');
            }
            _at += count;
            return value;
        }

        public string DigitRun()
        {
            var start = _at;
            while (_at < _text.Length && IsDigit(_text[_at]))
                _at++;
            return Encoding.ASCII.GetString(_text[start.._at]);
        }
    }
}
