namespace TeeLauncher.Cli;

/// <summary>Every command the executable knows, in the order <c>--help</c> lists them.</summary>
public static class CommandCatalog
{
    public static IReadOnlyList<Command> All { get; } =
    [
        new RunCommand(),
        new ValidateCommand(),
        new PlanCommand(),
        new StatusCommand(),
        new MeasureCommand(),
        new VerifyCommand(),
        new KeygenCommand(),
        new PubkeyCommand(),
        new EncryptAuthCommand(),
    ];
}
