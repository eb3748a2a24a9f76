using System.Diagnostics;
using TeeLauncher.Files;
using TeeLauncher.Tests.Support;

namespace TeeLauncher.Tests.Files;

/// <summary>docs/spec.md §10: files are created new (0600), never through a planted link, and replaced whole.</summary>
public sealed class OutputFileTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void A_new_file_is_owner_only_and_an_existing_one_or_a_planted_link_is_never_written()
    {
        var file = _dir.Combine("new");
        OutputFile.CreateNew(file, "x"u8);
        File.GetUnixFileMode(file).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);

        var again = () => OutputFile.CreateNew(file, "y"u8);
        again.Should().Throw<IOException>();
        File.ReadAllText(file).Should().Be("x");

        var target = _dir.File("target", "kept");
        var link = _dir.Combine("link");
        File.CreateSymbolicLink(link, target);
        var throughLink = () => OutputFile.CreateNew(link, "y"u8);
        throughLink.Should().Throw<IOException>();
        File.ReadAllText(target).Should().Be("kept");
    }

    [Fact]
    public void Replacing_renames_a_new_file_over_the_old_one_and_leaves_no_temporary_file()
    {
        var target = _dir.File("target", "kept");
        var file = _dir.Combine("status.json");
        File.CreateSymbolicLink(file, target);

        OutputFile.Replace(file, "new"u8);

        File.ReadAllText(target).Should().Be("kept", "a planted link is replaced, not followed");
        new FileInfo(file).LinkTarget.Should().BeNull();
        File.ReadAllText(file).Should().Be("new");
        Directory.GetFiles(_dir.Path).Select(Path.GetFileName).Should().BeEquivalentTo(["target", "status.json"]);
    }

    [Fact]
    public void Appending_creates_with_the_mode_given_and_adds_at_the_end()
    {
        var log = _dir.Combine("events.log");
        var readable = OutputFile.OwnerReadWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

        OutputFile.Append(log, "a\n"u8, readable);
        OutputFile.Append(log, "b\n"u8, readable);

        File.ReadAllText(log).Should().Be("a\nb\n");
        File.GetUnixFileMode(log).Should().Be(readable);
    }

    [Fact]
    public void A_private_directory_is_new_and_owner_only()
    {
        var first = OutputFile.CreatePrivateDirectory(_dir.Path, "pull-");
        var second = OutputFile.CreatePrivateDirectory(_dir.Path, "pull-");

        first.Should().NotBe(second);
        Path.GetFileName(first).Should().StartWith("pull-");
        File.GetUnixFileMode(first).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    [Fact]
    public void Proving_a_directory_writable_leaves_nothing_and_fails_on_a_read_only_one()
    {
        OutputFile.ProveWritable(_dir.Path);
        Directory.GetFileSystemEntries(_dir.Path).Should().BeEmpty();

        var prove = () => OutputFile.ProveWritable("/proc");
        prove.Should().Throw<Exception>().Which.Should().BeAssignableTo<IOException>();
    }
}
