namespace TeeLauncher.Docker;

/// <summary>
/// How far one <c>docker pull</c> has got, read from its output. Without a terminal docker prints one line per layer
/// event (<c>ID: Pulling fs layer</c>, <c>ID: Waiting</c>, <c>ID: Download complete</c>, <c>ID: Pull complete</c>,
/// <c>ID: Already exists</c>) and leaves out its progress bars, so there are no byte counts to report.
/// </summary>
public sealed class PullProgress
{
    private readonly Dictionary<string, LayerState> _layers = new(StringComparer.Ordinal);

    public int Layers => _layers.Count;

    public int LayersDone => _layers.Values.Count(l => l == LayerState.Done);

    public int LayersDownloaded => _layers.Values.Count(l => l != LayerState.Pending);

    /// <summary>Takes one line of docker's output; true when it changed the progress.</summary>
    public bool Observe(string line)
    {
        var colon = line.IndexOf(": ", StringComparison.Ordinal);
        if (colon != 12 || line.AsSpan(0, colon).ContainsAnyExcept("0123456789abcdef"))
            return false;
        var id = line[..colon];
        var known = _layers.GetValueOrDefault(id, LayerState.Pending);
        var next = line[(colon + 2)..].Trim() switch
        {
            "Pull complete" or "Already exists" => LayerState.Done,
            "Download complete" or "Verifying Checksum" or "Extracting" => known == LayerState.Done ? known : LayerState.Downloaded,
            _ => known,
        };
        if (_layers.ContainsKey(id) && known == next)
            return false;
        _layers[id] = next;
        return true;
    }

    public override string ToString() =>
        Layers == 0 ? "starting" : $"{LayersDone}/{Layers} layers done, {LayersDownloaded} downloaded";

    private enum LayerState { Pending, Downloaded, Done }
}
