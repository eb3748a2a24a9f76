namespace TeeLauncher.Errors;

/// <summary>Process exit codes of docs/spec.md §2.</summary>
public enum ExitCode
{
    Success = 0,
    NotVerified = 1,
    Usage = 2,
    ConfigInvalid = 3,
    DigestRefused = 4,
    PullRefused = 5,
    PullFailed = 6,
    MeasurementFailed = 7,
    ComposeFailed = 8,
    AlreadyMeasuredOther = 9,
    ImageUnapproved = 10,
    Internal = 70,
}
