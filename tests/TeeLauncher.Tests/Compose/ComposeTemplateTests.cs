using System.Text;
using TeeLauncher.Compose;
using TeeLauncher.Errors;
using TeeLauncher.Values;

namespace TeeLauncher.Tests.Compose;

public sealed class ComposeTemplateTests
{
    private const string Hex1 = "1111111111111111111111111111111111111111111111111111111111111111";
    private const string Hex2 = "2222222222222222222222222222222222222222222222222222222222222222";
    private const string Sidecar = "busybox@sha256:" + Hex2;
    private const string App = "services:\n  app:\n    image: ${TEE_LAUNCHER_IMAGE}\n";

    private static readonly PinnedImage Pinned = new(ImageReference.Parse("127.0.0.1:5000/acme/app"), ImageDigest.Parse("sha256:" + Hex1));

    private static Dictionary<string, string> Env(params (string Name, string Value)[] values) =>
        values.ToDictionary(v => v.Name, v => v.Value);

    private static IReadOnlyList<string> Problems(string template, params (string Name, string Value)[] env) =>
        ComposeTemplate.Analyse("compose.yml", template, Env(env)).Problems.Select(p => p.ToString()).ToList();

    private static string Render(string template, params (string Name, string Value)[] env) =>
        Encoding.UTF8.GetString(ComposeTemplate.Parse("compose.yml", template, Env(env)).Render(Pinned));

    private static IReadOnlyList<string> RenderProblems(string template, params (string Name, string Value)[] env)
    {
        var act = () => ComposeTemplate.Parse("compose.yml", template, Env(env)).Render(Pinned);
        return act.Should().Throw<ConfigException>().Which.Problems.Select(p => p.ToString()).ToList();
    }

    [Fact]
    public void Renders_the_image_and_configured_variables_and_keeps_escapes()
    {
        var rendered = Render($$"""
            services:
              app:
                image: ${TEE_LAUNCHER_IMAGE}
                environment:
                  LEVEL: "${LOG_LEVEL}"
                command: ["sh", "-c", "echo $$HOME"]
              side:
                image: "{{Sidecar}}"
            # a comment may say $ANYTHING or ${UNSET}
            """, ("LOG_LEVEL", "a$b"));
        rendered.Should().Be($$"""
            services:
              app:
                image: {{Pinned}}
                environment:
                  LEVEL: "a$$b"
                command: ["sh", "-c", "echo $$HOME"]
              side:
                image: docker.io/library/{{Sidecar}}
            # a comment may say $ANYTHING or ${UNSET}
            """);
    }

    [Theory]
    [InlineData("\r\n")]
    [InlineData("\r")]
    [InlineData("\n")]
    public void Rendering_keeps_every_line_ending(string newline)
    {
        Render($"services:{newline}  app:{newline}    image: ${{TEE_LAUNCHER_IMAGE}}{newline}")
            .Should().Be($"services:{newline}  app:{newline}    image: {Pinned}{newline}");
    }

    [Fact]
    public void An_unconfigured_variable_is_reported_at_its_position()
    {
        Problems(App + "    environment:\n      X: ${SECRET}\n").Should().Equal(
            "compose.yml:5:10: '${SECRET}' is not configured: add SECRET to [compose].env or write $$ for a literal '$'");
    }

    [Theory]
    [InlineData("      X: $HOME", "compose.yml:5:10: '$HOME' is not allowed")]
    [InlineData("      X: ${HOME:-x}", "compose.yml:5:10: '${HOME:-x}' is not allowed")]
    [InlineData("      X: \"${OPEN\"", "compose.yml:5:11: unterminated ${...}")]
    [InlineData("      X: cost 5$", "compose.yml:5:16: a lone '$'")]
    [InlineData("      X: |\n        first line\n        then $HOME", "compose.yml:7:14: '$HOME' is not allowed")]
    [InlineData("      X: >-\n        folded\n        ${HOME}", "compose.yml:7:9: '${HOME}' is not configured")]
    [InlineData("      X: \"two\n        lines $X\"", "compose.yml:6:15: '$X' is not allowed")]
    [InlineData("      $KEY: x", "compose.yml:5:7: '$KEY' is not allowed")]
    public void Interpolation_compose_would_perform_is_refused_at_its_position(string lines, string problem)
    {
        Problems(App + "    environment:\n" + lines + "\n").Should().ContainSingle().Which.Should().StartWith(problem);
    }

    [Theory]
    [InlineData("  side: {image: \"busybox:latest\"}\n", "compose.yml:4:17: image 'busybox:latest' of service 'side' is not pinned")]
    [InlineData("  side:\n    \"image\": busybox:latest\n", "compose.yml:5:14: image 'busybox:latest' of service 'side' is not pinned")]
    [InlineData("  side:\n    'build': .\n    image: " + Sidecar + "\n", "compose.yml:5:5: 'build' is not allowed")]
    [InlineData("  side: {\"build\": ., image: " + Sidecar + "}\n", "compose.yml:4:10: 'build' is not allowed")]
    [InlineData("  side:\n    image: " + Sidecar + "\n    extends: {file: other.yml, service: x}\n", "compose.yml:6:5: 'extends' is not allowed")]
    [InlineData("  side:\n    image: " + Sidecar + "\n    env_file: side.env\n", "compose.yml:6:5: 'env_file' is not allowed")]
    [InlineData("  side:\n    image: " + Sidecar + "\n    pull_policy: always\n", "compose.yml:6:18: pull_policy may only be")]
    [InlineData("  side:\n    image: " + Sidecar + "\n    environment: [PATH]\n", "compose.yml:6:19: environment entry 'PATH' has no value")]
    [InlineData("  side:\n    image: " + Sidecar + "\n    environment:\n      TOKEN:\n", "compose.yml:7:7: environment variable 'TOKEN' has no value")]
    [InlineData("  side:\n    image: " + Sidecar + "\ninclude: [other.yml]\n", "compose.yml:6:1: 'include' is not allowed")]
    [InlineData("side:\n  image: busybox:latest\n", "compose.yml:4:1: unknown top-level key 'side'")]
    public void Second_services_in_any_yaml_form_are_checked(string rest, string problem)
    {
        Problems(App + rest).Should().ContainSingle().Which.Should().StartWith(problem);
    }

    [Fact]
    public void A_merge_key_brings_its_build_and_image_into_the_service()
    {
        Problems("x-base: &base\n  build: .\n  image: busybox:latest\n" + App + "  side:\n    <<: *base\n").Should().Equal(
            "compose.yml:2:3: 'build' is not allowed: every image must come from a registry, pinned by digest",
            "compose.yml:3:10: image 'busybox:latest' of service 'side' is not pinned: every other service image must be <repository>@sha256:<64 hex>");
    }

    [Fact]
    public void Explicit_keys_override_merged_ones()
    {
        var (template, problems) = ComposeTemplate.Analyse("compose.yml",
            "x-base: &base\n  image: busybox:latest\n  restart: always\n" + App + "  side:\n    <<: *base\n    image: " + Sidecar + "\n", Env());
        problems.Should().BeEmpty();
        template!.Stack.Images.Should().ContainSingle().Which.Image.Reference.Should().Be("docker.io/library/" + Sidecar);
    }

    [Fact]
    public void The_json_form_is_read_as_yaml()
    {
        Problems("{\"services\": {\"app\": {\"image\": \"${TEE_LAUNCHER_IMAGE}\"},\n \"side\": {\"image\": \"busybox\", \"build\": \".\"}}}\n")
            .Should().Equal(
                "compose.yml:2:31: 'build' is not allowed: every image must come from a registry, pinned by digest",
                "compose.yml:2:20: image 'busybox' of service 'side' is not pinned: every other service image must be <repository>@sha256:<64 hex>");
    }

    [Theory]
    [InlineData("\r")]
    [InlineData("\r\n")]
    public void Carriage_returns_are_line_breaks(string newline)
    {
        Problems($"services:{newline}  app:{newline}    image: ${{TEE_LAUNCHER_IMAGE}}{newline}  side:{newline}    image: busybox:latest{newline}")
            .Should().ContainSingle().Which.Should().StartWith("compose.yml:5:12: image 'busybox:latest' of service 'side' is not pinned");
    }

    [Theory]
    [InlineData("\u2028")]
    [InlineData("\u2029")]
    [InlineData("\u0085")]
    public void An_env_value_with_a_yaml_1_1_line_break_is_refused_where_it_is_used(string separator)
    {
        Problems(App + "    environment:\n      X: \"${NOTE}\"\n", ("NOTE", $"a{separator}  build: ."))
            .Should().ContainSingle().Which.Should().StartWith($"compose.yml:5:11: the value of compose.env NOTE contains U+{(int)separator[0]:X4}");
    }

    [Theory]
    [InlineData("a\tb\n", "compose.yml:1:2: a tab")]
    [InlineData("x: \"\u2028\"\n", "compose.yml:1:5: U+2028, a line break for YAML 1.1 but not for YAML 1.2")]
    [InlineData("\uFEFFx: 1\n", "compose.yml:1:1: a byte order mark")]
    [InlineData("x: \"\u0001\"\n", "compose.yml:1:5: the control character U+0001")]
    public void Characters_yaml_readers_disagree_on_are_refused(string prefix, string problem)
    {
        Problems("x-note: 1\n" + App).Should().BeEmpty();
        Problems(prefix + App).Should().Contain(p => p.StartsWith(problem));
    }

    [Theory]
    [InlineData("%YAML 1.1\n---\n" + App, "compose.yml:1:1: %YAML and %TAG directives are not allowed")]
    [InlineData(App + "---\nservices: {}\n", "compose.yml:4:1: a second YAML document")]
    [InlineData(App + "x-t: !!str yes\n", "compose.yml:4:6: the YAML tag tag:yaml.org,2002:str is not allowed")]
    [InlineData(App + "    labels: !reset []\n", "compose.yml:4:13: the YAML tag !reset is not allowed")]
    [InlineData(App + "    labels:\n      on: x\n", "compose.yml:5:7: the key 'on' is not a string for YAML 1.1")]
    [InlineData(App + "    labels:\n      010: x\n", "compose.yml:5:7: the key '010' is not a string for YAML 1.1")]
    [InlineData(App + "    ports: [22:22]\n", "compose.yml:4:13: '22:22' is read as a boolean or number by YAML 1.1")]
    [InlineData(App + "    restart: no\n", "compose.yml:4:14: 'no' is read as a boolean or number by YAML 1.1")]
    [InlineData(App + "    labels: {x: 0489}\n", "compose.yml:4:17: '0489' is read as a boolean or number by YAML 1.1")]
    [InlineData(App + "    labels: {x: 2001-12-14}\n", "compose.yml:4:17: '2001-12-14' is a timestamp for YAML 1.1")]
    [InlineData(App + "    labels: {x: 2001-12-14t21:59:43.10-05:00}\n", "compose.yml:4:17: '2001-12-14t21:59:43.10-05:00' is a timestamp for YAML 1.1")]
    [InlineData(App + "    labels: {x: 1e3}\n", "compose.yml:4:17: '1e3' is read as a boolean or number by YAML 1.1")]
    [InlineData(App + "    image: busybox:latest\n", "compose.yml:4:5: duplicate key 'image'")]
    [InlineData(App + "    labels: {a: 1, \"a\": 2}\n", "compose.yml:4:20: duplicate key 'a'")]
    [InlineData("x-a: &a {}\nx-b: &a {}\n" + App, "compose.yml:2:6: anchor &a is defined twice")]
    [InlineData("x-a: &a {}\n" + App + "    \"<<\": *a\n", "compose.yml:5:5: a quoted '<<' key is not allowed")]
    [InlineData(App + "    labels: *nothing\n", "compose.yml:4:13: not valid YAML: alias *nothing refers to no anchor defined before it")]
    [InlineData("x-a: &a {k: 1}\nx-b: &b {k: 2}\nx-c:\n  <<: [*a, *b]\n" + App, "compose.yml:4:3: two merged mappings both give 'k'")]
    [InlineData(App + "  side: [image]\n", "compose.yml:4:9: service 'side' must be a mapping")]
    [InlineData("services:\n  app:\n    image: [x\n", "compose.yml:4:1: not valid YAML")]
    public void What_yaml_1_1_and_1_2_read_differently_is_refused(string template, string problem)
    {
        Problems(template).Should().Contain(p => p.StartsWith(problem));
    }

    [Theory]
    [InlineData(App + "    configs: [{source: c, mode: 0755}]\n")]
    [InlineData(App + "    labels: {a: y, b: n, c: Y, d: N}\n")]
    [InlineData(App + "    labels: {a: 1_000, b: 0b101}\n")]
    [InlineData("x-app: &app\n  image: ${TEE_LAUNCHER_IMAGE}\n  network_mode: none\nservices:\n  a:\n    <<: *app\n  b:\n    <<: *app\n")]
    [InlineData("x-i: &i ${TEE_LAUNCHER_IMAGE}\nservices:\n  app:\n    image: *i\n")]
    public void What_both_readers_read_alike_is_accepted(string template) =>
        Problems(template).Should().BeEmpty();

    [Fact]
    public void No_problem_advises_quoting_a_number()
    {
        Problems(App + "    labels: {a: 22:22, b: 0o17, c: 1e3}\n").Should().HaveCount(3).And.OnlyContain(p => !p.Contains("quote it"));
    }

    [Fact]
    public void An_alias_bomb_is_refused()
    {
        var text = new StringBuilder("x-0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for (var i = 1; i < 8; i++)
            text.Append($"x-{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]\n");
        Problems(text + App).Should().Contain(p => p.Contains("more than 100000 nodes once aliases are expanded"));
    }

    [Theory]
    [InlineData(App + "  dbg:\n    image: ${TEE_LAUNCHER_IMAGE}-debug\n", "compose.yml:5:12: ${TEE_LAUNCHER_IMAGE} may only be the whole image")]
    [InlineData(App + "    labels:\n      via: ${TEE_LAUNCHER_IMAGE}\n", "compose.yml:5:12: ${TEE_LAUNCHER_IMAGE} may only be the whole image")]
    [InlineData("x-i: &i ${TEE_LAUNCHER_IMAGE}\nservices:\n  app:\n    image: *i\n    labels: {a: *i}\n", "compose.yml:1:9: ${TEE_LAUNCHER_IMAGE} may only be the whole image")]
    [InlineData("services:\n  app:\n    image: \"\\x24{TEE_LAUNCHER_IMAGE}\"\n", "compose.yml:3:12: write the measured image as ${TEE_LAUNCHER_IMAGE} itself")]
    [InlineData("services:\n  side:\n    image: " + Sidecar + "\n", "compose.yml:1:1: no service has image: ${TEE_LAUNCHER_IMAGE}")]
    [InlineData("", "compose.yml:1:1: the compose template is empty")]
    public void The_measured_image_placeholder_is_exactly_the_image_of_the_measured_services(string template, string problem)
    {
        Problems(template).Should().ContainSingle().Which.Should().StartWith(problem);
    }

    [Theory]
    [InlineData("      X: \"${V}\"\n", "a\", \"b", "compose.yml:5:11: after substitution")]
    [InlineData("      X: ${V}\n", "a #comment", "compose.yml:5:10: after substitution this value reads differently")]
    [InlineData("      X: ${V}\n", "a: b", "compose.yml:5:10: after substitution")]
    [InlineData("      X: \"${V}\"\n", "\\u0024HOME", "compose.yml:5:10: after substitution this value reads differently")]
    public void A_configured_value_that_changes_the_yaml_around_it_is_refused(string line, string value, string problem)
    {
        var template = App + "    environment:\n" + line;
        Problems(template, ("V", value)).Should().Contain(p => p.StartsWith(problem), "validate renders the template too");
        RenderProblems(template, ("V", value)).Should().Contain(p => p.StartsWith(problem));
    }

    [Fact]
    public void Escaped_interpolation_in_a_quoted_scalar_is_refused_after_rendering()
    {
        RenderProblems(App + "    environment:\n      X: \"\\x24HOME\"\n")
            .Should().Equal("compose.yml:5:10: after substitution this value holds a '$' that compose would interpolate");
    }

    [Fact]
    public void The_stack_lists_each_other_image_once_with_its_services()
    {
        var stack = ComposeTemplate.Parse("compose.yml",
            App + "  a: {image: \"" + Sidecar + "\"}\n  b:\n    image: docker.io/library/" + Sidecar + "\n  c:\n    image: ${SIDE}\n",
            Env(("SIDE", "registry.test:5000/tools/log@sha256:" + Hex1))).Stack;
        stack.MeasuredServices.Should().Equal("app");
        stack.Images.Select(i => (i.Image.Reference, string.Join(",", i.Services))).Should().Equal(
            ("docker.io/library/" + Sidecar, "a,b"), ("registry.test:5000/tools/log@sha256:" + Hex1, "c"));
    }

    [Fact]
    public void Other_images_are_named_by_the_reference_they_were_pulled_as()
    {
        var side = "registry.test:5000/tools/log@sha256:" + Hex1;
        var template = ComposeTemplate.Parse("compose.yml", App + "  a: {image: \"" + Sidecar + "\", restart: always}\n  b:\n    image: ${SIDE}\n", Env(("SIDE", side)));
        PinnedImage.TryParse(side, out var sideImage).Should().BeTrue();
        PinnedImage.TryParse("docker.io/library/" + Sidecar, out var busybox).Should().BeTrue();
        var pulled = new Dictionary<string, PinnedImage>
        {
            [busybox!.Reference] = busybox.OnHost(RegistryHost.Parse("mirror.test")),
            [sideImage!.Reference] = sideImage,
        };
        Encoding.UTF8.GetString(template.Render(Pinned, pulled)).Should().Be(
            App.Replace("${TEE_LAUNCHER_IMAGE}", Pinned.Reference) + "  a: {image: mirror.test/library/" + Sidecar + ", restart: always}\n  b:\n    image: " + side + "\n");
    }

    [Fact]
    public void Rendering_a_bad_template_throws_a_config_error()
    {
        var act = () => ComposeTemplate.Parse("compose.yml", "image: ${X}", Env()).Render(Pinned);
        act.Should().Throw<ConfigException>().Which.ExitCode.Should().Be(ExitCode.ConfigInvalid);
    }

    [Fact]
    public void Validation_lists_every_problem()
    {
        Problems("services:\n  app:\n    image: ${TEE_LAUNCHER_IMAGE}\n    env_file: x\n  b: {build: .}\n  c: {image: x, extends: base}\n")
            .Should().HaveCount(5);
    }
}
