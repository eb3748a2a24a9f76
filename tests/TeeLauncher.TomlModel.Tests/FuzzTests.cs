namespace TeeLauncher.TomlModel.Tests;

/// <summary>Mutations of the valid corpus: each one is read or refused with <see cref="TomlReadException"/>, never another exception.</summary>
public sealed class FuzzTests
{
    [Fact]
    public void Thousands_of_mutations_are_read_or_refused_with_a_position()
    {
        var random = new Random(20261124);
        var corpus = Corpus.Listed("valid/").Select(Corpus.Read).Where(b => b.Length > 0).ToList();
        var outcomes = new Dictionary<string, int> { ["parsed"] = 0, ["refused"] = 0 };

        for (var i = 0; i < 5_000; i++)
        {
            var input = Mutate(corpus[random.Next(corpus.Count)], random);
            try
            {
                TomlDocument.Parse(input, "fuzz.toml");
                outcomes["parsed"]++;
            }
            catch (TomlReadException e)
            {
                e.Errors.Should().OnlyContain(error => error.At.Line > 0 && error.At.Column > 0);
                outcomes["refused"]++;
            }
            catch (Exception e)
            {
                throw new Xunit.Sdk.XunitException($"mutation {i} threw {e.GetType().Name}: {e.Message}\ninput: {Convert.ToBase64String(input)}");
            }
        }

        outcomes["parsed"].Should().BePositive();
        outcomes["refused"].Should().BePositive();
    }

    private static readonly byte[] Punctuation = "[]{}\"'=.,#\n\r\\ \t"u8.ToArray();

    private static byte[] Mutate(byte[] source, Random random)
    {
        var bytes = new List<byte>(source);
        var edits = random.Next(1, 4);
        for (var e = 0; e < edits && bytes.Count > 0; e++)
        {
            var at = random.Next(bytes.Count);
            switch (random.Next(5))
            {
                case 0:
                    bytes[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 1:
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
                case 2:
                    var length = Math.Min(random.Next(1, 16), bytes.Count - at);
                    bytes.InsertRange(at, bytes.GetRange(at, length));
                    break;
                case 3:
                    bytes[at] = Punctuation[random.Next(Punctuation.Length)];
                    break;
                default:
                    bytes.RemoveAt(at);
                    break;
            }
        }
        return [.. bytes];
    }
}
