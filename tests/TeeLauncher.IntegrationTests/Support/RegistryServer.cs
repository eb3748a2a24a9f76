using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace TeeLauncher.IntegrationTests.Support;

/// <summary>
/// A real <c>docker-registry</c> (distribution 2.8) on a free loopback port, with its own storage, optional
/// htpasswd or token authentication, and its request log captured so tests can prove which requests reached it.
/// </summary>
public sealed class RegistryServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _directory;

    private RegistryServer(Process process, string directory, int port)
    {
        _process = process;
        _directory = directory;
        Host = $"127.0.0.1:{port}";
    }

    public string Host { get; }

    public string LogFile => Path.Combine(_directory, "registry.log");

    /// <summary>Every request the registry logged, one line each (distribution logs method, URI and the authenticated user).</summary>
    public string Log => File.Exists(LogFile) ? File.ReadAllText(LogFile) : "";

    public static async Task<RegistryServer> StartAsync(string directory, string? user = null, string? password = null) =>
        await StartWithAuthAsync(directory, user is null ? "" : await HtpasswdAsync(directory, user, password!));

    public static async Task<RegistryServer> StartTokenAuthAsync(string directory, TokenServer tokens) =>
        await StartWithAuthAsync(directory, $"""
            auth:
              token:
                realm: {tokens.Realm}
                service: {TokenServer.Service}
                issuer: {TokenServer.Issuer}
                rootcertbundle: {tokens.CertificateFile}
            """);

    /// <summary>A loopback port nothing listens on: connections to it are refused.</summary>
    public static int UnusedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task<RegistryServer> StartWithAuthAsync(string directory, string auth)
    {
        var port = UnusedPort();
        var home = Path.Combine(directory, $"registry-{port}");
        Directory.CreateDirectory(home);
        var config = Path.Combine(home, "config.yml");
        File.WriteAllText(config, $"""
            version: 0.1
            log:
              level: info
              formatter: text
              accesslog:
                disabled: false
            storage:
              filesystem:
                rootdirectory: {home}/data
            http:
              addr: 127.0.0.1:{port}
            {auth}
            """);
        var start = new ProcessStartInfo("sh", ["-c", $"exec docker-registry serve \"$1\" >\"$2\" 2>&1", "registry", config, Path.Combine(home, "registry.log")]);
        var server = new RegistryServer(Process.Start(start)!, home, port);
        using var http = new HttpClient();
        for (var i = 0; i < 100; i++)
        {
            try
            {
                await http.GetAsync($"http://{server.Host}/v2/");
                return server;
            }
            catch (HttpRequestException)
            {
                await Task.Delay(100);
            }
        }
        throw new InvalidOperationException($"docker-registry on {server.Host} did not start: {server.Log}");
    }

    private static async Task<string> HtpasswdAsync(string directory, string user, string password)
    {
        var file = Path.Combine(directory, $"htpasswd-{user}-{Guid.NewGuid():N}");
        var line = (await ToolRun.RunAsync("htpasswd", ["-Bbn", user, password])).Succeeded("htpasswd").Out;
        File.WriteAllText(file, line);
        return $"""
            auth:
              htpasswd:
                realm: tee-test
                path: {file}
            """;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}
