using TeeLauncher.Errors;
using TeeLauncher.State;
using TeeLauncher.Tests.Support;

namespace TeeLauncher.Tests.State;

/// <summary>docs/spec.md §10: the state directory is the launcher's own, and nothing planted in it is followed.</summary>
public sealed class StateDirectoryTests : IDisposable
{
    private const UnixFileMode Rwx = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    private readonly TempDirectory _dir = new();

    [Fact]
    public void A_missing_state_directory_is_created_0700()
    {
        var path = _dir.Combine("run/tee-launcher");

        new StateDirectory(path).Prepare();

        File.GetUnixFileMode(path).Should().Be(Rwx);
    }

    [Theory]
    [InlineData(UnixFileMode.OtherWrite, "0703")]
    [InlineData(UnixFileMode.GroupWrite, "0770")]
    public void One_that_group_or_others_can_write_is_refused(UnixFileMode extra, string mode)
    {
        var path = _dir.Combine("state");
        Directory.CreateDirectory(path);
        File.SetUnixFileMode(path, Rwx | extra | (extra == UnixFileMode.OtherWrite ? UnixFileMode.OtherExecute : UnixFileMode.GroupExecute | UnixFileMode.GroupRead));

        var e = ((Action)(() => new StateDirectory(path).Lock())).Should().Throw<StateDirectoryException>().Which;

        e.ExitCode.Should().Be(ExitCode.ConfigInvalid);
        e.Message.Should().Be($"state directory {path} can be written by group or others (mode {mode}), so another user could plant files in it; " +
                              $"run 'chmod 700 {path}' or remove it so the launcher creates it");
        File.Exists(Path.Combine(path, "launcher.lock")).Should().BeFalse("nothing is written into a refused directory");
    }

    [Fact]
    public void One_owned_by_another_user_is_refused()
    {
        var path = _dir.Combine("state");
        Directory.CreateDirectory(path);
        if (TeeLauncher.Files.UnixFile.EffectiveUser == 0)
            System.Diagnostics.Process.Start("chown", ["65534", path]).WaitForExit();
        else
            path = "/";

        StateDirectory.Problem(path).Should().Contain("belongs to uid").And.Contain("not to the launcher's user");
    }

    [Fact]
    public void A_file_in_place_of_the_directory_is_refused()
    {
        var path = _dir.File("state", "not a directory");

        StateDirectory.Problem(path).Should().Be($"state directory {path} is a regular file, not a directory; remove it or set launcher.state_dir");
    }

    [Fact]
    public void Writes_replace_a_planted_symbolic_link_instead_of_following_it()
    {
        var state = _dir.Combine("state");
        new StateDirectory(state).Prepare();
        var victim = _dir.File("victim", "root-only content");
        var status = Path.Combine(state, "status.json");
        File.CreateSymbolicLink(status, victim);
        File.CreateSymbolicLink(status + ".tmp", victim);

        StateDirectory.WriteAtomically(status, "{}"u8);

        File.ReadAllText(victim).Should().Be("root-only content");
        new FileInfo(status).LinkTarget.Should().BeNull("the link was replaced by a regular file");
        File.ReadAllText(status).Should().Be("{}");
        File.GetUnixFileMode(status).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    [Fact]
    public void A_planted_lock_link_is_refused()
    {
        var state = _dir.Combine("state");
        new StateDirectory(state).Prepare();
        File.CreateSymbolicLink(Path.Combine(state, "launcher.lock"), _dir.File("victim", "x"));

        ((Action)(() => new StateDirectory(state).Lock())).Should().Throw<StateDirectoryException>()
            .WithMessage("*launcher.lock is a symbolic link, not a lock file the launcher made; remove it");
    }

    [Fact]
    public void A_second_lock_is_another_run_and_the_first_is_released_on_dispose()
    {
        var state = new StateDirectory(_dir.Combine("state"));
        using (state.Lock())
            ((Action)(() => state.Lock())).Should().Throw<StateLockedException>().WithMessage("another tee-launcher run holds *")
                .Which.ExitCode.Should().Be((ExitCode)12, "docs/spec.md §2 documents 12 for a held lock");
        using var again = state.Lock();
    }

    public void Dispose() => _dir.Dispose();
}
