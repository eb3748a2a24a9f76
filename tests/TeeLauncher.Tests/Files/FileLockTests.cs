using System.Diagnostics;
using TeeLauncher.Files;
using TeeLauncher.Tests.Support;

namespace TeeLauncher.Tests.Files;

/// <summary>The one lock: an exclusive flock another process sees, refused on anything but a regular file, without blocking.</summary>
public sealed class FileLockTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void A_held_lock_is_seen_by_flock_1_and_free_again_once_disposed()
    {
        var file = _dir.Combine("launcher.lock");
        using (FileLock.TryTake(file).Should().NotBeNull().And.Subject as IDisposable)
        {
            FlockNonBlocking(file).Should().Be(1, "flock(1) must find the lock taken");
            FileLock.TryTake(file).Should().BeNull();
        }
        FlockNonBlocking(file).Should().Be(0);
        File.GetUnixFileMode(file).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    [Fact]
    public async Task Waiting_takes_the_lock_once_the_holder_lets_go_and_a_signal_stops_the_wait()
    {
        var file = _dir.Combine("runtime_event.lock");
        var held = FileLock.TryTake(file)!;
        var waiting = FileLock.TakeAsync(file, TimeSpan.FromMilliseconds(5), CancellationToken.None);
        await Task.Delay(50);
        waiting.IsCompleted.Should().BeFalse();
        held.Dispose();
        (await waiting).Dispose();

        using var again = FileLock.TryTake(file)!;
        var stopped = () => FileLock.TakeAsync(file, TimeSpan.FromMilliseconds(5), new CancellationTokenSource(50).Token);
        await stopped.Should().ThrowAsync<OperationCanceledException>();
    }

    [Fact]
    public void A_fifo_or_directory_where_the_lock_file_should_be_is_refused_at_once()
    {
        var fifo = _dir.Combine("fifo");
        Process.Start("mkfifo", fifo).WaitForExit();

        ((Action)(() => FileLock.TryTake(fifo))).Should().Throw<NotRegularFileException>().Which.Type.Should().Be(UnixFileType.Fifo);
        ((Action)(() => FileLock.TryTake(_dir.Path))).Should().Throw<NotRegularFileException>().Which.Type.Should().Be(UnixFileType.Directory);
    }

    private static int FlockNonBlocking(string file)
    {
        using var flock = Process.Start(new ProcessStartInfo("flock", ["--nonblock", "--conflict-exit-code", "1", file, "true"]))!;
        flock.WaitForExit();
        return flock.ExitCode;
    }
}
