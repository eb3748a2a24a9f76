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

    /// <summary><c>verify --quote</c>: the quote verifies, but the platform's TCB status is not UpToDate (docs/spec.md §5.5).</summary>
    TcbNotUpToDate = 11,

    /// <summary>Another launcher run holds the state directory's lock (docs/spec.md §2).</summary>
    StateLocked = 12,
    Internal = 70,
}
