using System.Text.Json;
using TeeLauncher.Registries;
using TeeLauncher.Tests.Support;

namespace TeeLauncher.Tests.Registries;

public sealed class DockerConfigDirectoryTests : IDisposable
{
    private readonly TempDirectory _state = new();
    private readonly RegistryCredential _credential = new("bot", "hunter2");

    public void Dispose() => _state.Dispose();

    [Fact]
    public async Task Holds_only_the_needed_auths_entry_with_private_modes()
    {
        await using var directory = await DockerConfigDirectory.CreateAsync(_state.Path, "registry.example.com:5000", _credential, CancellationToken.None);

        Path.GetDirectoryName(directory.Path).Should().Be(_state.Path);
        Path.GetFileName(directory.Path).Should().MatchRegex("^docker-config-[0-9a-f]{32}$");
        File.GetUnixFileMode(directory.Path).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var file = Path.Combine(directory.Path, "config.json");
        File.GetUnixFileMode(file).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Directory.GetFileSystemEntries(directory.Path).Should().Equal(file);

        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(file));
        json.RootElement.EnumerateObject().Select(p => p.Name).Should().Equal("auths");
        var auths = json.RootElement.GetProperty("auths");
        auths.EnumerateObject().Select(p => p.Name).Should().Equal("registry.example.com:5000");
        auths.GetProperty("registry.example.com:5000").GetProperty("auth").GetString().Should().Be("Ym90Omh1bnRlcjI=");
    }

    [Fact]
    public async Task Is_deleted_on_dispose_even_when_the_pull_fails()
    {
        string? path = null;
        var pull = async () =>
        {
            await using var directory = await DockerConfigDirectory.CreateAsync(_state.Path, "https://index.docker.io/v1/", _credential, CancellationToken.None);
            path = directory.Path;
            throw new InvalidOperationException("docker pull failed");
        };

        await pull.Should().ThrowAsync<InvalidOperationException>();
        Directory.Exists(path).Should().BeFalse();
        Directory.GetFileSystemEntries(_state.Path).Should().BeEmpty();
    }

    [Fact]
    public async Task Leaves_nothing_behind_when_cancelled_while_writing()
    {
        var create = () => DockerConfigDirectory.CreateAsync(_state.Path, "registry.example.com", _credential, new CancellationToken(canceled: true));

        await create.Should().ThrowAsync<OperationCanceledException>();
        Directory.GetFileSystemEntries(_state.Path).Should().BeEmpty();
    }

    [Fact]
    public async Task Folders_left_by_a_killed_launcher_are_removed_and_nothing_else()
    {
        var left = await DockerConfigDirectory.CreateAsync(_state.Path, "registry.example.com", _credential, CancellationToken.None);
        var other = Directory.CreateDirectory(_state.Combine("unrelated")).FullName;

        var removed = DockerConfigDirectory.RemoveLeftovers(_state.Path);

        removed.Should().Be(1);
        Directory.Exists(left.Path).Should().BeFalse();
        Directory.Exists(other).Should().BeTrue();
    }

    [Fact]
    public async Task Two_pulls_get_two_directories()
    {
        await using var first = await DockerConfigDirectory.CreateAsync(_state.Path, "a.example.com", _credential, CancellationToken.None);
        await using var second = await DockerConfigDirectory.CreateAsync(_state.Path, "a.example.com", _credential, CancellationToken.None);

        first.Path.Should().NotBe(second.Path);
    }

    [Fact]
    public void A_credential_never_prints_its_secret()
    {
        _credential.ToString().Should().NotContain("hunter2").And.NotContain("bot");
        $"{_credential}".Should().NotContain("hunter2");
    }
}
