namespace TeeLauncher.TomlModel;

/// <summary>An array of tables, built by <c>[[name]]</c> headers.</summary>
public sealed class TomlTableArray : IReadOnlyList<TomlTable>
{
    private readonly List<TomlTable> _tables = [];

    internal TomlTableArray(TomlPosition position) => Position = position;

    /// <summary>Where the first <c>[[name]]</c> header is.</summary>
    public TomlPosition Position { get; }

    public int Count => _tables.Count;

    public TomlTable this[int index] => _tables[index];

    public IEnumerator<TomlTable> GetEnumerator() => _tables.GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    internal void Add(TomlTable table) => _tables.Add(table);

    internal TomlTable Last => _tables[^1];
}
