using TeeLauncher.Testing;

namespace TeeLauncher.TomlModel.Tests;

/// <summary>Mutations of the valid corpus: each one is read or refused with <see cref="TomlReadException"/>, never another exception.</summary>
public sealed class FuzzTests
{
    [Fact]
    public void Thousands_of_mutations_are_read_or_refused_with_a_position()
    {
        var random = new Random(20261124);
        var mutator = new Mutator(20261124, Tokens);
        var corpus = Corpus.Listed("valid/").Select(Corpus.Read).Where(b => b.Length > 0).ToList();
        var outcomes = new Dictionary<string, int> { ["parsed"] = 0, ["refused"] = 0 };

        for (var i = 0; i < 5_000; i++)
        {
            var input = mutator.Mutate(corpus[random.Next(corpus.Count)]);
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

    private static readonly string[] Tokens = ["[", "]", "{", "}", "\"", "'", "=", ".", ",", "#", "\n", "\r", "\\", " ", "\t", "[[", "\"\"\"", "\\u"];
}
