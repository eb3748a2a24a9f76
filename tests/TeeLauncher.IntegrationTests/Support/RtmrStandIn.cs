namespace TeeLauncher.IntegrationTests.Support;

/// <summary>
/// Stands in for the kernel's RTMR3 sysfs attribute, which exists only in a TDX guest: a named pipe whose
/// reader records each write the launcher makes, in order, so a test sees the exact bytes an extend would get.
/// </summary>
public sealed class RtmrStandIn : IAsyncDisposable
{
    private readonly List<byte[]> _writes = [];
    private readonly Task _reader;
    private volatile bool _stopping;

    private RtmrStandIn(string path)
    {
        Path = path;
        _reader = Task.Factory.StartNew(Read, TaskCreationOptions.LongRunning);
    }

    public string Path { get; }

    /// <summary>Each open-write-close of the launcher, with what it wrote (opening alone writes nothing).</summary>
    public IReadOnlyList<byte[]> Writes
    {
        get
        {
            lock (_writes)
                return [.. _writes.Where(w => w.Length > 0)];
        }
    }

    public static async Task<RtmrStandIn> CreateAsync(string directory)
    {
        var path = System.IO.Path.Combine(directory, "rtmr3-sha384");
        (await ToolRun.RunAsync("mkfifo", [path])).Succeeded("mkfifo");
        return new RtmrStandIn(path);
    }

    private void Read()
    {
        while (!_stopping)
        {
            using var pipe = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 0);
            using var written = new MemoryStream();
            pipe.CopyTo(written);
            lock (_writes)
                _writes.Add(written.ToArray());
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stopping = true;
        // The reader waits in open() for a writer: be that writer once so it can see it should stop.
        await using (new FileStream(Path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, bufferSize: 0))
        {
        }
        await _reader;
    }
}
