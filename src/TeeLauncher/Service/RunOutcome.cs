namespace TeeLauncher.Service;

/// <summary>How the service ended: the failure that stopped it, if any (the CLI edge turns it into an exit code).</summary>
public sealed class RunOutcome
{
    public Exception? Failure { get; private set; }

    public void Fail(Exception failure) => Failure ??= failure;
}
