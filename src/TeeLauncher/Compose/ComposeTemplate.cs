using System.Text;
using System.Text.RegularExpressions;
using TeeLauncher.Errors;
using TeeLauncher.Files;

namespace TeeLauncher.Compose;

/// <summary>
/// The operator's compose file with <c>${TEE_LAUNCHER_IMAGE}</c> and <c>${NAME}</c> placeholders (SPEC 7).
/// Anything compose could interpolate or build that the launcher did not put there is refused, so
/// the compose event covers everything the stack runs.
/// </summary>
public sealed partial class ComposeTemplate
{
    public const string ImageVariable = "TEE_LAUNCHER_IMAGE";
    public const int MaxBytes = 1 << 20;

    private readonly string _path;
    private readonly string[] _lines;

    private ComposeTemplate(string path, string text)
    {
        _path = path;
        _lines = text.Split('\n');
    }

    public static ComposeTemplate Load(string path)
    {
        try
        {
            var bytes = InputFile.Read(path, MaxBytes);
            var text = new UTF8Encoding(false, true).GetString(bytes);
            return new ComposeTemplate(path, text);
        }
        catch (DecoderFallbackException)
        {
            throw new ConfigException(InputProblem.InFile(path, "compose template is not valid UTF-8"));
        }
        catch (InputFileException e)
        {
            throw new ConfigException(InputProblem.InFile(path, e.Missing ? "compose template not found; set compose.file" : $"compose template {e.Reason}"));
        }
    }

    public static ComposeTemplate Parse(string path, string text) => new(path, text);

    /// <summary>Every problem with the template given the configured variable names.</summary>
    public IReadOnlyList<InputProblem> Check(IReadOnlyCollection<string> envNames)
    {
        var problems = new List<InputProblem>();
        var usesImage = false;
        for (var i = 0; i < _lines.Length; i++)
        {
            var line = _lines[i].TrimEnd('\r');
            foreach (var (column, name, problem) in Placeholders(line, envNames))
            {
                if (problem is not null)
                    problems.Add(new InputProblem(_path, i + 1, column, problem));
                usesImage |= name == ImageVariable;
            }
            CheckKeys(line, i + 1, problems);
        }
        if (!usesImage)
            problems.Add(InputProblem.InFile(_path, $"the template never uses ${{{ImageVariable}}}: the measured service must have image: ${{{ImageVariable}}}"));
        return problems;
    }

    /// <summary>Substitutes the placeholders; the template must have passed <see cref="Check"/>.</summary>
    public byte[] Render(string pinnedImage, IReadOnlyDictionary<string, string> env)
    {
        var problems = Check([.. env.Keys]);
        if (problems.Count > 0)
            throw new ConfigException(problems);

        var text = new StringBuilder();
        for (var i = 0; i < _lines.Length; i++)
        {
            if (i > 0)
                text.Append('\n');
            AppendRendered(text, _lines[i], pinnedImage, env);
        }
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    private static void AppendRendered(StringBuilder text, string line, string pinnedImage, IReadOnlyDictionary<string, string> env)
    {
        if (IsComment(line))
        {
            text.Append(line);
            return;
        }
        for (var i = 0; i < line.Length; i++)
        {
            if (line[i] == '$' && i + 1 < line.Length && line[i + 1] == '$')
            {
                text.Append("$$");
                i++;
            }
            else if (line[i] == '$')
            {
                var close = line.IndexOf('}', i);
                var name = line[(i + 2)..close];
                // A '$' in a substituted value would be interpolated again by compose.
                text.Append((name == ImageVariable ? pinnedImage : env[name]).Replace("$", "$$"));
                i = close;
            }
            else
            {
                text.Append(line[i]);
            }
        }
    }

    private static bool IsComment(string line) => line.TrimStart().StartsWith('#');

    private static IEnumerable<(int Column, string? Name, string? Problem)> Placeholders(string line, IReadOnlyCollection<string> envNames)
    {
        if (IsComment(line))
            yield break;
        for (var i = 0; i < line.Length; i++)
        {
            if (line[i] != '$')
                continue;
            var column = i + 1;
            if (i + 1 < line.Length && line[i + 1] == '$')
            {
                i++;
                continue;
            }
            if (i + 1 < line.Length && line[i + 1] == '{')
            {
                var close = line.IndexOf('}', i + 2);
                var inner = close < 0 ? line[(i + 2)..] : line[(i + 2)..close];
                i = close < 0 ? line.Length : close;
                if (close < 0)
                    yield return (column, null, "unterminated ${...}: write $$ for a literal '$'");
                else if (inner == ImageVariable || envNames.Contains(inner))
                    yield return (column, inner, null);
                else if (!VariableName().IsMatch(inner))
                    yield return (column, null, $"'${{{inner}}}' is not allowed: only ${{{ImageVariable}}} and plain ${{NAME}} from compose.env are substituted (no defaults or modifiers)");
                else
                    yield return (column, null, $"'${{{inner}}}' is not configured: add {inner} to [compose].env or write $$ for a literal '$'");
                continue;
            }
            var name = new string(line.Skip(i + 1).TakeWhile(c => char.IsAsciiLetterOrDigit(c) || c == '_').ToArray());
            yield return (column, null, name.Length > 0
                ? $"'${name}' is not allowed: write ${{{name}}} and configure it in [compose].env, or $$ for a literal '$'"
                : "a lone '$' is interpolated by compose: write $$ for a literal '$'");
        }
    }

    private void CheckKeys(string line, int lineNumber, List<InputProblem> problems)
    {
        var key = KeyLine().Match(line);
        if (!key.Success)
            return;
        var column = key.Groups["key"].Index + 1;
        var value = key.Groups["value"].Value.Split(" #")[0].Trim().Trim('"', '\'');
        switch (key.Groups["key"].Value)
        {
            case "build":
                problems.Add(new InputProblem(_path, lineNumber, column,
                    "'build' is not allowed: every image must come from a registry, pinned by digest"));
                break;
            case "image" when value == $"${{{ImageVariable}}}":
                break;
            case "image" when value.Contains($"${{{ImageVariable}}}"):
                problems.Add(new InputProblem(_path, lineNumber, column,
                    $"image must be exactly ${{{ImageVariable}}}: the launcher supplies the repository and digest"));
                break;
            case "image" when !PinnedImage().IsMatch(value):
                problems.Add(new InputProblem(_path, lineNumber, column,
                    $"image '{value}' is not pinned: every other service image must end in @sha256:<64 hex>"));
                break;
        }
    }

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex VariableName();

    [GeneratedRegex(@"^\s*(?:-\s+)?(?<key>image|build)\s*:(?<value>.*)$")]
    private static partial Regex KeyLine();

    [GeneratedRegex(@"^\S+@sha256:[0-9a-f]{64}$")]
    private static partial Regex PinnedImage();
}
