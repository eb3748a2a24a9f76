using System.Diagnostics.CodeAnalysis;

namespace TeeLauncher.Toml;

/// <summary>
/// A TOML table: keys in source order mapped to <see cref="string"/>, <see cref="long"/>, <see cref="double"/>,
/// <see cref="bool"/>, <see cref="TomlDateTime"/>, <see cref="TomlArray"/>, <see cref="TomlTableArray"/> or
/// <see cref="TomlTable"/>; each key and value keeps its source position.
/// </summary>
public sealed class TomlTable : IReadOnlyDictionary<string, object>
{
    private readonly Dictionary<string, int> _index = new(StringComparer.Ordinal);
    private readonly List<Entry> _entries = [];

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

    public IEnumerable<string> Keys => _entries.Select(e => e.Key);

    public IEnumerable<object> Values => _entries.Select(e => e.Value);

    public object this[string key] => TryGetValue(key, out var value) ? value : throw new KeyNotFoundException($"no key '{key}' in this table");

    public bool ContainsKey(string key) => _index.ContainsKey(key);

    public bool TryGetValue(string key, [MaybeNullWhen(false)] out object value)
    {
        if (_index.TryGetValue(key, out var i))
        {
            value = _entries[i].Value;
            return true;
        }
        value = null;
        return false;
    }

    /// <summary>Where the key is written (for a dotted key, its own segment).</summary>
    public TomlPosition KeyPosition(string key) => Find(key).KeyAt;

    /// <summary>Where the value starts (for a table, where it is defined).</summary>
    public TomlPosition ValuePosition(string key) => Find(key).ValueAt;

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
