using TeeLauncher.Configuration;
using TeeLauncher.Docker;
using TeeLauncher.Tests.Support;
using TeeLauncher.Values;

namespace TeeLauncher.Tests.Values;

/// <summary>One rule for host names wherever a registry is matched: case does not matter.</summary>
public sealed class RegistryHostTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void A_registry_configured_in_other_case_gives_its_mirrors_to_the_image()
    {
        var image = ImageReference.Parse("origin.test/acme/node");

        PullSource.For(image, [new RegistrySettings(RegistryHost.Parse("Origin.TEST"), [new MirrorSettings(RegistryHost.Parse("mirror.test"), "", "")], null, null, null)])
            .Select(s => s.Reference.Repository).Should().Equal("mirror.test/acme/node", "origin.test/acme/node");
    }

    [Fact]
    public void Two_registries_that_differ_only_in_case_are_one_host_configured_twice()
    {
        var path = _dir.File("launcher.toml", "[image]\nreference = \"acme/node\"\n[[registry]]\nhost = \"Origin.test\"\n[[registry]]\nhost = \"origin.TEST\"\n");

        ConfigLoader.Read(path).Problems.Should().ContainSingle()
            .Which.ToString().Should().EndWith("registry host 'origin.TEST' is configured twice");
    }
}
