using System.Text;
using System.Text.Json;
using TeeLauncher.Cli;
using TeeLauncher.Configuration;
using TeeLauncher.Events;
using TeeLauncher.Testing;
using TeeLauncher.Tests.Support;
using TeeLauncher.Values;

namespace TeeLauncher.Tests.Events;

/// <summary>The one list of launch events: what the config asks for, and what <c>measure</c> prints from it.</summary>
public sealed class LaunchEventsTests : IDisposable
{
    private static readonly byte[] Compose = Encoding.UTF8.GetBytes("services:\n  node:\n    image: registry.example/node@" + Digests.A + "\n");

    private readonly TempDirectory _dir = new();

    [Theory]
    [InlineData(false, 1)]
    [InlineData(true, 1)]
    [InlineData(true, 2)]
    public void The_config_gives_the_image_event_then_the_compose_event_when_it_is_on(bool composeEvent, int version)
    {
        var settings = MeasurementSettings.Default with { EventName = "mpc-image-digest", ComposeEvent = composeEvent, EventVersion = EventVersions.Of(version) };

        var events = LaunchEvents.For(settings, Digests.A, Compose);

        IReadOnlyList<RuntimeEvent> expected = composeEvent
            ? [RuntimeEvent.ForImage("mpc-image-digest", Digests.A, EventVersions.Of(version)), RuntimeEvent.ForCompose(Compose, EventVersions.Of(version))]
            : [RuntimeEvent.ForImage("mpc-image-digest", Digests.A, EventVersions.Of(version))];
        events.Select(Describe).Should().Equal(expected.Select(Describe));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Measure_prints_the_events_of_the_one_list(bool withCompose)
    {
        var compose = _dir.File("compose.yml", Encoding.UTF8.GetString(Compose));
        string[] args = ["measure", "--digest", Digests.A.ToString(), "--event-name", "app-image", "--event-version", "2", "--json"];

        var (code, output, _) = await CommandLine.RunAsync(withCompose ? [.. args, "--compose", compose] : args);

        code.Should().Be(0);
        var printed = JsonDocument.Parse(output).RootElement.GetProperty("events").EnumerateArray()
            .Select(e => (e.GetProperty("name").GetString(), e.GetProperty("digest").GetString())).ToList();
        printed.Should().Equal(LaunchEvents.For("app-image", Digests.A, EventVersion.V2, withCompose ? Compose : null)
            .Select(e => ((string?)e.Name, (string?)Convert.ToHexStringLower(e.Digest()))));
    }

    private static string Describe(RuntimeEvent e) => $"{e.Name} v{e.Version} {Convert.ToHexStringLower(e.Payload)}";

    public void Dispose() => _dir.Dispose();
}
