using TeeLauncher.Errors;

namespace TeeLauncher.Verification;

/// <summary>The quote or its collateral does not verify; the message names the part that failed. Exit 1.</summary>
public sealed class QuoteVerificationException(string message) : LauncherException(ExitCode.NotVerified, message);
