using System.Globalization;
using System.Text.Json;

namespace TeeLauncher.Compose;

/// <summary>What the model compose makes of the rendered file must show: the measured services and image, the other images the launcher pulls.</summary>
public sealed record ModelExpectation(IReadOnlyCollection<string> MeasuredServices, string MeasuredImage, IReadOnlySet<string> PulledImages);

/// <summary>
/// Compose's own model of the rendered file (the output of its <c>config</c>: JSON from compose v2, YAML from docker-compose
/// v1), judged (docs/spec.md §7): what compose runs is what the launcher measured and pulled, and nothing else comes in
/// from outside the file.
/// </summary>
public static class ComposeModel
{
    /// <summary>Reads compose's <c>config</c> output: JSON when it starts with '{', else YAML.</summary>
    public static YamlNode? Read(string output)
    {
        var text = output.TrimStart();
        if (!text.StartsWith('{'))
            return YamlTree.Read(output).Root;
        using var json = JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = 128 });
        return FromJson(json.RootElement);
    }

    /// <summary>Every way the model departs from what was measured, each naming its place; empty when compose runs what was measured.</summary>
    public static IReadOnlyList<string> Judge(YamlNode? model, ModelExpectation expected, ComposeSeal seal)
    {
        var problems = new List<string>();
        if (model is not YamlMapping top || top["services"] is not YamlMapping services)
        {
            problems.Add("there are no services");
            return problems;
        }
        foreach (var (key, value) in top.Entries)
        {
            if (!ComposePolicy.IsTopLevelKey(key.Value))
                problems.Add($"the top-level key '{key.Value}' is not one the launcher knows to be safe");
            else if (key.Value is "configs" or "secrets" && value is YamlMapping definitions)
                JudgeDefinitions(key.Value, definitions, seal, problems);
        }
        foreach (var measured in expected.MeasuredServices.Where(m => services[m] is null))
            problems.Add($"the measured service '{measured}' is missing: compose would not start it (profiles?)");
        foreach (var (name, service) in services.Entries)
        {
            if (service is YamlMapping mapping)
                JudgeService(name.Value, mapping, expected, seal, problems);
            else
                problems.Add($"service '{name.Value}' is not a mapping");
        }
        return problems;
    }

    private static void JudgeDefinitions(string kind, YamlMapping definitions, ComposeSeal seal, List<string> problems)
    {
        foreach (var (name, definition) in definitions.Entries)
        {
            if (definition is not YamlMapping mapping)
                continue;
            foreach (var (key, value) in mapping.Entries)
            {
                if (!ComposePolicy.DefinitionKeys.Contains(key.Value))
                    problems.Add($"{kind}.{name.Value} has '{key.Value}', which the launcher does not allow: only file, content, external, name and labels");
                else if (key.Value == "file" && value is YamlScalar file && seal.Holds(file.Value))
                    problems.Add($"{kind}.{name.Value}: {RelativePath}");
            }
        }
    }

    private const string RelativePath =
        "a relative or '~' host path: compose runs in an empty directory of the launcher's own, so write the host path absolute";

    private static void JudgeService(string name, YamlMapping service, ModelExpectation expected, ComposeSeal seal, List<string> problems)
    {
        var measured = expected.MeasuredServices.Contains(name);
        foreach (var (key, value) in service.Entries)
        {
            if (!ComposePolicy.ServiceKeys.Contains(key.Value))
            {
                problems.Add($"service '{name}' has '{key.Value}', which is not on the launcher's list of service keys known to run only the measured file (docs/spec.md §7)");
                continue;
            }
            switch (key.Value)
            {
                case "environment":
                    JudgeEnvironment(name, value, problems);
                    break;
                case "volumes" when value is YamlSequence volumes:
                    foreach (var volume in volumes.Items)
                        JudgeVolume(name, volume, expected, seal, problems);
                    break;
                case "profiles" when measured && value is YamlSequence { Items.Count: > 0 }:
                    problems.Add($"the measured service '{name}' has profiles: compose up would not start it");
                    break;
                case "scale" when measured && Count(value) is < 1:
                    problems.Add($"the measured service '{name}' has scale {Describe(value)}: compose up would not start it");
                    break;
                case "deploy" when measured && value is YamlMapping deploy && deploy["replicas"] is { } replicas && Count(replicas) is < 1:
                    problems.Add($"the measured service '{name}' has deploy.replicas {Describe(replicas)}: compose up would not start it");
                    break;
            }
        }
        var image = (service["image"] as YamlScalar)?.Value;
        if (measured && image != expected.MeasuredImage)
            problems.Add($"the measured service '{name}' runs '{image}', not the measured image {expected.MeasuredImage}");
        else if (!measured && image != expected.MeasuredImage && (image is null || !expected.PulledImages.Contains(image)))
            problems.Add($"service '{name}' runs '{image}', which is not an image the launcher pulls pinned by digest");
    }

    private static void JudgeEnvironment(string service, YamlNode environment, List<string> problems)
    {
        if (environment is not YamlMapping variables)
            return;
        foreach (var (key, value) in variables.Entries)
        {
            if (value is YamlScalar { IsNull: true })
                problems.Add($"service '{service}' has environment variable '{key.Value}' without a value: compose would copy it from its own environment, which no event covers; give it a value (an empty compose.env value renders as none)");
        }
    }

    private static void JudgeVolume(string service, YamlNode volume, ModelExpectation expected, ComposeSeal seal, List<string> problems)
    {
        switch (volume)
        {
            case YamlScalar shortForm when seal.Holds(shortForm.Value.Split(':')[0]):
                problems.Add($"service '{service}' volume '{seal.AsWritten(shortForm.Value)}': {RelativePath}");
                break;
            case YamlMapping longForm:
                var type = (longForm["type"] as YamlScalar)?.Value;
                var source = (longForm["source"] as YamlScalar)?.Value ?? "";
                if (type == "bind" && seal.Holds(source))
                    problems.Add($"service '{service}' volume source '{seal.AsWritten(source)}': {RelativePath}");
                else if (type == "image" && source != expected.MeasuredImage && !expected.PulledImages.Contains(source))
                    problems.Add($"service '{service}' mounts the image '{source}', which the launcher does not pull: an image volume must name the measured image or another service's pinned image");
                break;
        }
    }

    private static long? Count(YamlNode node) =>
        node is YamlScalar scalar && long.TryParse(scalar.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var count) ? count : null;

    private static string Describe(YamlNode node) => node is YamlScalar scalar ? scalar.Value : "(not a number)";

    private static YamlNode FromJson(JsonElement element)
    {
        var at = new YamlPosition(0, 0, 0);
        return element.ValueKind switch
        {
            JsonValueKind.Object => new YamlMapping(at, element.EnumerateObject()
                .Select(p => new KeyValuePair<YamlScalar, YamlNode>(new YamlScalar(at, at, p.Name, YamlScalarStyle.Quoted), FromJson(p.Value)))
                .ToList()),
            JsonValueKind.Array => new YamlSequence(at, element.EnumerateArray().Select(FromJson).ToList()),
            JsonValueKind.String => new YamlScalar(at, at, element.GetString()!, YamlScalarStyle.Quoted),
            JsonValueKind.Null => new YamlScalar(at, at, "null", YamlScalarStyle.Plain),
            _ => new YamlScalar(at, at, element.GetRawText(), YamlScalarStyle.Plain),
        };
    }
}
