using System.Text;
using TeeLauncher.Compose;
using TeeLauncher.Values;

namespace TeeLauncher.Tests.Compose;

public sealed class ComposePolicyTests
{
    private static YamlMapping Mapping(string yaml) => (YamlMapping)YamlTree.Read(yaml).Root!;

    [Fact]
    public void Every_service_key_the_template_refuses_is_also_off_the_list_compose_s_model_is_judged_by()
    {
        var service = Mapping("build: .\nextends: base\nenv_file: x.env\nlabel_file: x.labels\nimage: busybox\nrestart: always\n");

        var refused = ComposePolicy.ServiceProblems(service).Select(p => p.Message.Split('\'')[1]).ToList();

        refused.Should().Equal("build", "extends", "env_file", "label_file");
        refused.Should().NotIntersectWith(ComposePolicy.ServiceKeys);
        ComposePolicy.ServiceKeys.Should().Contain(["image", "restart"]);
    }

    [Fact]
    public void The_template_and_the_model_allow_the_same_top_level_keys()
    {
        var top = Mapping("version: '3'\nname: n\nservices: {}\nnetworks: {}\nvolumes: {}\nconfigs: {}\nsecrets: {}\nx-any: 1\ninclude: [a.yml]\nother: 1\n");

        ComposePolicy.TopLevelProblems(top).Select(p => p.Position.Line).Should().Equal(9, 10);
        top.Entries.Select(e => e.Key.Value).Where(ComposePolicy.IsTopLevelKey).Should().HaveCount(8);
    }

    [Fact]
    public void An_analysed_template_renders_each_measured_image_it_is_given()
    {
        var template = ComposeTemplate.Parse("compose.yml", "services:\n  app:\n    image: ${TEE_LAUNCHER_IMAGE}\n", new Dictionary<string, string>());
        var digest = ImageDigest.FromBytes(new byte[32]);

        foreach (var host in new[] { "origin.test", "mirror.test:5000" })
            Encoding.UTF8.GetString(template.Render(new PinnedImage(ImageReference.Parse($"{host}/acme/app"), digest)))
                .Should().Be($"services:\n  app:\n    image: {host}/acme/app@{digest}\n");
        template.Stack.MeasuredServices.Should().Equal("app");
    }
}
