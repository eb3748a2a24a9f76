using System.Diagnostics.CodeAnalysis;

namespace TeeLauncher.TomlModel;

/// <summary>
/// A TOML table: keys in source order mapped to <see cref="string"/>, <see cref="long"/>, <see cref="double"/>,
/// <see cref="bool"/>, <see cref="Tomlyn.TomlDateTime"/>, <see cref="TomlArray"/>, <see cref="TomlTableArray"/> or
/// <see cref="TomlTable"/>; each key and value keeps its source position.
/// </summary>
public sealed class TomlTable : IReadOnlyDictionary<string, object>
{
    private readonly List<Entry> _entries = [];
    private readonly Dictionary<string, int> _index = new(StringComparer.Ordinal);

    internal TomlTable(TomlPosition position) => Position = position;

    /// <summary>Where the table is defined: its header, its inline <c>{</c>, or the first key that implied it.</summary>
    public TomlPosition Position { get; internal set; }

    public int Count => _entries.Count;

    public IEnumerable<string> Keys => _entries.Select(e => e.Key);

    public IEnumerable<object> Values => _entries.Select(e => e.Value);

    public object this[string key] => Find(key).Value;

    public bool ContainsKey(string key) => _index.ContainsKey(key);

    public bool TryGetValue(string key, [MaybeNullWhen(false)] out object value)
    {
        var found = _index.TryGetValue(key, out var i);
        value = found ? _entries[i].Value : null;
        return found;
    }

    /// <summary>Where the key is written (for a dotted key, its own segment).</summary>
    public TomlPosition KeyPosition(string key) => Find(key).KeyAt;

    /// <summary>Where the value starts (for a table, where it is defined: see <see cref="Position"/>).</summary>
    public TomlPosition ValuePosition(string key)
    {
        var entry = Find(key);
        return entry.Value is TomlTable table ? table.Position : entry.ValueAt;
    }

    public IEnumerator<KeyValuePair<string, object>> GetEnumerator() =>
        _entries.Select(e => new KeyValuePair<string, object>(e.Key, e.Value)).GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    internal void Add(string key, object value, TomlPosition keyAt, TomlPosition valueAt)
    {
        _index.Add(key, _entries.Count);
        _entries.Add(new Entry(key, value, keyAt, valueAt));
    }

    private Entry Find(string key) =>
        _index.TryGetValue(key, out var i) ? _entries[i] : throw new KeyNotFoundException($"no key '{key}' in this table");

    private readonly record struct Entry(string Key, object Value, TomlPosition KeyAt, TomlPosition ValueAt);
}
