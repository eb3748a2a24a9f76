using System.Text;

namespace TeeLauncher.Toml;

/// <summary>
/// Bare keys repeat across a document (every <c>[[server]]</c> has its <c>name</c> and <c>port</c>): one string per
/// distinct key instead of one per occurrence. A small direct-mapped cache; a collision only costs an allocation.
/// </summary>
internal sealed class KeyCache
{
    private const int Size = 512;
    private const int MaxCachedLength = 32;
    private readonly string?[] _slots = new string?[Size];

    public string Get(ReadOnlySpan<byte> asciiKey)
    {
        if (asciiKey.Length > MaxCachedLength)
            return Encoding.ASCII.GetString(asciiKey);
        var hash = new HashCode();
        hash.AddBytes(asciiKey);
        var slot = (hash.ToHashCode() & int.MaxValue) % Size;
        var cached = _slots[slot];
        if (cached is not null && Matches(cached, asciiKey))
            return cached;
        return _slots[slot] = Encoding.ASCII.GetString(asciiKey);
    }

    private static bool Matches(string cached, ReadOnlySpan<byte> asciiKey)
    {
        if (cached.Length != asciiKey.Length)
            return false;
        for (var i = 0; i < asciiKey.Length; i++)
        {
            if (cached[i] != asciiKey[i])
                return false;
        }
        return true;
    }
}
