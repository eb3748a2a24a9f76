namespace TeeLauncher.Toml;

/// <summary>A TOML array value <c>[ ... ]</c>; items may have mixed types; each keeps its position.</summary>
public sealed class TomlArray : IReadOnlyList<object>
{
    private ItemList<Element> _items;

    internal TomlArray(TomlPosition position) => Position = position;

    public TomlPosition Position { get; }

    public int Count => _items.Count;

    public object this[int index] => _items[index].Value;

    public TomlPosition ItemPosition(int index) => _items[index].At;

    public IEnumerator<object> GetEnumerator()
    {
        for (var i = 0; i < _items.Count; i++)
            yield return _items[i].Value;
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    internal void Add(object value, TomlPosition position) => _items.Add(new Element(value, position));

    internal void Borrow(Element[] scratch) => _items.Borrow(scratch);

    internal Element[] Seal() => _items.Seal();

    internal readonly record struct Element(object Value, TomlPosition At);
}
