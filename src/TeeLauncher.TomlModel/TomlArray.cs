namespace TeeLauncher.TomlModel;

/// <summary>A TOML array value <c>[ ... ]</c>; items may have mixed types; each keeps its position.</summary>
public sealed class TomlArray : IReadOnlyList<object>
{
    private readonly List<(object Value, TomlPosition At)> _items = [];

    internal TomlArray(TomlPosition position) => Position = position;

    public TomlPosition Position { get; }

    public int Count => _items.Count;

    public object this[int index] => _items[index].Value;

    public TomlPosition ItemPosition(int index) => _items[index].At;

    public IEnumerator<object> GetEnumerator() => _items.Select(i => i.Value).GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    internal void Add(object value, TomlPosition at) => _items.Add((value, at));
}
