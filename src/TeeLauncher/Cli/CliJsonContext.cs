using System.Text.Json.Serialization;
using TeeLauncher.Launch;
using TeeLauncher.State;
using TeeLauncher.Verification;

namespace TeeLauncher.Cli;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true)]
[JsonSerializable(typeof(ValidationReport))]
[JsonSerializable(typeof(LaunchPlan))]
[JsonSerializable(typeof(LaunchStatus))]
[JsonSerializable(typeof(MeasureReport))]
[JsonSerializable(typeof(TeeLauncher.Verification.VerifyReport))]
internal sealed partial class CliJsonContext : JsonSerializerContext;
