namespace TeeLauncher.Toml;

/// <summary>A TOML array value <c>[ ... ]</c>; items may have mixed types; each keeps its position.</summary>
public sealed class TomlArray : IReadOnlyList<object>
{
    private readonly List<(object Item, TomlPosition At)> _items = new(4);

    internal TomlArray(TomlPosition position) => Position = position;

    public TomlPosition Position { get; }

    public int Count => _items.Count;

    public object this[int index] => _items[index].Item;

    public TomlPosition ItemPosition(int index) => _items[index].At;

    public IEnumerator<object> GetEnumerator() => _items.Select(i => i.Item).GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    internal void Add(object item, TomlPosition position) => _items.Add((item, position));
}
