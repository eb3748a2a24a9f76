using Microsoft.Extensions.Hosting.Systemd;

namespace TeeLauncher.Tests.Support;

/// <summary>systemd's side of the notify socket: every message, in order.</summary>
internal sealed class RecordingNotifier : ISystemdNotifier
{
    private readonly Lock _lock = new();
    private readonly List<string> _messages = [];

    public bool IsEnabled => true;

    /// <summary>Told each message once it is recorded, on the sender's thread.</summary>
    public Action<string>? Heard { get; set; }

    public IReadOnlyList<string> Messages
    {
        get
        {
            lock (_lock)
                return [.. _messages];
        }
    }

    public void Notify(ServiceState state)
    {
        lock (_lock)
            _messages.Add(state.ToString());
        Heard?.Invoke(state.ToString());
    }
}
