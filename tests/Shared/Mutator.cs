using System.Text;

namespace TeeLauncher.Testing;

/// <summary>
/// The one mutator of the fuzzers (the TOML reader's, and the hostile-input ones of docs/spec.md §10): seeded, so a
/// failing case can be replayed. Each case applies one to three edits: bit flips, truncation, duplication, splices of the format's tokens, invalid UTF-8, huge numbers
/// and deep nesting.
/// </summary>
public sealed class Mutator(int seed, IReadOnlyList<string> tokens)
{
    private static readonly byte[][] InvalidUtf8 =
        [[0xff], [0xc3, 0x28], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xe2, 0x82], [0xc0, 0xaf], [0x80]];

    private static readonly string[] HugeNumbers =
        ["99999999999999999999999999999", "-9223372036854775809", "1e99999", "18446744073709551616", "0x7fffffffffffffff", "999999999h", "1200h", "-0", "NaN"];

    private static readonly string[] Nesting = ["[", "{\"a\":", "{a=", "- ", "[[", "{"];

    private readonly Random _random = new(seed);
    private readonly byte[][] _tokens = [.. tokens.Select(Encoding.UTF8.GetBytes)];

    public byte[] Mutate(byte[] source)
    {
        var bytes = new List<byte>(source);
        var edits = _random.Next(1, 4);
        for (var e = 0; e < edits; e++)
        {
            var at = bytes.Count == 0 ? 0 : _random.Next(bytes.Count);
            switch (_random.Next(8))
            {
                case 0 when bytes.Count > 0:
                    bytes[at] ^= (byte)(1 << _random.Next(8));
                    break;
                case 1:
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
                case 2:
                    bytes.InsertRange(at, bytes.GetRange(at, Math.Min(_random.Next(1, 64), bytes.Count - at)));
                    break;
                case 3:
                    bytes.InsertRange(at, _tokens[_random.Next(_tokens.Length)]);
                    break;
                case 4:
                    bytes.InsertRange(at, InvalidUtf8[_random.Next(InvalidUtf8.Length)]);
                    break;
                case 5:
                    bytes.InsertRange(at, Encoding.ASCII.GetBytes(HugeNumbers[_random.Next(HugeNumbers.Length)]));
                    break;
                case 6:
                    var open = Encoding.ASCII.GetBytes(Nesting[_random.Next(Nesting.Length)]);
                    var depth = _random.Next(2) == 0 ? _random.Next(2, 16) : _random.Next(100, 5000);
                    bytes.InsertRange(at, Enumerable.Repeat(open, depth).SelectMany(b => b));
                    break;
                default:
                    if (bytes.Count > 0)
                        bytes.RemoveRange(at, Math.Min(_random.Next(1, 16), bytes.Count - at));
                    break;
            }
        }
        return [.. bytes];
    }

    /// <summary>A hostile text value (for values embedded in a valid document): tokens, controls, huge numbers, long runs.</summary>
    public string HostileText(string source)
    {
        var text = new StringBuilder(source);
        for (var e = _random.Next(1, 4); e > 0; e--)
        {
            var at = _random.Next(text.Length + 1);
            text.Insert(at, _random.Next(6) switch
            {
                0 => tokens[_random.Next(tokens.Count)],
                1 => ((char)_random.Next(0, 0x20)).ToString(),
                2 => HugeNumbers[_random.Next(HugeNumbers.Length)],
                3 => new string((char)_random.Next(0x21, 0x7f), _random.Next(1, 2000)),
                4 => char.ConvertFromUtf32(_random.Next(0x80, 0xd7ff)),
                _ => "\u202e\u0085\u2028\u00a0",
            });
        }
        return text.ToString();
    }
}
