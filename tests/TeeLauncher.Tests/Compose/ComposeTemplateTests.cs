using System.Text;
using TeeLauncher.Compose;
using TeeLauncher.Errors;

namespace TeeLauncher.Tests.Compose;

public sealed class ComposeTemplateTests
{
    private const string Pinned = "127.0.0.1:5000/acme/app@sha256:1111111111111111111111111111111111111111111111111111111111111111";
    private const string Sidecar = "busybox@sha256:2222222222222222222222222222222222222222222222222222222222222222";

    private static IReadOnlyList<string> Problems(string template, params string[] env) =>
        ComposeTemplate.Parse("compose.yml", template).Check(env).Select(p => p.ToString()).ToList();

    [Fact]
    public void Renders_the_image_and_configured_variables_and_keeps_escapes()
    {
        var template = ComposeTemplate.Parse("compose.yml", """
            services:
              app:
                image: ${TEE_LAUNCHER_IMAGE}
                environment:
                  LEVEL: "${LOG_LEVEL}"
                command: ["sh", "-c", "echo $$HOME"]
              side:
                image: "busybox@sha256:2222222222222222222222222222222222222222222222222222222222222222"
            # a comment may say $ANYTHING
            """);
        var rendered = Encoding.UTF8.GetString(template.Render(Pinned, new Dictionary<string, string> { ["LOG_LEVEL"] = "a$b" }));
        rendered.Should().Be($$"""
            services:
              app:
                image: {{Pinned}}
                environment:
                  LEVEL: "a$$b"
                command: ["sh", "-c", "echo $$HOME"]
              side:
                image: "{{Sidecar}}"
            # a comment may say $ANYTHING
            """);
    }

    [Fact]
    public void Rendering_is_byte_stable_including_crlf()
    {
        var template = ComposeTemplate.Parse("compose.yml", "services:\r\n  app:\r\n    image: ${TEE_LAUNCHER_IMAGE}\r\n");
        var rendered = template.Render(Pinned, new Dictionary<string, string>());
        Encoding.UTF8.GetString(rendered).Should().Be($"services:\r\n  app:\r\n    image: {Pinned}\r\n");
    }

    [Fact]
    public void An_unconfigured_variable_is_reported_at_its_position()
    {
        Problems("services:\n  app:\n    image: ${TEE_LAUNCHER_IMAGE}\n    environment:\n      X: ${SECRET}\n")
            .Should().Equal("compose.yml:5:10: '${SECRET}' is not configured: add SECRET to [compose].env or write $$ for a literal '$'");
    }

    [Theory]
    [InlineData("      X: $HOME", "compose.yml:5:10: '$HOME' is not allowed")]
    [InlineData("      X: ${HOME:-x}", "compose.yml:5:10: '${HOME:-x}' is not allowed")]
    [InlineData("      X: ${OPEN", "compose.yml:5:10: unterminated ${...}")]
    [InlineData("      X: cost 5$", "compose.yml:5:16: a lone '$'")]
    public void Other_interpolation_is_refused(string line, string problem)
    {
        Problems($"services:\n  app:\n    image: ${{TEE_LAUNCHER_IMAGE}}\n    environment:\n{line}\n")
            .Should().ContainSingle().Which.Should().StartWith(problem);
    }

    [Fact]
    public void An_unpinned_second_service_is_refused()
    {
        Problems("services:\n  app:\n    image: ${TEE_LAUNCHER_IMAGE}\n  side:\n    image: busybox:latest\n")
            .Should().Equal("compose.yml:5:5: image 'busybox:latest' is not pinned: every other service image must end in @sha256:<64 hex>");
    }

    [Fact]
    public void Build_is_refused_and_the_image_variable_is_required()
    {
        Problems("services:\n  app:\n    build: .\n").Should().Equal(
            "compose.yml:3:5: 'build' is not allowed: every image must come from a registry, pinned by digest",
            "compose.yml: the template never uses ${TEE_LAUNCHER_IMAGE}: the measured service must have image: ${TEE_LAUNCHER_IMAGE}");
    }

    [Fact]
    public void The_image_variable_must_be_the_whole_image()
    {
        Problems("services:\n  app:\n    image: ${TEE_LAUNCHER_IMAGE}-debug\n").Should().ContainSingle()
            .Which.Should().Contain("image must be exactly ${TEE_LAUNCHER_IMAGE}");
    }

    [Fact]
    public void Rendering_a_bad_template_throws_a_config_error()
    {
        var act = () => ComposeTemplate.Parse("compose.yml", "image: ${X}").Render(Pinned, new Dictionary<string, string>());
        act.Should().Throw<ConfigException>().Which.ExitCode.Should().Be(ExitCode.ConfigInvalid);
    }
}
