namespace TeeLauncher.Errors;

/// <summary>An expected failure: the CLI prints its message on one line and exits with its code.</summary>
public abstract class LauncherException(ExitCode exitCode, string message, Exception? inner = null)
    : Exception(message, inner)
{
    public ExitCode ExitCode { get; } = exitCode;
}

public sealed class UsageException(string message) : LauncherException(ExitCode.Usage, message);

public sealed class DigestRefusedException(string message) : LauncherException(ExitCode.DigestRefused, message);

public sealed class PullRefusedException(string message) : LauncherException(ExitCode.PullRefused, message);

public sealed class PullFailedException(string message) : LauncherException(ExitCode.PullFailed, message);

public sealed class MeasurementException(string message, Exception? inner = null)
    : LauncherException(ExitCode.MeasurementFailed, message, inner);

public sealed class ComposeException(string message) : LauncherException(ExitCode.ComposeFailed, message);

public sealed class AlreadyMeasuredException(string message) : LauncherException(ExitCode.AlreadyMeasuredOther, message);

/// <summary>The running digest left the approved list and the policy is "stop" (docs/spec.md §4.1): the stack was taken down.</summary>
public sealed class ImageUnapprovedException(string message) : LauncherException(ExitCode.ImageUnapproved, message);

/// <summary>The state directory is not the launcher's own or cannot be written (docs/spec.md §10); its setting is config (exit 3).</summary>
public sealed class StateDirectoryException(string message) : LauncherException(ExitCode.ConfigInvalid, message);

/// <summary>Another launcher run holds the state directory's lock (exit 12): not a usage error, the same command works once that run ends.</summary>
public sealed class StateLockedException(string message) : LauncherException(ExitCode.StateLocked, message);

/// <summary>The docker daemon cannot be reached or refuses the socket (docs/spec.md §10): exit 6, so systemd retries.</summary>
public sealed class DaemonUnreachableException(string message) : LauncherException(ExitCode.PullFailed, message);
