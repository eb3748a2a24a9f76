using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace TeeLauncher.TomlModel.Tests;

/// <summary>
/// The adapter judges redefinitions itself (<see cref="TomlDocument"/>); Python's tomllib (Debian's python3, which the
/// test environment installs) is the oracle. Generated documents of headers, arrays of tables, dotted keys, inline
/// tables and arrays over three key names, which redefine often, are judged alike: read or refused, and refused on
/// the same line.
/// </summary>
public sealed class DefinitionsAgreementTests
{
    private const string Python = "/usr/bin/python3";

    [Fact]
    public void Ten_thousand_generated_documents_are_judged_as_pythons_tomllib_judges_them()
    {
        var random = new Random(20261206);
        var documents = Enumerable.Range(0, 10_000).Select(_ => Generate(random)).ToList();
        var oracle = TomllibLines(documents);
        var counts = new Dictionary<bool, int> { [true] = 0, [false] = 0 };

        for (var i = 0; i < documents.Count; i++)
        {
            int? ours = null;
            try
            {
                TomlDocument.Parse(Encoding.UTF8.GetBytes(documents[i]), "gen.toml");
            }
            catch (TomlReadException e)
            {
                ours = e.Errors.Min(error => error.At.Line);
            }
            catch (Exception e)
            {
                throw new Xunit.Sdk.XunitException($"{e.GetType().Name}: {e.Message} on:\n{documents[i]}");
            }

            ours.Should().Be(oracle[i], $"tomllib {(oracle[i] is { } line ? $"refuses line {line} of" : "reads")}:\n{documents[i]}");
            counts[ours is not null]++;
        }

        counts[true].Should().BeGreaterThan(1_000, "the generator must produce redefinitions");
        counts[false].Should().BeGreaterThan(1_000, "the generator must produce valid documents");
    }

    /// <summary>For each document, null when tomllib reads it, else the line of its error.</summary>
    private static List<int?> TomllibLines(List<string> documents)
    {
        const string script = """
            import json, re, sys, tomllib
            out = []
            for text in json.load(sys.stdin):
                try:
                    tomllib.loads(text)
                    out.append(None)
                except tomllib.TOMLDecodeError as e:
                    out.append(int(re.search(r"line (\d+)", str(e)).group(1)))
            json.dump(out, sys.stdout)
            """;
        var start = new ProcessStartInfo(Python, ["-c", script]) { RedirectStandardInput = true, RedirectStandardOutput = true };
        using var python = Process.Start(start)!;
        python.StandardInput.Write(JsonSerializer.Serialize(documents));
        python.StandardInput.Close();
        var output = python.StandardOutput.ReadToEnd();
        python.WaitForExit();
        python.ExitCode.Should().Be(0);
        return JsonSerializer.Deserialize<List<int?>>(output)!;
    }

    private static readonly string[] Names = ["a", "b", "c"];

    private static string Generate(Random random)
    {
        var text = new StringBuilder();
        for (int line = 0, lines = random.Next(1, 7); line < lines; line++)
        {
            switch (random.Next(6))
            {
                case 0:
                    text.Append('[').Append(Key(random)).Append("]\n");
                    break;
                case 1:
                    text.Append("[[").Append(Key(random)).Append("]]\n");
                    break;
                default:
                    text.Append(Key(random)).Append(" = ").Append(Value(random, 0)).Append('\n');
                    break;
            }
        }
        return text.ToString();
    }

    private static string Key(Random random) => string.Join('.', Enumerable.Range(0, random.Next(1, 4)).Select(_ => Names[random.Next(Names.Length)]));

    private static string Value(Random random, int depth) => (depth < 2 ? random.Next(4) : 0) switch
    {
        0 => "1",
        1 => "[" + string.Join(", ", Enumerable.Range(0, random.Next(3)).Select(_ => Value(random, depth + 1))) + "]",
        _ => "{" + string.Join(", ", Enumerable.Range(0, random.Next(3)).Select(_ => $"{Key(random)} = {Value(random, depth + 1)}")) + "}",
    };
}
