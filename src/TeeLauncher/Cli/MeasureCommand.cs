using System.Text;
using System.Text.Json;
using TeeLauncher.Errors;
using TeeLauncher.Events;
using TeeLauncher.Files;
using TeeLauncher.Measurement;
using TeeLauncher.Values;

namespace TeeLauncher.Cli;

public sealed record MeasuredPrediction(string Name, EventVersion Version, string Payload, string Preimage, string Digest, string PcrSha256, string PcrSha384);

public sealed record MeasureReport(IReadOnlyList<MeasuredPrediction> Events, string Base, string Rtmr3);

public sealed class MeasureCommand : Command
{
    public override string Name => "measure";

    public override string Purpose => "print the events the launcher would emit for a digest and the RTMR3 value they give";

    public override string Example => "tee-launcher measure --digest sha256:<64 hex> --compose /run/tee-launcher/compose.yml --event-name mpc-image-digest";

    public override IReadOnlyList<CommandOption> Options { get; } =
    [
        CommandOption.Value("digest", "sha256:HEX", "the image manifest digest"),
        CommandOption.Value("compose", "FILE", "the rendered compose file, for the compose event"),
        CommandOption.EventName,
        CommandOption.Value("event-version", "1|2", "digest version of the events (docs/spec.md §5.1; default 1, what dstack's runtime_event_version says on dstack)"),
        CommandOption.Value("base", "HEX", "RTMR3 before the first event (default 48 zero bytes)"),
        CommandOption.Json,
    ];

    public override async Task<ExitCode> ExecuteAsync(CommandArguments arguments, CommandConsole console, CancellationToken cancellationToken)
    {
        var text = arguments.Required("digest");
        if (!ImageDigest.TryParse(text, out var digest))
            throw new UsageException($"--digest: {ImageDigest.WhyNotADigest(text)}");
        var version = EventVersion.V1;
        if (arguments.Value("event-version") is { } versionText && !EventVersion.TryParse(versionText, out version))
            throw new UsageException($"--event-version '{versionText}' must be {EventVersion.Choices}");
        var compose = arguments.Value("compose") is { } path ? InputFile.ReadInput(path, "compose file", RenderedComposeMaxBytes) : null;
        var events = LaunchEvents.For(arguments.Value(CommandOption.EventName.Name) ?? EventNames.DefaultImage, digest, version, compose);
        var start = arguments.Value("base") is { } hex ? HexArgument.Parse("base", hex, 48) : MeasurementRegister.Zero(HashBank.Sha384);

        var register = start;
        var predictions = new List<MeasuredPrediction>();
        foreach (var e in events)
        {
            var eventDigest = MeasurementRegister.Measurement(e, HashBank.Sha384);
            register = MeasurementRegister.Extend(HashBank.Sha384, register, eventDigest);
            predictions.Add(new MeasuredPrediction(e.Name, e.Version, Convert.ToHexStringLower(e.Payload), Convert.ToHexStringLower(e.Preimage()),
                Convert.ToHexStringLower(eventDigest), Convert.ToHexStringLower(MeasurementRegister.Measurement(e, HashBank.Sha256)),
                Convert.ToHexStringLower(eventDigest)));
        }
        var report = new MeasureReport(predictions, Convert.ToHexStringLower(start), Convert.ToHexStringLower(register));
        await console.Out.WriteAsync(arguments.Json ? JsonSerializer.Serialize(report, CliJsonContext.Default.MeasureReport) + "\n" : Describe(report));
        return ExitCode.Success;
    }

    private static string Describe(MeasureReport report)
    {
        var text = new StringBuilder();
        foreach (var e in report.Events)
        {
            text.AppendLine($"event {e.Name} (version {e.Version})");
            text.AppendLine($"  payload   {e.Payload}");
            text.AppendLine($"  preimage  {e.Preimage}");
            text.AppendLine($"  digest    {e.Digest}   (RTMR3 extend, sha384 of the preimage)");
            text.AppendLine($"  tpm       sha256 {e.PcrSha256}");
        }
        text.AppendLine($"RTMR3 from {(report.Base.Trim('0').Length == 0 ? "zero" : report.Base)}: {report.Rtmr3}");
        return text.ToString();
    }
}
