using TeeLauncher.Configuration;
using TeeLauncher.Docker;
using TeeLauncher.Tests.Support;
using TeeLauncher.Values;

namespace TeeLauncher.Tests.Values;

/// <summary>One rule for registry hosts: what docker accepts, Docker Hub by either name, case that does not matter.</summary>
public sealed class RegistryHostTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("registry.example.com", "registry.example.com")]
    [InlineData("localhost:5000", "localhost:5000")]
    [InlineData("Registry.Example.COM", "Registry.Example.COM")]
    [InlineData("10.0.0.1:65535", "10.0.0.1:65535")]
    [InlineData("docker.io", "docker.io")]
    [InlineData("index.docker.io", "docker.io")]
    [InlineData("registry-1.docker.io", "registry-1.docker.io")]
    public void Parses_a_host_as_docker_names_it(string text, string name)
    {
        var host = RegistryHost.Parse(text);

        host.Name.Should().Be(name);
        host.ToString().Should().Be(name);
        RegistryHost.TryParse(text, out var parsed, out var problem).Should().BeTrue();
        parsed.Should().Be(host);
        problem.Should().BeNull();
    }

    [Fact]
    public void Docker_hub_by_its_legacy_name_is_docker_hub()
    {
        RegistryHost.Parse("index.docker.io").Should().Be(RegistryHost.DockerHub);
        RegistryHost.Parse("index.docker.io").IsDockerHub.Should().BeTrue();
        RegistryHost.Parse("registry-1.docker.io").IsDockerHub.Should().BeFalse();
        RegistryHost.Parse("Docker.IO").IsDockerHub.Should().BeFalse("docker's normalisation compares the name as written");
    }

    [Fact]
    public void Hosts_are_equal_without_regard_to_case_and_keep_their_case()
    {
        var written = RegistryHost.Parse("Origin.TEST:5000");
        var lower = RegistryHost.Parse("origin.test:5000");

        (written == lower).Should().BeTrue();
        written.Equals((object)lower).Should().BeTrue();
        written.GetHashCode().Should().Be(lower.GetHashCode());
        new HashSet<RegistryHost> { written }.Add(lower).Should().BeFalse();
        written.ToString().Should().Be("Origin.TEST:5000");
        (written != RegistryHost.Parse("origin.test:5001")).Should().BeTrue();
        written.Equals(null).Should().BeFalse();
    }

    [Theory]
    [InlineData("[::1]:5000", "registry host '[::1]:5000' is not a host[:port]: docker does not accept an IPv6 address in an image reference; use a host name")]
    [InlineData("not a host", "registry host 'not a host' is not a host[:port]: use letters, digits, '-' and '.', then an optional :port")]
    [InlineData("", "registry host '' is not a host[:port]: use letters, digits, '-' and '.', then an optional :port")]
    [InlineData("-bad.example", "registry host '-bad.example' is not a host[:port]: use letters, digits, '-' and '.', then an optional :port")]
    [InlineData("host:", "registry host 'host:' is not a host[:port]: use letters, digits, '-' and '.', then an optional :port")]
    [InlineData("host:0", "registry host 'host:0' has port 0: a port is 1 to 65535")]
    [InlineData("host:65536", "registry host 'host:65536' has port 65536: a port is 1 to 65535")]
    public void Refuses_what_docker_does_not_accept_saying_why(string text, string why)
    {
        RegistryHost.TryParse(text, out var host, out var problem).Should().BeFalse();
        host.Should().BeNull();
        problem.Should().Be(why);
        var parse = () => RegistryHost.Parse(text);
        parse.Should().Throw<ImageReferenceException>().WithMessage(why);
    }

    [Fact]
    public void A_registry_configured_in_other_case_gives_its_mirrors_to_the_image()
    {
        var image = ImageReference.Parse("origin.test/acme/node");

        PullSource.For(image, [new RegistrySettings(RegistryHost.Parse("Origin.TEST"), [new MirrorSettings(RegistryHost.Parse("mirror.test"), "", "")], null, null, null)])
            .Select(s => s.Reference.Repository).Should().Equal("mirror.test/acme/node", "origin.test/acme/node");
    }

    [Fact]
    public void A_mirror_host_follows_the_same_rule_and_normalisation()
    {
        var path = _dir.File("launcher.toml",
            "[image]\nreference = \"acme/node\"\n[[registry]]\nhost = \"origin.test\"\nmirrors = [\"index.docker.io/hub\", \"Cache.TEST\", \"bad host\"]\n");

        var (config, problems) = ConfigLoader.Read(path);

        config!.Registries.Should().ContainSingle().Which.Mirrors.Select(m => m.Location).Should().Equal("docker.io/hub", "Cache.TEST");
        config.Registries[0].Mirrors[0].Host.Should().Be(RegistryHost.DockerHub);
        problems.Should().ContainSingle().Which.ToString().Should().EndWith(
            "registry[0].mirrors[2]: registry host 'bad host' is not a host[:port]: use letters, digits, '-' and '.', then an optional :port");
    }

    [Fact]
    public void A_refused_registry_host_is_reported_and_kept_without_a_host()
    {
        var path = _dir.File("launcher.toml", "[image]\nreference = \"acme/node\"\n[[registry]]\nhost = \"[::1]:5000\"\n");

        var (config, problems) = ConfigLoader.Read(path);

        problems.Should().ContainSingle().Which.ToString().Should().EndWith(
            "registry[0].host: registry host '[::1]:5000' is not a host[:port]: docker does not accept an IPv6 address in an image reference; use a host name");
        config!.Registries.Should().ContainSingle().Which.Host.Should().BeNull();
    }

    [Fact]
    public void Two_registries_that_differ_only_in_case_are_one_host_configured_twice()
    {
        var path = _dir.File("launcher.toml", "[image]\nreference = \"acme/node\"\n[[registry]]\nhost = \"Origin.test\"\n[[registry]]\nhost = \"origin.TEST\"\n");

        ConfigLoader.Read(path).Problems.Should().ContainSingle()
            .Which.ToString().Should().EndWith("registry host 'origin.TEST' is configured twice");
    }
}
