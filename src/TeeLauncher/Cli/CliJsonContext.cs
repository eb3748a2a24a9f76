using System.Text.Json.Serialization;
using TeeLauncher.Launch;
using TeeLauncher.State;

namespace TeeLauncher.Cli;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true)]
[JsonSerializable(typeof(ValidationReport))]
[JsonSerializable(typeof(LaunchPlan))]
[JsonSerializable(typeof(LaunchStatus))]
[JsonSerializable(typeof(MeasureReport))]
[JsonSerializable(typeof(TeeLauncher.Measurement.VerifyReport))]
internal sealed partial class CliJsonContext : JsonSerializerContext;
