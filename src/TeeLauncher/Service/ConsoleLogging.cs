using Serilog;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting.Json;
using TeeLauncher.Values;

namespace TeeLauncher.Service;

/// <summary>Serilog on stderr; under systemd (JOURNAL_STREAM set) each line starts with its syslog priority; JSON lines on request.</summary>
public static class ConsoleLogging
{
    public static Logger Create(bool json = false, LogEventLevel minimum = LogEventLevel.Information)
    {
        var underJournal = !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("JOURNAL_STREAM"));
        var template = underJournal
            ? "<{SyslogPriority}>{SourceContext}: {Message:lj}{NewLine}{Exception}"
            : "{Timestamp:HH:mm:ss.fff} {Level:u3} {SourceContext}: {Message:lj}{NewLine}{Exception}";
        var configuration = new LoggerConfiguration()
            .MinimumLevel.Is(minimum)
            .MinimumLevel.Override("Microsoft", LogEventLevel.Warning)
            // Start failures are reported once, as one line, by the CLI edge.
            .MinimumLevel.Override("Microsoft.Extensions.Hosting.Internal.Host", LogEventLevel.Fatal)
            .Enrich.With<SyslogPriorityEnricher>()
            .Enrich.With<EscapingEnricher>();
        return (json
                ? configuration.WriteTo.Console(new JsonFormatter(renderMessage: true), standardErrorFromLevel: LogEventLevel.Verbose)
                : configuration.WriteTo.Console(outputTemplate: template, standardErrorFromLevel: LogEventLevel.Verbose,
                    formatProvider: System.Globalization.CultureInfo.InvariantCulture))
            .CreateLogger();
    }

    /// <summary>
    /// Values carry input files' and docker's, compose's and registries' words: every value that is not a number is
    /// written as its text with control characters escaped (docs/spec.md §10), whatever type carried it.
    /// </summary>
    private sealed class EscapingEnricher : ILogEventEnricher
    {
        public void Enrich(LogEvent logEvent, ILogEventPropertyFactory propertyFactory)
        {
            foreach (var (name, value) in logEvent.Properties.ToList())
            {
                var text = value switch
                {
                    ScalarValue { Value: null or bool or int or long or uint or ulong or double or decimal or TimeSpan or DateTimeOffset } => null,
                    ScalarValue { Value: string s } => s,
                    ScalarValue { Value: IFormattable f } => f.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
                    ScalarValue { Value: var v } => v.ToString(),
                    _ => value.ToString(),
                };
                if (text is not null && SafeText.Escape(text) is var escaped && (!ReferenceEquals(escaped, text) || value is not ScalarValue { Value: string }))
                    logEvent.AddOrUpdateProperty(new LogEventProperty(name, new ScalarValue(escaped)));
            }
        }
    }

    private sealed class SyslogPriorityEnricher : ILogEventEnricher
    {
        public void Enrich(LogEvent logEvent, ILogEventPropertyFactory propertyFactory) =>
            logEvent.AddPropertyIfAbsent(propertyFactory.CreateProperty("SyslogPriority", logEvent.Level switch
            {
                LogEventLevel.Verbose or LogEventLevel.Debug => 7,
                LogEventLevel.Information => 6,
                LogEventLevel.Warning => 4,
                LogEventLevel.Error => 3,
                _ => 2,
            }));
    }
}
