using System.Diagnostics;
using System.Net.Sockets;
using TeeLauncher.Files;
using TeeLauncher.Tests.Support;

namespace TeeLauncher.Tests.Files;

/// <summary>docs/spec.md §10: a path read as a file must be a regular file, found without blocking; limits count the bytes read.</summary>
public sealed class InputFileTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    [Fact]
    public void A_fifo_is_refused_at_once_instead_of_waiting_for_a_writer()
    {
        var fifo = _dir.Combine("fifo");
        Process.Start("mkfifo", fifo).WaitForExit();
        var clock = Stopwatch.StartNew();

        var read = () => InputFile.Read(fifo, 1024);

        read.Should().Throw<InputFileException>().Which.Reason.Should().Be("is a FIFO (named pipe), not a regular file; point it at a regular file");
        clock.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(5), "opening a FIFO for reading must not block");
    }

    [Theory]
    [InlineData("/dev/zero", "is a character device, not a regular file; point it at a regular file")]
    [InlineData("/dev/null", "is a character device, not a regular file; point it at a regular file")]
    [InlineData("/tmp", "is a directory, not a regular file; point it at a regular file")]
    [InlineData("", "is an empty path; name a file")]
    public void Devices_directories_and_empty_paths_are_refused(string path, string reason)
    {
        var e = ((Action)(() => InputFile.Read(path, 1 << 20))).Should().Throw<InputFileException>().Which;
        e.Reason.Should().Be(reason);
        e.Missing.Should().BeFalse();
    }

    [Fact]
    public void A_socket_is_refused()
    {
        var path = _dir.Combine("s.sock");
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(path));

        ((Action)(() => InputFile.Read(path, 1024))).Should().Throw<InputFileException>().Which.Reason.Should().StartWith("is a socket");
    }

    [Fact]
    public void A_symbolic_link_to_a_regular_file_is_read_and_one_to_a_device_is_refused()
    {
        var target = _dir.File("real.toml", "x = 1\n");
        File.CreateSymbolicLink(_dir.Combine("link.toml"), target);
        File.CreateSymbolicLink(_dir.Combine("zero.toml"), "/dev/zero");

        InputFile.Read(_dir.Combine("link.toml"), 1024).Should().Equal("x = 1\n"u8.ToArray());
        ((Action)(() => InputFile.Read(_dir.Combine("zero.toml"), 1024))).Should().Throw<InputFileException>()
            .Which.Reason.Should().StartWith("is a character device");
    }

    [Fact]
    public void The_limit_counts_bytes_read_and_a_file_at_the_limit_is_read()
    {
        var atLimit = _dir.File("at.txt", new string('a', 4096));
        var over = _dir.File("over.txt", new string('a', 4097));

        InputFile.Read(atLimit, 4096).Should().HaveCount(4096);
        ((Action)(() => InputFile.Read(over, 4096))).Should().Throw<InputFileException>().Which.Reason.Should().Be("is larger than 4 KiB");
    }

    [Fact]
    public void Only_a_missing_path_is_missing()
    {
        var missing = ((Action)(() => InputFile.Read(_dir.Combine("absent"), 10))).Should().Throw<InputFileException>().Which;

        missing.Missing.Should().BeTrue();
        missing.Reason.Should().Be("does not exist");
        InputFile.Exists(_dir.Combine("absent")).Should().BeFalse();
        InputFile.Exists(_dir.Path).Should().BeTrue("a directory is there, it is only not a file");
        InputFile.Exists("/dev/zero").Should().BeTrue();
    }

    [Fact]
    public void A_path_with_a_nul_is_refused_not_truncated()
    {
        var real = _dir.File("real", "secret");

        ((Action)(() => InputFile.Read(real + "\0.toml", 100))).Should().Throw<InputFileException>()
            .Which.Reason.Should().Contain("NUL");
    }

    public void Dispose() => _dir.Dispose();
}
