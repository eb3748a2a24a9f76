using System.Runtime.InteropServices;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;
using Serilog;
using TeeLauncher.Docker;
using TeeLauncher.Launch;

namespace TeeLauncher.Service;

/// <summary>The generic host of <c>run</c>: systemd lifetime and notifications, Serilog, the launcher service.</summary>
public static class LauncherHost
{
    public static async Task RunAsync(string configPath, bool jsonLogs, CancellationToken cancellationToken)
    {
        using var serilog = ConsoleLogging.Create(jsonLogs);
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        // No AddSystemd(): under systemd its SystemdLifetime sends READY=1 once the host has started, a second one after
        // LauncherService's (and with supervise = false, after STOPPING=1). LauncherService alone sends READY=1 and
        // STOPPING=1, whatever the parent process; the console lifetime stops on SIGTERM as SystemdLifetime does.
        builder.Services.Configure<ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);
        // Long enough for compose down with the configured stop_timeout; systemd's TimeoutStopSec bounds it anyway.
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromMinutes(10));
        builder.Services.AddSerilog(serilog);
        builder.Services.AddSingleton<ISystemdNotifier, SystemdNotifier>();
        builder.Services.AddSingleton<RunOutcome>();
        builder.Services.AddSingleton<IDockerRunner>(new DockerCli());
        builder.Services.AddSingleton(services => new StatusRecorder(
            configPath, services.GetRequiredService<ISystemdNotifier>(), services.GetRequiredService<ILoggerFactory>().CreateLogger("launch")));
        builder.Services.AddSingleton(services => new LaunchPipeline(
            configPath, services.GetRequiredService<IDockerRunner>(), services.GetRequiredService<StatusRecorder>(), services.GetRequiredService<ILoggerFactory>()));
        builder.Services.AddHostedService<LauncherService>();

        // SIGHUP would end the process by default and leave the stack unsupervised; there is nothing to reload (the
        // config is read once per boot, and what it chose is measured), so it is ignored and logged (docs/spec.md §8).
        using var hangup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, signal =>
        {
            signal.Cancel = true;
            serilog.ForContext("SourceContext", typeof(LauncherHost).FullName)
                .Warning("SIGHUP ignored: the configuration is read once per boot; restart the unit to apply a new one");
        });
        using var host = builder.Build();
        var outcome = host.Services.GetRequiredService<RunOutcome>();
        await host.RunAsync(cancellationToken);
        if (outcome.Failure is { } failure)
            throw failure;
    }
}
