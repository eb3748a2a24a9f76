using System.Diagnostics;
using System.Text;
using CliWrap;
using TeeLauncher.Testing;

namespace TeeLauncher.IntegrationTests.Support;

/// <summary>
/// The launcher executable as systemd runs it: a child process with the docker engine, docker CLI and compose of a
/// <see cref="Toolchain"/> (Debian 12's unless a test names another).
/// </summary>
public sealed class LauncherProcess : IAsyncDisposable
{
    private static readonly Dictionary<string, string?> QuietEnvironment = new()
    {
        ["JOURNAL_STREAM"] = null, ["NOTIFY_SOCKET"] = null, ["TEE_LAUNCHER_CONFIG"] = null,
    };

    private readonly StringBuilder _out = new();
    private readonly StringBuilder _error = new();
    private readonly CommandTask<CommandResult> _task;
    private readonly CancellationTokenSource _kill = new();

    private LauncherProcess(IEnumerable<string> arguments, IReadOnlyDictionary<string, string?> environment)
    {
        _task = CliWrap.Cli.Wrap(TestEnvironment.Launcher)
            .WithArguments(arguments)
            .WithEnvironmentVariables(e => e.Set(environment))
            .WithValidation(CommandResultValidation.None)
            .WithStandardOutputPipe(PipeTarget.ToStringBuilder(_out))
            .WithStandardErrorPipe(PipeTarget.ToStringBuilder(_error))
            .ExecuteAsync(_kill.Token);
    }

    public int ProcessId => _task.ProcessId;

    public string ErrorSoFar
    {
        get
        {
            lock (_error)
                return _error.ToString();
        }
    }

    public static Task<ToolResult> RunAsync(
        IEnumerable<string> arguments, IReadOnlyDictionary<string, string?>? environment = null, string? stdin = null, Toolchain? toolchain = null) =>
        ToolRun.RunAsync(TestEnvironment.Launcher, arguments, stdin, Merge(toolchain, environment));

    public static LauncherProcess Start(
        IEnumerable<string> arguments, IReadOnlyDictionary<string, string?>? environment = null, Toolchain? toolchain = null) =>
        new(arguments, Merge(toolchain, environment));

    public Task SignalAsync(string signal) => ToolRun.RunAsync("kill", [$"-{signal}", ProcessId.ToString()]);

    public async Task<ToolResult> WaitAsync(TimeSpan timeout)
    {
        var finished = await Task.WhenAny(_task.Task, Task.Delay(timeout));
        if (finished != _task.Task)
            throw new TimeoutException($"the launcher did not exit within {timeout}; its log so far:\n{ErrorSoFar}");
        var result = await _task;
        return new ToolResult(result.ExitCode, _out.ToString(), _error.ToString());
    }

    public Task WaitForLogAsync(string text, TimeSpan timeout) =>
        Eventually.HoldsAsync(
            () => ErrorSoFar.Contains(text, StringComparison.Ordinal) || (_task.Task.IsCompleted ? throw new TimeoutException($"the launcher exited without logging '{text}'; its log:\n{ErrorSoFar}") : false),
            timeout, () => $"the launcher to log '{text}'; its log:\n{ErrorSoFar}", TimeSpan.FromMilliseconds(100));

    public async ValueTask DisposeAsync()
    {
        if (!_task.Task.IsCompleted)
            await _kill.CancelAsync();
        try
        {
            await _task;
        }
        catch (OperationCanceledException)
        {
        }
        _kill.Dispose();
    }

    /// <summary>The quiet environment, then the toolchain's, then the test's own variables.</summary>
    private static Dictionary<string, string?> Merge(Toolchain? toolchain, IReadOnlyDictionary<string, string?>? environment)
    {
        var merged = new Dictionary<string, string?>(QuietEnvironment);
        foreach (var (name, value) in (toolchain ?? Toolchain.Debian12).LauncherEnvironment())
            merged[name] = value;
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
            merged[name] = value;
        return merged;
    }
}
