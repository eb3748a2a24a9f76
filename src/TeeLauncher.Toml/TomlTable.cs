using System.Diagnostics.CodeAnalysis;

namespace TeeLauncher.Toml;

/// <summary>
/// A TOML table: keys in source order mapped to <see cref="string"/>, <see cref="long"/>, <see cref="double"/>,
/// <see cref="bool"/>, <see cref="TomlDateTime"/>, <see cref="TomlArray"/>, <see cref="TomlTableArray"/> or
/// <see cref="TomlTable"/>; each key and value keeps its source position.
/// </summary>
public sealed class TomlTable : IReadOnlyDictionary<string, object>
{
    /// <summary>Small tables, the common case, are searched linearly; an index is built once a table grows.</summary>
    private const int IndexThreshold = 16;

    private ItemList<Entry> _entries;
    private Dictionary<string, int>? _index;

    internal TomlTable(TomlPosition position, TableOrigin origin, int section = 0)
    {
        Position = position;
        Origin = origin;
        Section = section;
    }

    /// <summary>Where the table is defined: its header, its inline <c>{</c>, or the first key that implied it.</summary>
    public TomlPosition Position { get; internal set; }

    internal TableOrigin Origin { get; set; }

    /// <summary>The header section in which dotted keys created this table.</summary>
    internal int Section { get; set; }

    public int Count => _entries.Count;

    public IEnumerable<string> Keys => this.Select(e => e.Key);

    public IEnumerable<object> Values => this.Select(e => e.Value);

    public object this[string key] => TryGetValue(key, out var value) ? value : throw new KeyNotFoundException($"no key '{key}' in this table");

    public bool ContainsKey(string key) => IndexOf(key) >= 0;

    public bool TryGetValue(string key, [MaybeNullWhen(false)] out object value)
    {
        var i = IndexOf(key);
        value = i >= 0 ? _entries[i].Value : null;
        return i >= 0;
    }

    /// <summary>Where the key is written (for a dotted key, its own segment).</summary>
    public TomlPosition KeyPosition(string key) => Find(key).KeyAt;

    /// <summary>Where the value starts (for a table, where it is defined: see <see cref="Position"/>).</summary>
    public TomlPosition ValuePosition(string key)
    {
        var entry = Find(key);
        return entry.Value is TomlTable table ? table.Position : entry.ValueAt;
    }

    public IEnumerator<KeyValuePair<string, object>> GetEnumerator()
    {
        for (var i = 0; i < _entries.Count; i++)
            yield return new KeyValuePair<string, object>(_entries[i].Key, _entries[i].Value);
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    internal void Add(string key, object value, TomlPosition keyAt, TomlPosition valueAt)
    {
        _entries.Add(new Entry(key, value, keyAt, valueAt));
        if (_index is not null)
        {
            _index.Add(key, _entries.Count - 1);
        }
        else if (_entries.Count > IndexThreshold)
        {
            _index = new Dictionary<string, int>(_entries.Count * 2, StringComparer.Ordinal);
            for (var i = 0; i < _entries.Count; i++)
                _index.Add(_entries[i].Key, i);
        }
    }

    internal void Borrow(Entry[] scratch) => _entries.Borrow(scratch);

    internal Entry[] Seal() => _entries.Seal();

    private int IndexOf(string key)
    {
        if (_index is not null)
            return _index.TryGetValue(key, out var found) ? found : -1;
        var entries = _entries.AsSpan();
        for (var i = 0; i < entries.Length; i++)
        {
            if (string.Equals(entries[i].Key, key, StringComparison.Ordinal))
                return i;
        }
        return -1;
    }

    private Entry Find(string key) =>
        IndexOf(key) is var i and >= 0 ? _entries[i] : throw new KeyNotFoundException($"no key '{key}' in this table");

    internal readonly record struct Entry(string Key, object Value, TomlPosition KeyAt, TomlPosition ValueAt);
}

/// <summary>How a table came to exist, which decides what may still add to it (TOML 1.0 redefinition rules).</summary>
internal enum TableOrigin
{
    /// <summary>Named only as a parent in a header such as <c>[a.b]</c>: a later <c>[a]</c> may still define it.</summary>
    Implied,

    /// <summary>Defined by its own header <c>[a]</c> or as an element of <c>[[a]]</c>.</summary>
    Header,

    /// <summary>Created by a dotted key such as <c>a.b = 1</c>.</summary>
    DottedKey,

    /// <summary>An inline table <c>{ ... }</c>: complete as written.</summary>
    Inline,
}
