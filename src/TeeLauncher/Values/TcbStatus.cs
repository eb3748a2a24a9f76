namespace TeeLauncher.Values;

/// <summary>
/// Intel's TCB statuses (PCS TCB Info and QE Identity, <c>tcbStatus</c>), in the order of severity that Intel's QVL and
/// dcap-qvl use when a platform, TDX module and QE status are merged: the worse one wins.
/// </summary>
public enum TcbStatus
{
    UpToDate,
    SWHardeningNeeded,
    ConfigurationNeeded,
    ConfigurationAndSWHardeningNeeded,
    OutOfDate,
    OutOfDateConfigurationNeeded,
    Revoked,
}

public static class TcbStatusNames
{
    public static TcbStatus? Parse(string text) => text switch
    {
        "UpToDate" => TcbStatus.UpToDate,
        "SWHardeningNeeded" => TcbStatus.SWHardeningNeeded,
        "ConfigurationNeeded" => TcbStatus.ConfigurationNeeded,
        "ConfigurationAndSWHardeningNeeded" => TcbStatus.ConfigurationAndSWHardeningNeeded,
        "OutOfDate" => TcbStatus.OutOfDate,
        "OutOfDateConfigurationNeeded" => TcbStatus.OutOfDateConfigurationNeeded,
        "Revoked" => TcbStatus.Revoked,
        _ => null,
    };

    public static string Name(this TcbStatus status) => status switch
    {
        TcbStatus.UpToDate => "UpToDate",
        TcbStatus.SWHardeningNeeded => "SWHardeningNeeded",
        TcbStatus.ConfigurationNeeded => "ConfigurationNeeded",
        TcbStatus.ConfigurationAndSWHardeningNeeded => "ConfigurationAndSWHardeningNeeded",
        TcbStatus.OutOfDate => "OutOfDate",
        TcbStatus.OutOfDateConfigurationNeeded => "OutOfDateConfigurationNeeded",
        _ => "Revoked",
    };
}
