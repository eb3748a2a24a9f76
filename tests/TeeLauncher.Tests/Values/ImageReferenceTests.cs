using TeeLauncher.Tests.Support;
using TeeLauncher.Values;

namespace TeeLauncher.Tests.Values;

public sealed class ImageReferenceTests
{
    [Theory]
    [InlineData("ubuntu", "docker.io", "library/ubuntu", null)]
    [InlineData("ubuntu:22.04", "docker.io", "library/ubuntu", "22.04")]
    [InlineData("nearone/mpc-node", "docker.io", "nearone/mpc-node", null)]
    [InlineData("docker.io/ubuntu", "docker.io", "library/ubuntu", null)]
    [InlineData("docker.io/library/ubuntu:latest", "docker.io", "library/ubuntu", "latest")]
    [InlineData("index.docker.io/acme/node", "docker.io", "acme/node", null)]
    [InlineData("localhost/acme", "localhost", "acme", null)]
    [InlineData("localhost:5000/acme/node:v1", "localhost:5000", "acme/node", "v1")]
    [InlineData("registry.example.com/acme/node", "registry.example.com", "acme/node", null)]
    [InlineData("registry:5000/node", "registry:5000", "node", null)]
    [InlineData("127.0.0.1:5000/a/b/c", "127.0.0.1:5000", "a/b/c", null)]
    [InlineData("localhost:65535/acme", "localhost:65535", "acme", null)]
    [InlineData("Registry.Example.COM/acme/node", "Registry.Example.COM", "acme/node", null)]
    [InlineData("example.com/a.b/c__d/e---f/g_h", "example.com", "a.b/c__d/e---f/g_h", null)]
    [InlineData("localhost", "docker.io", "library/localhost", null)]
    // distribution/reference's splitDockerDomain (v0.6.0) and the 28.x CLI: an upper-case first component is a host.
    [InlineData("Foo/bar", "Foo", "bar", null)]
    [InlineData("Acme/node:v1", "Acme", "node", "v1")]
    [InlineData("1111111111111111111111111111111111111111111111111111111111111111:v1", "docker.io", "library/1111111111111111111111111111111111111111111111111111111111111111", "v1")]
    public void Parses_and_normalises_like_docker(string text, string domain, string path, string? tag)
    {
        var reference = ImageReference.Parse(text);

        reference.Domain.Name.Should().Be(domain);
        reference.Path.Should().Be(path);
        reference.Tag.Should().Be(tag);
        reference.Repository.Should().Be($"{domain}/{path}");
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("-acme/node", "must not start with '-'")]
    [InlineData("registry.example.com/Acme/node", "path component 'Acme' must be lowercase")]
    [InlineData("registry.example.com/acme/-node", "path component '-node' is invalid")]
    [InlineData("registry.example.com/acme/node-", "path component 'node-' is invalid")]
    [InlineData("registry.example.com/acme//node", "empty component")]
    [InlineData("registry.example.com/acme/node/", "empty component")]
    [InlineData("registry.example.com/a..b", "path component 'a..b' is invalid")]
    [InlineData("registry.example.com/a___b", "path component 'a___b' is invalid")]
    [InlineData("-registry.example.com/acme", "must not start with '-'")]
    [InlineData("reg_istry.example.com/acme", "registry host 'reg_istry.example.com' is not a host[:port]")]
    [InlineData("registry.example.com:port/acme", "registry host 'registry.example.com:port' is not a host[:port]")]
    [InlineData("[::1]:5000/acme/node", "docker does not accept an IPv6 address")]
    [InlineData("localhost:0/acme", "port 0: a port is 1 to 65535")]
    [InlineData("localhost:65536/acme", "port 65536: a port is 1 to 65535")]
    [InlineData("acme/node:-bad", "tag '-bad' is invalid")]
    [InlineData("acme/node@sha256:1111111111111111111111111111111111111111111111111111111111111111", "a digest is not allowed here")]
    [InlineData("acme/node:v1@sha256:1111111111111111111111111111111111111111111111111111111111111111", "image.default_digest")]
    [InlineData("acme /node", "spaces")]
    [InlineData("1111111111111111111111111111111111111111111111111111111111111111", "image id")]
    [InlineData("Foo/Bar", "path component 'Bar' must be lowercase")]
    public void Rejects_with_the_part_named(string text, string expected)
    {
        var parse = () => ImageReference.Parse(text);

        parse.Should().Throw<ImageReferenceException>().Which.Message.Should().Contain(expected);
    }

    [Fact]
    public void A_path_of_255_characters_is_the_longest_allowed()
    {
        var longest = "r.example.com/" + string.Join('/', Enumerable.Repeat(new string('a', 50), 4)) + "/" + new string('b', 51);

        ImageReference.Parse(longest).Path.Should().HaveLength(ImageReference.MaxPathLength);
        var parse = () => ImageReference.Parse(longest + "f");
        parse.Should().Throw<ImageReferenceException>().Which.Message.Should().Contain("256 characters long; at most 255");
    }

    [Fact]
    public void The_library_prefix_counts_towards_the_path_limit()
    {
        var parse = () => ImageReference.Parse(new string('a', 250));

        parse.Should().Throw<ImageReferenceException>().Which.Message.Should().Contain("258 characters long");
    }

    [Theory]
    [InlineData("ubuntu", "https://index.docker.io/v1/")]
    [InlineData("docker.io/acme/node", "https://index.docker.io/v1/")]
    [InlineData("localhost:5000/acme", "localhost:5000")]
    [InlineData("registry.example.com/acme/node", "registry.example.com")]
    public void The_credential_key_is_the_one_docker_looks_up(string text, string key) =>
        ImageReference.Parse(text).CredentialKey.Should().Be(key);

    [Fact]
    public void Pins_by_digest_and_ignores_the_tag()
    {
        var reference = ImageReference.Parse("registry.example.com/acme/node:v1");

        reference.Pinned(Digests.A).Should().Be("registry.example.com/acme/node@" + Digests.A);
    }

    [Fact]
    public void On_a_mirror_keeps_the_path_and_uses_the_mirror_credentials_key()
    {
        var mirrored = ImageReference.Parse("ubuntu").OnHost(RegistryHost.Parse("mirror.internal:5000"));

        mirrored.Repository.Should().Be("mirror.internal:5000/library/ubuntu");
        mirrored.CredentialKey.Should().Be("mirror.internal:5000");
        ImageReference.Parse("localhost:5000/node").OnHost(RegistryHost.Parse("docker.io")).Path.Should().Be("node");
    }

    [Fact]
    public void A_mirror_that_is_not_a_host_is_refused()
    {
        var onHost = () => ImageReference.Parse("ubuntu").OnHost(RegistryHost.Parse("not a host"));

        onHost.Should().Throw<ImageReferenceException>().Which.Message.Should().Contain("'not a host'");
    }

    [Fact]
    public void A_64_hex_name_before_a_digest_is_a_repository_as_docker_pulls_it()
    {
        var hex = new string('1', 64);

        PinnedImage.TryParse($"{hex}@{Digests.A}", out var image).Should().BeTrue();

        image!.Reference.Should().Be($"docker.io/library/{hex}@{Digests.A}");
    }

    public static TheoryData<string, string> DistributionReferenceNames()
    {
        var cases = new TheoryData<string, string>();
        foreach (var line in File.ReadLines(RepositoryFiles.InRepository("tests", "TeeLauncher.Tests", "Values", "data", "distribution-reference-names.txt")))
        {
            if (line.StartsWith('#'))
                continue;
            var space = line.IndexOf(' ');
            cases.Add(line[..space], line[(space + 1)..]);
        }
        return cases;
    }

    [Theory]
    [MemberData(nameof(DistributionReferenceNames))]
    public void Agrees_with_distribution_reference_on_its_own_table(string verdict, string name)
    {
        var parse = () => ImageReference.Parse(name);

        switch (verdict)
        {
            case "valid":
                parse.Should().NotThrow();
                break;
            case "ipv6":
                parse.Should().Throw<ImageReferenceException>().Which.Message.Should().Contain("use a host name");
                break;
            default:
                parse.Should().Throw<ImageReferenceException>();
                break;
        }
    }
}
